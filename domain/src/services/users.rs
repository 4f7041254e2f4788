//! Users: lookups, the view every client sees, and the first super admin created on an empty database.

use std::collections::HashMap;

use protocol::{ManagedUser, Role, UserForCreate, UserForUpdate, UserView};
use sea_orm::sea_query::{ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select};
use serde_json::json;

use crate::ctx::{perm, Ctx};
use crate::entities::{website_members, websites};
use crate::services::activity::{self, Activity};
use crate::services::websites::{can_manage as can_manage_website, visible as visible_websites};
use crate::AppState;

use rand::distr::{Alphanumeric, SampleString};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, PaginatorTrait, Set};

use crate::entities::users;
use crate::services::auth::{hash_password, validate_new_password};
use protocol::AppError;

/// Emails are stored trimmed and lower-cased, so uniqueness means the same on SQLite (case-sensitive) and MySQL.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A deliberately small check: something@domain.tld, no spaces, within the column's size.
pub fn validate_email(email: &str) -> Result<(), AppError> {
    let ok = email.len() <= 255
        && !email.chars().any(char::is_whitespace)
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
            }
            None => false,
        };
    if ok {
        Ok(())
    } else {
        Err(AppError::validation("email", "Enter a valid email address."))
    }
}

pub fn to_view(user: &users::Model) -> Result<UserView, AppError> {
    let role = user.role;
    Ok(UserView { id: user.id.clone(), email: user.email.clone(), name: user.name.clone(), role })
}

/// What start-up did about the first account.
#[derive(Debug)]
pub struct Bootstrap {
    pub email: String,
    /// Set when no password was configured: shown once, never stored in clear.
    pub generated_password: Option<String>,
}

/// On an empty `users` table, creates the first super admin from the configured credentials, or with a generated
/// password. Does nothing once any user exists (several nodes starting at once: the unique email keeps one).
pub async fn ensure_super_admin(
    db: &DatabaseConnection,
    email: Option<&str>,
    password: Option<&str>,
) -> Result<Option<Bootstrap>, AppError> {
    if users::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    let email = normalize_email(email.unwrap_or("admin@example.com"));
    validate_email(&email)?;
    let (password, generated) = match password {
        Some(p) => (p.to_string(), false),
        None => (Alphanumeric.sample_string(&mut rand::rng(), 20), true),
    };
    validate_new_password(&password)?;
    let now = chrono::Utc::now().naive_utc();
    users::ActiveModel {
        id: Set(uuid::Uuid::new_v4().to_string()),
        email: Set(email.clone()),
        password_hash: Set(hash_password(&password).await?),
        name: Set("Administrator".into()),
        role: Set(Role::SuperAdmin),
        is_active: Set(true),
        token_version: Set(0),
        last_login_at: Set(None),
        created_by: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(Some(Bootstrap { email, generated_password: generated.then_some(password) }))
}

// ---------------------------------------------------------------------------------------------------------------
// Managing users. Super admins manage everyone. An admin manages the agents they created, and nobody else: an agent
// who also works on another admin's websites is managed (renamed, deactivated, given a new password) only by their
// creator and the super admins, so no admin can sign in as a shared agent and reach another admin's websites.
// An admin also sees the agents who work on their own websites, and may change those memberships (who has access
// to their websites is theirs to decide), nothing else about them. Nobody changes their own role or deactivates
// themselves; the last active super admin stays.
// ---------------------------------------------------------------------------------------------------------------

pub const MAX_USER_NAME_LEN: usize = 100;

/// Users `ctx` manages (besides themselves).
fn managed(ctx: &Ctx) -> Option<Select<users::Entity>> {
    if ctx.is_super_admin() {
        return Some(users::Entity::find());
    }
    if !ctx.can(perm::USERS_MANAGE_AGENTS) {
        return None;
    }
    Some(
        users::Entity::find()
            .filter(users::Column::Role.eq(Role::Agent.as_str()))
            .filter(users::Column::CreatedBy.eq(ctx.user_id())),
    )
}

/// The ids of the users who are members of a website `ctx` owns.
fn members_of_owned(ctx: &Ctx) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column((website_members::Entity, website_members::Column::UserId))
        .from(website_members::Entity)
        .inner_join(
            websites::Entity,
            sea_orm::sea_query::Expr::col((websites::Entity, websites::Column::Id))
                .equals((website_members::Entity, website_members::Column::WebsiteId)),
        )
        .and_where(websites::Column::UserId.eq(ctx.user_id()))
        .to_owned()
}

/// Users `ctx` sees on the users page (besides themselves): those they manage, and the agents who work on their
/// websites.
fn listed(ctx: &Ctx) -> Option<Select<users::Entity>> {
    if ctx.is_super_admin() {
        return Some(users::Entity::find());
    }
    if !ctx.can(perm::USERS_MANAGE_AGENTS) {
        return None;
    }
    Some(
        users::Entity::find().filter(users::Column::Role.eq(Role::Agent.as_str())).filter(
            Condition::any()
                .add(users::Column::CreatedBy.eq(ctx.user_id()))
                .add(users::Column::Id.in_subquery(members_of_owned(ctx))),
        ),
    )
}

/// Whether `ctx` manages `user` (already found through [`listed`]).
fn manages(ctx: &Ctx, user: &users::Model) -> bool {
    ctx.is_super_admin() || (ctx.can(perm::USERS_MANAGE_AGENTS) && user.created_by.as_deref() == Some(ctx.user_id()))
}

/// A user `ctx` may see on the users page, or 404 (another tenant's users are not admitted to exist).
async fn find_listed(ctx: &Ctx, db: &impl ConnectionTrait, id: &str) -> Result<users::Model, AppError> {
    let query = listed(ctx).ok_or(AppError::Forbidden)?;
    query.filter(users::Column::Id.eq(id)).one(db).await?.ok_or_else(|| AppError::not_found("User"))
}

/// A user `ctx` manages: 404 if they cannot even see them, 403 if they only see them (an agent of another admin's
/// who works on their websites).
async fn find_managed(ctx: &Ctx, db: &impl ConnectionTrait, id: &str) -> Result<users::Model, AppError> {
    let user = find_listed(ctx, db, id).await?;
    if manages(ctx, &user) {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}

async fn websites_of(db: &impl ConnectionTrait, user_ids: &[String]) -> Result<HashMap<String, Vec<String>>, AppError> {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    if user_ids.is_empty() {
        return Ok(map);
    }
    for m in website_members::Entity::find()
        .filter(website_members::Column::UserId.is_in(user_ids.iter().cloned()))
        .order_by_asc(website_members::Column::WebsiteId)
        .all(db)
        .await?
    {
        map.entry(m.user_id).or_default().push(m.website_id);
    }
    Ok(map)
}

fn managed_view(ctx: &Ctx, user: &users::Model, website_ids: Vec<String>) -> Result<ManagedUser, AppError> {
    let view = to_view(user)?;
    Ok(ManagedUser {
        can_manage: user.id != ctx.user_id() && manages(ctx, user),
        id: view.id,
        email: view.email,
        name: view.name,
        role: view.role,
        is_active: user.is_active,
        website_ids,
        last_login_at: user.last_login_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()),
        created_at: user.created_at.format("%Y-%m-%d %H:%M").to_string(),
    })
}

/// The users page: everyone `ctx` manages or who works on their websites, and `ctx` themselves. Agents may not list
/// users.
pub async fn list(ctx: &Ctx, state: &AppState) -> Result<Vec<ManagedUser>, AppError> {
    let query = listed(ctx).ok_or(AppError::Forbidden)?;
    let mut rows = query.order_by_asc(users::Column::Email).all(&state.db).await?;
    if !rows.iter().any(|u| u.id == ctx.user_id()) {
        if let Some(me) = users::Entity::find_by_id(ctx.user_id()).one(&state.db).await? {
            rows.insert(0, me);
        }
    }
    let ids: Vec<String> = rows.iter().map(|u| u.id.clone()).collect();
    let mut sites = websites_of(&state.db, &ids).await?;
    // Admins only see assignments to websites they can see.
    let visible: Option<Vec<String>> = if ctx.is_super_admin() {
        None
    } else {
        Some(visible_websites(ctx).all(&state.db).await?.into_iter().map(|w| w.id).collect())
    };
    rows.iter()
        .map(|u| {
            let mut ids = sites.remove(&u.id).unwrap_or_default();
            if let Some(visible) = &visible {
                ids.retain(|id| visible.contains(id));
            }
            managed_view(ctx, u, ids)
        })
        .collect()
}

/// Checks that every website in `ids` may have its members changed by `ctx`; unknown or invisible ids are 404.
async fn assignable_websites(ctx: &Ctx, db: &impl ConnectionTrait, ids: &[String]) -> Result<Vec<String>, AppError> {
    let mut out = Vec::new();
    for id in ids {
        let website = visible_websites(ctx)
            .filter(websites::Column::Id.eq(id.as_str()))
            .one(db)
            .await?
            .ok_or_else(|| AppError::validation("websiteIds", "One of the websites does not exist."))?;
        if !(can_manage_website(ctx, &website) && (ctx.is_super_admin() || ctx.can(perm::MEMBERS_MANAGE_OWN))) {
            return Err(AppError::Forbidden);
        }
        if !out.contains(id) {
            out.push(id.clone());
        }
    }
    Ok(out)
}

/// Replaces `user_id`'s memberships among the websites `ctx` manages (memberships elsewhere are kept), and returns
/// those memberships before and after, sorted.
async fn set_memberships(
    ctx: &Ctx,
    db: &impl ConnectionTrait,
    user_id: &str,
    website_ids: &[String],
) -> Result<(Vec<String>, Vec<String>), AppError> {
    let mut after = assignable_websites(ctx, db, website_ids).await?;
    after.sort();
    let owned = Query::select()
        .column(websites::Column::Id)
        .from(websites::Entity)
        .and_where(websites::Column::UserId.eq(ctx.user_id()))
        .to_owned();
    let mut current = website_members::Entity::find().filter(website_members::Column::UserId.eq(user_id));
    if !ctx.is_super_admin() {
        current = current.filter(website_members::Column::WebsiteId.in_subquery(owned.clone()));
    }
    let mut before: Vec<String> = current.all(db).await?.into_iter().map(|m| m.website_id).collect();
    before.sort();
    if before == after {
        return Ok((before, after));
    }
    // One statement: super admins replace every membership; admins only those on websites they own.
    let mut clear = website_members::Entity::delete_many().filter(website_members::Column::UserId.eq(user_id));
    if !ctx.is_super_admin() {
        clear = clear.filter(website_members::Column::WebsiteId.in_subquery(owned));
    }
    clear.exec(db).await?;
    let now = chrono::Utc::now().naive_utc();
    for website_id in after.iter().cloned() {
        website_members::ActiveModel {
            website_id: Set(website_id),
            user_id: Set(user_id.to_string()),
            created_at: Set(now),
        }
        .insert(db)
        .await?;
    }
    Ok((before, after))
}

fn clean_user_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::validation("name", "Enter a name."));
    }
    if name.chars().count() > MAX_USER_NAME_LEN {
        return Err(AppError::validation("name", format!("Use at most {MAX_USER_NAME_LEN} characters.")));
    }
    Ok(name.to_string())
}

/// Whether `ctx` may give someone `role`: super admins any, admins only agent.
fn may_grant(ctx: &Ctx, role: Role) -> bool {
    ctx.is_super_admin() || (role == Role::Agent && ctx.can(perm::USERS_MANAGE_AGENTS))
}

pub async fn create(ctx: &Ctx, state: &AppState, input: UserForCreate) -> Result<ManagedUser, AppError> {
    if managed(ctx).is_none() || !may_grant(ctx, input.role) {
        return Err(AppError::Forbidden);
    }
    let email = normalize_email(&input.email);
    validate_email(&email)?;
    let name = clean_user_name(&input.name)?;
    validate_new_password(&input.password)?;
    if users::Entity::find().filter(users::Column::Email.eq(email.as_str())).one(&state.db).await?.is_some() {
        return Err(AppError::conflict("email", "A user with this email already exists."));
    }
    let password_hash = hash_password(&input.password).await?;
    let now = chrono::Utc::now().naive_utc();
    let txn = crate::db::begin_write(&state.db).await?;
    let user = users::ActiveModel {
        id: Set(uuid::Uuid::new_v4().to_string()),
        email: Set(email),
        password_hash: Set(password_hash),
        name: Set(name),
        role: Set(input.role),
        is_active: Set(true),
        token_version: Set(0),
        last_login_at: Set(None),
        created_by: Set(Some(ctx.user_id().to_string())),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            AppError::conflict("email", "A user with this email already exists.")
        }
        _ => AppError::from(e),
    })?;
    set_memberships(ctx, &txn, &user.id, &input.website_ids).await?;
    activity::record(
        ctx,
        &txn,
        Activity {
            action: "user.create",
            resource_type: "user",
            resource_id: Some(&user.id),
            website_id: None,
            metadata: Some(json!({ "email": user.email, "role": user.role, "websiteIds": input.website_ids })),
        },
    )
    .await?;
    txn.commit().await?;
    let sites = websites_of(&state.db, std::slice::from_ref(&user.id)).await?.remove(&user.id).unwrap_or_default();
    managed_view(ctx, &user, sites)
}

async fn other_active_super_admins(db: &impl ConnectionTrait, except: &str) -> Result<u64, AppError> {
    Ok(users::Entity::find()
        .filter(users::Column::Role.eq(Role::SuperAdmin.as_str()))
        .filter(users::Column::IsActive.eq(true))
        .filter(users::Column::Id.ne(except))
        .count(db)
        .await?)
}

pub async fn update(ctx: &Ctx, state: &AppState, id: &str, input: UserForUpdate) -> Result<ManagedUser, AppError> {
    let is_self = id == ctx.user_id();
    let target = if is_self {
        users::Entity::find_by_id(id).one(&state.db).await?.ok_or_else(|| AppError::not_found("User"))?
    } else {
        find_listed(ctx, &state.db, id).await?
    };
    let current_role = to_view(&target)?.role;
    // Of a user `ctx` only sees (an agent of another admin's on their websites), only the memberships of their own
    // websites may change.
    let changes_more_than_memberships = input.name.is_some()
        || input.role.is_some_and(|r| r != current_role)
        || input.is_active.is_some_and(|a| a != target.is_active);
    if !is_self && changes_more_than_memberships && !manages(ctx, &target) {
        return Err(AppError::Forbidden);
    }
    let txn = crate::db::begin_write(&state.db).await?;
    let mut active: users::ActiveModel = target.clone().into();
    let mut changes = activity::Changes::default();
    let mut revoke = false;

    if let Some(name) = &input.name {
        let name = clean_user_name(name)?;
        changes.field("name", &target.name, &name);
        active.name = Set(name);
    }
    if let Some(role) = input.role.filter(|r| *r != current_role) {
        if is_self {
            return Err(AppError::Forbidden);
        }
        if !may_grant(ctx, role) {
            return Err(AppError::Forbidden);
        }
        if current_role == Role::SuperAdmin && target.is_active && other_active_super_admins(&txn, id).await? == 0 {
            return Err(AppError::conflict("role", "The last active super admin cannot be demoted."));
        }
        changes.field("role", current_role, role);
        active.role = Set(role);
        revoke = true;
    }
    if let Some(is_active) = input.is_active.filter(|a| *a != target.is_active) {
        if is_self {
            return Err(AppError::Forbidden);
        }
        if !is_active && current_role == Role::SuperAdmin && other_active_super_admins(&txn, id).await? == 0 {
            return Err(AppError::conflict("isActive", "The last active super admin cannot be deactivated."));
        }
        changes.field("isActive", target.is_active, is_active);
        active.is_active = Set(is_active);
        revoke = revoke || !is_active;
    }
    if let Some(website_ids) = &input.website_ids {
        if is_self && !ctx.is_super_admin() {
            return Err(AppError::Forbidden);
        }
        let (before, after) = set_memberships(ctx, &txn, id, website_ids).await?;
        changes.field("websiteIds", before, after);
    }
    // A save that changes nothing writes and records nothing.
    if changes.is_empty() {
        txn.rollback().await?;
        let sites = websites_of(&state.db, std::slice::from_ref(&target.id)).await?.remove(&target.id);
        return managed_view(ctx, &target, sites.unwrap_or_default());
    }
    if revoke {
        // Every token the user holds stops working at once.
        active.token_version = Set(target.token_version + 1);
    }
    active.updated_at = Set(chrono::Utc::now().naive_utc());
    let user = active.update(&txn).await?;
    let action = match input.is_active {
        Some(false) if target.is_active => "user.deactivate",
        Some(true) if !target.is_active => "user.reactivate",
        _ => "user.update",
    };
    activity::record(
        ctx,
        &txn,
        Activity {
            action,
            resource_type: "user",
            resource_id: Some(id),
            website_id: None,
            metadata: Some(changes.into_metadata()),
        },
    )
    .await?;
    txn.commit().await?;
    if revoke {
        state.hub.disconnect_user(id);
    } else if input.website_ids.is_some() {
        restrict_sockets(state, &user).await?;
    }
    let sites = websites_of(&state.db, std::slice::from_ref(&user.id)).await?.remove(&user.id).unwrap_or_default();
    managed_view(ctx, &user, sites)
}

/// After `user`'s memberships changed: their open sockets stop following the websites they no longer see.
async fn restrict_sockets(state: &AppState, user: &users::Model) -> Result<(), AppError> {
    let view = to_view(user)?;
    let as_them = Ctx::for_user(view.clone(), state.permissions(view.role), None);
    if as_them.is_super_admin() {
        return Ok(());
    }
    let visible: Vec<String> = visible_websites(&as_them).all(&state.db).await?.into_iter().map(|w| w.id).collect();
    state.hub.restrict_user(&user.id, &visible);
    Ok(())
}

/// Sets a new password (one's own, or a managed user's) and revokes every token the user holds.
pub async fn reset_password(ctx: &Ctx, state: &AppState, id: &str, password: &str) -> Result<(), AppError> {
    let target = if id == ctx.user_id() {
        users::Entity::find_by_id(id).one(&state.db).await?.ok_or_else(|| AppError::not_found("User"))?
    } else {
        find_managed(ctx, &state.db, id).await?
    };
    validate_new_password(password)?;
    let hash = hash_password(password).await?;
    let txn = crate::db::begin_write(&state.db).await?;
    let version = target.token_version + 1;
    let mut active: users::ActiveModel = target.into();
    active.password_hash = Set(hash);
    active.token_version = Set(version);
    active.updated_at = Set(chrono::Utc::now().naive_utc());
    active.update(&txn).await?;
    activity::record(
        ctx,
        &txn,
        Activity {
            action: "user.password_reset",
            resource_type: "user",
            resource_id: Some(id),
            website_id: None,
            metadata: None,
        },
    )
    .await?;
    txn.commit().await?;
    state.hub.disconnect_user(id);
    Ok(())
}

/// The activity `ctx` may read: everything for super admins (`None`). Anyone else reads what they did themselves;
/// an admin also reads everything that happened on the websites they own, and what the users they manage did
/// outside any website (signing in and out). Nothing done on another admin's websites, by anyone.
pub fn activity_scope(ctx: &Ctx) -> Option<Condition> {
    use crate::entities::activity_logs;
    if ctx.is_super_admin() {
        return None;
    }
    let mut scope = Condition::any().add(activity_logs::Column::UserId.eq(ctx.user_id()));
    if let Some(managed) = managed(ctx) {
        let owned = Query::select()
            .column(websites::Column::Id)
            .from(websites::Entity)
            .and_where(websites::Column::UserId.eq(ctx.user_id()))
            .to_owned();
        let managed_ids = managed.select_only().column(users::Column::Id).into_query();
        scope = scope.add(activity_logs::Column::WebsiteId.in_subquery(owned)).add(
            Condition::all()
                .add(activity_logs::Column::WebsiteId.is_null())
                .add(activity_logs::Column::UserId.in_subquery(managed_ids)),
        );
    }
    Some(scope)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(normalize_email("  Ana@Example.COM "), "ana@example.com");
        assert!(validate_email("ana@example.com").is_ok());
        for bad in ["", "ana", "ana@", "@example.com", "ana@example", "an a@example.com", "ana@.com", "ana@com."] {
            assert!(validate_email(bad).is_err(), "{bad} should be refused");
        }
    }
}
