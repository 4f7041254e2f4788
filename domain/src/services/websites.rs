//! Websites: the sites that embed the widget. Super admins see and manage all; admins manage the websites they own
//! and see those they are members of; agents see the websites they are members of. A website the caller may not
//! see answers 404 (its existence is not admitted); one they may see but not change answers 403.

use protocol::{
    Routing, Website, WebsiteCreated, WebsiteForCreate, WebsiteForUpdate, WidgetSettings, MAX_AGENT_CAPACITY,
    MAX_MISSED_CHAT_MINUTES, MAX_RETENTION_DAYS,
};
use rand::RngCore;
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select, Set,
};
use serde_json::json;

use crate::ctx::{perm, Ctx};
use crate::entities::{website_members, websites};
use crate::origin::parse_domains;
use crate::services::activity::{self, Activity};
use crate::services::widget_settings::default_row;
use crate::AppState;
use protocol::AppError;

pub const MAX_NAME_LEN: usize = 255;
pub const MAX_DESCRIPTION_LEN: usize = 2000;
/// Open chats per agent under auto routing, for a new website.
pub const DEFAULT_AGENT_CAPACITY: i32 = 5;
/// How long a new website's chats may wait before its team is emailed.
pub const DEFAULT_MISSED_CHAT_MINUTES: i32 = 10;

/// For records only a website's owner reads (the email outbox, webhook deliveries): the ids of the websites `ctx`
/// owns as a subquery, `None` for a super admin (every website), 403 for those who own none by role (agents).
pub(crate) fn owned_ids(ctx: &Ctx) -> Result<Option<sea_orm::sea_query::SelectStatement>, AppError> {
    if ctx.is_super_admin() {
        return Ok(None);
    }
    if !ctx.can(perm::WEBSITES_MANAGE_OWN) {
        return Err(AppError::Forbidden);
    }
    Ok(Some(
        Query::select()
            .column(websites::Column::Id)
            .from(websites::Entity)
            .and_where(websites::Column::UserId.eq(ctx.user_id()))
            .to_owned(),
    ))
}

/// The websites `ctx` may see.
pub fn visible(ctx: &Ctx) -> Select<websites::Entity> {
    if ctx.is_super_admin() {
        return websites::Entity::find();
    }
    let member_of = Query::select()
        .column(website_members::Column::WebsiteId)
        .from(website_members::Entity)
        .and_where(website_members::Column::UserId.eq(ctx.user_id()))
        .to_owned();
    let mut cond = Condition::any();
    if ctx.can(perm::WEBSITES_MANAGE_OWN) {
        cond = cond.add(websites::Column::UserId.eq(ctx.user_id()));
    }
    if ctx.can(perm::WEBSITES_MANAGE_OWN) || ctx.can(perm::WEBSITES_READ_MEMBER) {
        cond = cond.add(websites::Column::Id.in_subquery(member_of));
    } else {
        // No website permission at all: nothing is visible.
        cond = cond.add(websites::Column::Id.is_null());
    }
    websites::Entity::find().filter(cond)
}

pub fn can_manage(ctx: &Ctx, website: &websites::Model) -> bool {
    ctx.is_super_admin() || (ctx.can(perm::WEBSITES_MANAGE_OWN) && website.user_id == ctx.user_id())
}

/// A website `ctx` may see, or 404.
pub async fn find_visible(ctx: &Ctx, db: &impl ConnectionTrait, id: &str) -> Result<websites::Model, AppError> {
    visible(ctx).filter(websites::Column::Id.eq(id)).one(db).await?.ok_or_else(|| AppError::not_found("Website"))
}

/// A website `ctx` may change: 404 if they cannot see it, 403 if they can only see it.
pub async fn find_manageable(ctx: &Ctx, db: &impl ConnectionTrait, id: &str) -> Result<websites::Model, AppError> {
    let website = find_visible(ctx, db, id).await?;
    if can_manage(ctx, &website) {
        Ok(website)
    } else {
        Err(AppError::Forbidden)
    }
}

pub fn domains_of(website: &websites::Model) -> Vec<String> {
    website.domain.split(',').map(str::trim).filter(|d| !d.is_empty()).map(String::from).collect()
}

pub fn embed_code(public_url: &str, api_key: &str) -> String {
    format!(r#"<script src="{public_url}/widget.js" data-key="{api_key}" async></script>"#)
}

pub fn to_view(ctx: &Ctx, state: &AppState, website: &websites::Model) -> Website {
    Website {
        id: website.id.clone(),
        name: website.name.clone(),
        domains: domains_of(website),
        description: website.description.clone(),
        api_key: website.api_key.clone(),
        is_active: website.is_active,
        owner_id: website.user_id.clone(),
        embed_code: embed_code(&state.public_url, &website.api_key),
        can_manage: can_manage(ctx, website),
        routing: website.routing,
        agent_capacity: u16::try_from(website.agent_capacity).unwrap_or(1),
        typing_preview: website.typing_preview,
        missed_chat_minutes: u16::try_from(website.missed_chat_minutes).unwrap_or(0),
        transcript_on_resolve: website.transcript_on_resolve,
        retention_days: u16::try_from(website.retention_days).unwrap_or(0),
        has_identity_secret: website.identity_secret.is_some(),
        identity_required: website.identity_required,
        created_at: website.created_at.format("%Y-%m-%d %H:%M").to_string(),
    }
}

/// 160 random bits, hex, with a prefix that makes a leaked key recognisable.
pub fn new_api_key() -> String {
    random_key::<20>("hdk_")
}

/// `N` random bytes as hex after `prefix`: the API keys and secrets, each recognisable by its prefix when leaked.
pub(crate) fn random_key<const N: usize>(prefix: &str) -> String {
    let mut bytes = [0u8; N];
    rand::rng().fill_bytes(&mut bytes);
    let mut key = String::with_capacity(prefix.len() + 2 * N);
    key.push_str(prefix);
    for b in bytes {
        key.push_str(&format!("{b:02x}"));
    }
    key
}

/// Stores a change to a website with its activity-log entry, in one transaction, and drops the website's cached
/// widget config on this node.
pub(crate) async fn save(
    ctx: &Ctx,
    state: &AppState,
    mut active: websites::ActiveModel,
    action: &str,
    metadata: Option<serde_json::Value>,
) -> Result<websites::Model, AppError> {
    active.updated_at = Set(chrono::Utc::now().naive_utc());
    let txn = crate::db::begin_write(&state.db).await?;
    let website = active.update(&txn).await?;
    activity::record(
        ctx,
        &txn,
        Activity {
            action,
            resource_type: "website",
            resource_id: Some(&website.id),
            website_id: Some(&website.id),
            metadata,
        },
    )
    .await?;
    txn.commit().await?;
    state.website_changed(&website.id);
    Ok(website)
}

fn clean_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::validation("name", "Give the website a name."));
    }
    if name.chars().count() > MAX_NAME_LEN {
        return Err(AppError::validation("name", format!("Use at most {MAX_NAME_LEN} characters.")));
    }
    Ok(name.to_string())
}

fn clean_description(description: Option<&str>) -> Result<Option<String>, AppError> {
    let description = description.map(str::trim).filter(|d| !d.is_empty());
    if description.is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_LEN) {
        return Err(AppError::validation("description", format!("Use at most {MAX_DESCRIPTION_LEN} characters.")));
    }
    Ok(description.map(String::from))
}

pub async fn list(ctx: &Ctx, state: &AppState) -> Result<Vec<Website>, AppError> {
    let rows =
        visible(ctx).order_by_asc(websites::Column::Name).order_by_asc(websites::Column::Id).all(&state.db).await?;
    Ok(rows.iter().map(|w| to_view(ctx, state, w)).collect())
}

pub async fn get(ctx: &Ctx, state: &AppState, id: &str) -> Result<Website, AppError> {
    Ok(to_view(ctx, state, &find_visible(ctx, &state.db, id).await?))
}

pub async fn create(ctx: &Ctx, state: &AppState, input: WebsiteForCreate) -> Result<WebsiteCreated, AppError> {
    if !ctx.can(perm::WEBSITES_CREATE) {
        return Err(AppError::Forbidden);
    }
    let name = clean_name(&input.name)?;
    let mut domains = input.domains;
    domains.extend(input.domain);
    let domains = parse_domains(&domains)?;
    let description = clean_description(input.description.as_deref())?;
    let now = chrono::Utc::now().naive_utc();
    let txn = crate::db::begin_write(&state.db).await?;
    let website = websites::ActiveModel {
        id: Set(uuid::Uuid::new_v4().to_string()),
        user_id: Set(ctx.user_id().to_string()),
        name: Set(name),
        domain: Set(domains.join(",")),
        description: Set(description),
        api_key: Set(new_api_key()),
        is_active: Set(true),
        routing: Set(Routing::Manual),
        agent_capacity: Set(DEFAULT_AGENT_CAPACITY),
        typing_preview: Set(true),
        missed_chat_minutes: Set(DEFAULT_MISSED_CHAT_MINUTES),
        transcript_on_resolve: Set(false),
        retention_days: Set(0),
        identity_secret: Set(None),
        identity_required: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    default_row(&website.id, &WidgetSettings::default()).insert(&txn).await?;
    activity::record(
        ctx,
        &txn,
        Activity {
            action: "website.create",
            resource_type: "website",
            resource_id: Some(&website.id),
            website_id: Some(&website.id),
            metadata: Some(json!({ "name": website.name, "domains": domains })),
        },
    )
    .await?;
    txn.commit().await?;
    let view = to_view(ctx, state, &website);
    Ok(WebsiteCreated {
        id: view.id.clone(),
        api_key: view.api_key.clone(),
        embed_code: view.embed_code.clone(),
        website: view,
    })
}

pub async fn update(ctx: &Ctx, state: &AppState, id: &str, input: WebsiteForUpdate) -> Result<Website, AppError> {
    let website = find_manageable(ctx, &state.db, id).await?;
    let mut active: websites::ActiveModel = website.clone().into();
    let mut changes = activity::Changes::default();
    if let Some(name) = input.name {
        let name = clean_name(&name)?;
        changes.field("name", &website.name, &name);
        active.name = Set(name);
    }
    // Visitors' sockets were let in under the old key, domains and state: a change that could refuse them closes
    // them, and the widget starts again under the new rules.
    let mut close_visitors = false;
    if let Some(domains) = input.domains {
        let domains = parse_domains(&domains)?;
        close_visitors |= domains != domains_of(&website);
        changes.field("domains", domains_of(&website), &domains);
        active.domain = Set(domains.join(","));
    }
    if let Some(description) = input.description {
        let description = clean_description(Some(&description))?;
        changes.field("description", &website.description, &description);
        active.description = Set(description);
    }
    if let Some(is_active) = input.is_active {
        close_visitors |= website.is_active && !is_active;
        changes.field("isActive", website.is_active, is_active);
        active.is_active = Set(is_active);
    }
    if let Some(routing) = input.routing {
        changes.field("routing", website.routing, routing);
        active.routing = Set(routing);
    }
    if let Some(capacity) = input.agent_capacity {
        if !(1..=MAX_AGENT_CAPACITY).contains(&capacity) {
            return Err(AppError::validation(
                "agentCapacity",
                format!("Use 1 to {MAX_AGENT_CAPACITY} open chats per agent."),
            ));
        }
        changes.field("agentCapacity", website.agent_capacity, i32::from(capacity));
        active.agent_capacity = Set(i32::from(capacity));
    }
    if let Some(preview) = input.typing_preview {
        changes.field("typingPreview", website.typing_preview, preview);
        active.typing_preview = Set(preview);
    }
    if let Some(minutes) = input.missed_chat_minutes {
        if minutes > MAX_MISSED_CHAT_MINUTES {
            return Err(AppError::validation(
                "missedChatMinutes",
                format!("Use 0 (never) to {MAX_MISSED_CHAT_MINUTES} minutes."),
            ));
        }
        changes.field("missedChatMinutes", website.missed_chat_minutes, i32::from(minutes));
        active.missed_chat_minutes = Set(i32::from(minutes));
    }
    if let Some(on) = input.transcript_on_resolve {
        changes.field("transcriptOnResolve", website.transcript_on_resolve, on);
        active.transcript_on_resolve = Set(on);
    }
    if let Some(days) = input.retention_days {
        if days > MAX_RETENTION_DAYS {
            return Err(AppError::validation(
                "retentionDays",
                format!("Use 0 (keep for ever) to {MAX_RETENTION_DAYS} days."),
            ));
        }
        changes.field("retentionDays", website.retention_days, i32::from(days));
        active.retention_days = Set(i32::from(days));
    }
    if let Some(required) = input.identity_required {
        if required && website.identity_secret.is_none() {
            return Err(AppError::validation(
                "identityRequired",
                "Create the identity secret first, and have your website sign its customers' tokens with it.",
            ));
        }
        // Visitors let in without a token must start again under the new rule.
        close_visitors |= required && !website.identity_required;
        changes.field("identityRequired", website.identity_required, required);
        active.identity_required = Set(required);
    }
    // A save that changes nothing writes and records nothing.
    if changes.is_empty() {
        return Ok(to_view(ctx, state, &website));
    }
    let website = save(ctx, state, active, "website.update", Some(changes.into_metadata())).await?;
    if close_visitors {
        state.hub.close_website(id, false);
    }
    // Switched to auto, or agents got more room: the queue may move now.
    crate::services::routing::dispatch_soon(state, id);
    Ok(to_view(ctx, state, &website))
}

/// Issues a new API key; the old one stops working at once: the cache entry is dropped with it, and the visitors'
/// sockets opened with it close.
pub async fn rotate_key(ctx: &Ctx, state: &AppState, id: &str) -> Result<Website, AppError> {
    let website = find_manageable(ctx, &state.db, id).await?;
    let mut active: websites::ActiveModel = website.into();
    active.api_key = Set(new_api_key());
    let website = save(ctx, state, active, "website.rotate_key", None).await?;
    state.hub.close_website(id, false);
    Ok(to_view(ctx, state, &website))
}

/// Deletes the website with its settings, visitors, chats and messages (ON DELETE CASCADE); its visitors' sockets
/// close, and agents' sockets stop following it.
pub async fn delete(ctx: &Ctx, state: &AppState, id: &str) -> Result<(), AppError> {
    let website = find_manageable(ctx, &state.db, id).await?;
    let txn = crate::db::begin_write(&state.db).await?;
    websites::Entity::delete_by_id(website.id.clone()).exec(&txn).await?;
    activity::record(
        ctx,
        &txn,
        Activity {
            action: "website.delete",
            resource_type: "website",
            resource_id: Some(id),
            website_id: Some(id),
            metadata: Some(json!({ "name": website.name })),
        },
    )
    .await?;
    txn.commit().await?;
    state.website_changed(id);
    state.hub.close_website(id, true);
    Ok(())
}

/// The websites `ctx` works on: those they are a member of and those they own (not every website a super admin may
/// see), for telling those websites' agents that they are online.
pub async fn worked_on(ctx: &Ctx, db: &impl ConnectionTrait) -> Result<Vec<String>, AppError> {
    let member_of = Query::select()
        .column(website_members::Column::WebsiteId)
        .from(website_members::Entity)
        .and_where(website_members::Column::UserId.eq(ctx.user_id()))
        .to_owned();
    Ok(websites::Entity::find()
        .select_only()
        .column(websites::Column::Id)
        .filter(
            Condition::any()
                .add(websites::Column::UserId.eq(ctx.user_id()))
                .add(websites::Column::Id.in_subquery(member_of)),
        )
        .into_tuple()
        .all(db)
        .await?)
}

/// The ids of the members of a website the caller may see.
pub async fn member_ids(ctx: &Ctx, db: &impl ConnectionTrait, website_id: &str) -> Result<Vec<String>, AppError> {
    find_visible(ctx, db, website_id).await?;
    Ok(website_members::Entity::find()
        .filter(website_members::Column::WebsiteId.eq(website_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect())
}

/// Whether the website lets its agents see what visitors type before they send it.
pub async fn typing_preview(db: &impl ConnectionTrait, website_id: &str) -> Result<bool, AppError> {
    Ok(websites::Entity::find_by_id(website_id)
        .select_only()
        .column(websites::Column::TypingPreview)
        .into_tuple::<bool>()
        .one(db)
        .await?
        .unwrap_or(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_keys_carry_160_random_bits() {
        let a = new_api_key();
        assert_eq!(a.len(), 44);
        assert!(a.starts_with("hdk_") && a[4..].chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, new_api_key());
    }

    #[test]
    fn embed_code_is_the_seed_snippet() {
        assert_eq!(
            embed_code("https://help.example.com", "hdk_1"),
            r#"<script src="https://help.example.com/widget.js" data-key="hdk_1" async></script>"#
        );
    }
}
