//! Canned responses: replies agents insert by shortcut. A shared one belongs to a website: whoever manages the
//! website keeps them, everyone who works on it uses them. A personal one belongs to its author alone, on every
//! website they work on. Someone else's personal response, or one of a website the caller cannot see, answers 404;
//! a shared one the caller may use but not manage, 403.

use protocol::{AppError, CannedResponse, CannedResponseForCreate, CannedResponseForUpdate};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;

use crate::ctx::Ctx;
use crate::entities::{canned_responses, websites};
use crate::services::activity::{self, Activity};
use crate::services::websites::{can_manage, find_manageable, find_visible, visible as visible_websites};
use crate::AppState;

pub const MAX_SHORTCUT_LEN: usize = 32;
pub const MAX_CONTENT_CHARS: usize = crate::services::messages::MAX_CONTENT_CHARS;

fn owner_key_of_user(user_id: &str) -> String {
    format!("user:{user_id}")
}

fn time(t: chrono::NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn to_view(row: &canned_responses::Model, can_edit: bool) -> CannedResponse {
    CannedResponse {
        id: row.id.clone(),
        website_id: row.website_id.clone(),
        personal: row.user_id.is_some(),
        shortcut: row.shortcut.clone(),
        content: row.content.clone(),
        can_edit,
        updated_at: time(row.updated_at),
    }
}

/// A shortcut as stored: trimmed, without a leading `/`, in lower case (so both databases compare alike).
fn clean_shortcut(shortcut: &str) -> Result<String, AppError> {
    let s = shortcut.trim().trim_start_matches('/').to_lowercase();
    let ok = !s.is_empty()
        && s.chars().count() <= MAX_SHORTCUT_LEN
        && s.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_');
    if !ok {
        return Err(AppError::validation(
            "shortcut",
            format!("Use 1 to {MAX_SHORTCUT_LEN} letters, digits, - or _ (no spaces)."),
        ));
    }
    Ok(s)
}

fn clean_content(content: &str) -> Result<String, AppError> {
    let c = content.trim();
    if c.is_empty() {
        return Err(AppError::validation("content", "Write the response."));
    }
    if c.chars().count() > MAX_CONTENT_CHARS {
        return Err(AppError::validation("content", format!("Use at most {MAX_CONTENT_CHARS} characters.")));
    }
    Ok(c.to_string())
}

fn taken(e: sea_orm::DbErr) -> AppError {
    match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            AppError::conflict("shortcut", "There is a response with this shortcut already.")
        }
        _ => AppError::from(e),
    }
}

/// The responses `ctx` may use, by shortcut: shared ones of the websites they see (of `website_id` only, when
/// given) and their own personal ones.
pub async fn list(ctx: &Ctx, state: &AppState, website_id: Option<&str>) -> Result<Vec<CannedResponse>, AppError> {
    let websites: Vec<websites::Model> = match website_id.filter(|w| !w.is_empty()) {
        Some(id) => vec![find_visible(ctx, &state.db, id).await?],
        None => visible_websites(ctx).all(&state.db).await?,
    };
    let ids: Vec<&str> = websites.iter().map(|w| w.id.as_str()).collect();
    let rows = canned_responses::Entity::find()
        .filter(
            Condition::any()
                .add(canned_responses::Column::UserId.eq(ctx.user_id()))
                .add(canned_responses::Column::WebsiteId.is_in(ids)),
        )
        .order_by_asc(canned_responses::Column::Shortcut)
        .order_by_asc(canned_responses::Column::Id)
        .all(&state.db)
        .await?;
    let managed: Vec<&str> = websites.iter().filter(|w| can_manage(ctx, w)).map(|w| w.id.as_str()).collect();
    Ok(rows
        .iter()
        .map(|r| {
            let can_edit = r.user_id.is_some() || r.website_id.as_deref().is_some_and(|w| managed.contains(&w));
            to_view(r, can_edit)
        })
        .collect())
}

pub async fn create(ctx: &Ctx, state: &AppState, input: CannedResponseForCreate) -> Result<CannedResponse, AppError> {
    let shortcut = clean_shortcut(&input.shortcut)?;
    let content = clean_content(&input.content)?;
    let (website_id, user_id, owner_key) = match input.website_id.as_deref().filter(|w| !w.is_empty()) {
        Some(id) => {
            let website = find_manageable(ctx, &state.db, id).await?;
            (Some(website.id.clone()), None, website.id)
        }
        None => (None, Some(ctx.user_id().to_string()), owner_key_of_user(ctx.user_id())),
    };
    let now = super::now_millis();
    let row = canned_responses::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        website_id: Set(website_id.clone()),
        user_id: Set(user_id),
        owner_key: Set(owner_key),
        shortcut: Set(shortcut),
        content: Set(content),
        created_by: Set(Some(ctx.user_id().to_string())),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&state.db)
    .await
    .map_err(taken)?;
    if let Some(website_id) = &website_id {
        record(ctx, state, "canned.create", &row, website_id).await?;
    }
    Ok(to_view(&row, true))
}

/// A response `ctx` may change: their own personal one, or a shared one of a website they manage.
async fn find_editable(ctx: &Ctx, state: &AppState, id: &str) -> Result<canned_responses::Model, AppError> {
    let not_found = || AppError::not_found("Canned response");
    let row = canned_responses::Entity::find_by_id(id).one(&state.db).await?.ok_or_else(not_found)?;
    match (&row.user_id, &row.website_id) {
        (Some(owner), _) if owner == ctx.user_id() => Ok(row),
        (Some(_), _) => Err(not_found()),
        (None, Some(website_id)) => {
            // 404 when the website is not theirs to see, 403 when they may use but not manage it.
            find_manageable(ctx, &state.db, website_id).await.map_err(|e| match e {
                AppError::NotFound(_) => not_found(),
                e => e,
            })?;
            Ok(row)
        }
        (None, None) => Err(not_found()),
    }
}

pub async fn update(
    ctx: &Ctx,
    state: &AppState,
    id: &str,
    input: CannedResponseForUpdate,
) -> Result<CannedResponse, AppError> {
    let row = find_editable(ctx, state, id).await?;
    let mut active: canned_responses::ActiveModel = row.clone().into();
    if let Some(shortcut) = &input.shortcut {
        active.shortcut = Set(clean_shortcut(shortcut)?);
    }
    if let Some(content) = &input.content {
        active.content = Set(clean_content(content)?);
    }
    active.updated_at = Set(super::now_millis());
    let row = active.update(&state.db).await.map_err(taken)?;
    if let Some(website_id) = &row.website_id {
        record(ctx, state, "canned.update", &row, website_id).await?;
    }
    Ok(to_view(&row, true))
}

pub async fn delete(ctx: &Ctx, state: &AppState, id: &str) -> Result<(), AppError> {
    let row = find_editable(ctx, state, id).await?;
    canned_responses::Entity::delete_by_id(row.id.clone()).exec(&state.db).await?;
    if let Some(website_id) = &row.website_id {
        record(ctx, state, "canned.delete", &row, website_id).await?;
    }
    Ok(())
}

/// Changes to a website's shared responses go in its activity log (personal ones are nobody else's business).
async fn record(
    ctx: &Ctx,
    state: &AppState,
    action: &'static str,
    row: &canned_responses::Model,
    website_id: &str,
) -> Result<(), AppError> {
    activity::record(
        ctx,
        &state.db,
        Activity {
            action,
            resource_type: "canned_response",
            resource_id: Some(&row.id),
            website_id: Some(website_id),
            metadata: Some(json!({ "shortcut": row.shortcut })),
        },
    )
    .await
}
