//! The activity log: who did what, to which resource, from where. Written beside every change an admin makes and
//! every sign-in and sign-out. A change records what it changed, each field as `{from, to}` under `changes`
//! ([`Changes`]); a save that changes nothing is not recorded.

use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

use crate::ctx::Ctx;
use crate::entities::activity_logs;
use protocol::AppError;

pub struct Activity<'a> {
    pub action: &'a str,
    pub resource_type: &'a str,
    pub resource_id: Option<&'a str>,
    /// The website it happened on, if any: what scopes an admin's view of the log.
    pub website_id: Option<&'a str>,
    pub metadata: Option<serde_json::Value>,
}

/// What an update changed: each field whose value differs, as `{"from": before, "to": after}`.
#[derive(Default)]
pub struct Changes(serde_json::Map<String, serde_json::Value>);

impl Changes {
    /// Notes `field` if `before` and `after` differ.
    pub fn field(&mut self, field: &str, before: impl serde::Serialize, after: impl serde::Serialize) -> &mut Self {
        let (before, after) = (serde_json::json!(before), serde_json::json!(after));
        if before != after {
            self.0.insert(field.to_string(), serde_json::json!({ "from": before, "to": after }));
        }
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entry's metadata: `{"changes": {field: {from, to}}}`.
    pub fn into_metadata(self) -> serde_json::Value {
        serde_json::json!({ "changes": serde_json::Value::Object(self.0) })
    }
}

pub async fn record(ctx: &Ctx, db: &impl ConnectionTrait, activity: Activity<'_>) -> Result<(), AppError> {
    activity_logs::ActiveModel {
        // Time-ordered ids keep newest-first order within one second (MySQL DATETIME has no fraction).
        id: Set(uuid::Uuid::now_v7().to_string()),
        user_id: Set(Some(ctx.user_id().to_string())),
        action: Set(activity.action.to_string()),
        resource_type: Set(activity.resource_type.to_string()),
        resource_id: Set(activity.resource_id.map(String::from)),
        metadata: Set(activity.metadata),
        ip_address: Set(ctx.ip().map(|ip| ip.to_string())),
        created_at: Set(chrono::Utc::now().naive_utc()),
        website_id: Set(activity.website_id.map(String::from)),
    }
    .insert(db)
    .await?;
    Ok(())
}

use protocol::{ActivityEntry, ActivityFilter, Page};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::entities::users;
use crate::services::users::activity_scope;
use crate::AppState;

pub const MAX_PER_PAGE: u64 = 100;
pub const DEFAULT_PER_PAGE: u64 = 25;

fn day(field: &str, value: &str) -> Result<chrono::NaiveDate, AppError> {
    chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::validation(field, "Use a date like 2026-01-31."))
}

/// The activity log, newest first, filtered and paginated, limited to what `ctx` may read.
pub async fn list(ctx: &Ctx, state: &AppState, filter: ActivityFilter) -> Result<Page<ActivityEntry>, AppError> {
    let mut query = activity_logs::Entity::find();
    if let Some(scope) = activity_scope(ctx) {
        query = query.filter(scope);
    }
    if let Some(user) = filter.user_id.as_deref().filter(|s| !s.is_empty()) {
        query = query.filter(activity_logs::Column::UserId.eq(user));
    }
    if let Some(action) = filter.action.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        query = query.filter(activity_logs::Column::Action.eq(action));
    }
    if let Some(resource) = filter.resource_type.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        query = query.filter(activity_logs::Column::ResourceType.eq(resource));
    }
    if let Some(from) = filter.from.as_deref().filter(|s| !s.is_empty()) {
        let from = day("from", from)?.and_hms_opt(0, 0, 0).unwrap_or_default();
        query = query.filter(activity_logs::Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.to.as_deref().filter(|s| !s.is_empty()) {
        let to = day("to", to)?.succ_opt().unwrap_or(chrono::NaiveDate::MAX).and_hms_opt(0, 0, 0).unwrap_or_default();
        query = query.filter(activity_logs::Column::CreatedAt.lt(to));
    }
    let per_page = filter.per_page.unwrap_or(DEFAULT_PER_PAGE).clamp(1, MAX_PER_PAGE);
    let page = filter.page.unwrap_or(1).max(1);
    let paginator = query
        .order_by_desc(activity_logs::Column::CreatedAt)
        .order_by_desc(activity_logs::Column::Id)
        .paginate(&state.db, per_page);
    let total = paginator.num_items().await?;
    let rows = paginator.fetch_page(page - 1).await?;

    let user_ids: Vec<String> = rows.iter().filter_map(|r| r.user_id.clone()).collect();
    let emails: std::collections::HashMap<String, String> = if user_ids.is_empty() {
        Default::default()
    } else {
        users::Entity::find()
            .filter(users::Column::Id.is_in(user_ids))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.email))
            .collect()
    };
    let items = rows
        .into_iter()
        .map(|r| ActivityEntry {
            user_email: r.user_id.as_ref().and_then(|id| emails.get(id).cloned()),
            id: r.id,
            user_id: r.user_id,
            action: r.action,
            resource_type: r.resource_type,
            resource_id: r.resource_id,
            metadata: r.metadata.map(|m| m.to_string()),
            ip_address: r.ip_address,
            created_at: r.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
        })
        .collect();
    Ok(Page { items, page, per_page, total })
}
