//! Webhooks as admins manage them: a website's subscriptions (URL, events, the signing secret, shown to those who
//! manage the website and rotatable), a test POST, the delivery log of their websites with "send again"; and the
//! events the rest of the domain reports ([`chat_created`], [`message_created`], …), handed to `crate::webhooks`,
//! which queues and sends them. Who manages the website manages its webhooks: its owner admin or a super admin;
//! agents get 403, another tenant's webhook 404.

use protocol::{
    AppError, ChatMessage, ChatSummary, EmailStatus, MessageKind, Webhook, WebhookDeliveries, WebhookDelivery,
    WebhookEvent, WebhookForCreate, WebhookForUpdate, MAX_WEBHOOKS_PER_WEBSITE,
};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::json;

use crate::ctx::Ctx;
use crate::entities::{webhook_deliveries, webhooks};
use crate::services::activity::{self, Activity};
use crate::services::now_millis;
use crate::services::websites::find_manageable;
use crate::webhooks::{check_url, delivery, parse_events, Happened};
use crate::AppState;

/// The deliveries the log shows.
pub const LOG_LIMIT: u64 = 100;

fn time(t: chrono::NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn to_view(row: &webhooks::Model) -> Webhook {
    Webhook {
        id: row.id.clone(),
        website_id: row.website_id.clone(),
        url: row.url.clone(),
        events: parse_events(&row.events),
        is_active: row.is_active,
        secret: row.secret.clone(),
        created_at: time(row.created_at),
    }
}

fn new_secret() -> String {
    crate::services::websites::random_key::<24>("whsec_")
}

/// The events as stored: at least one, each one a subscription may name, in the protocol's order.
fn clean_events(events: &[WebhookEvent]) -> Result<String, AppError> {
    let chosen: Vec<&str> =
        WebhookEvent::SUBSCRIBABLE.iter().filter(|e| events.contains(e)).map(|e| e.as_str()).collect();
    if chosen.is_empty() || events.iter().any(|e| !WebhookEvent::SUBSCRIBABLE.contains(e)) {
        return Err(AppError::validation("events", "Choose at least one event."));
    }
    Ok(chosen.join(","))
}

async fn clean_url(state: &AppState, url: &str) -> Result<String, AppError> {
    let allow_private = state.webhooks.allow_private;
    check_url(url, allow_private).await.map_err(|message| AppError::validation("url", message))
}

async fn record(ctx: &Ctx, state: &AppState, action: &'static str, row: &webhooks::Model) -> Result<(), AppError> {
    activity::record(
        ctx,
        &state.db,
        Activity {
            action,
            resource_type: "webhook",
            resource_id: Some(&row.id),
            website_id: Some(&row.website_id),
            metadata: Some(json!({ "url": row.url, "events": row.events })),
        },
    )
    .await
}

/// Changes are heard on this node at once (other nodes read them within seconds).
async fn changed(state: &AppState) {
    if let Err(e) = state.webhooks.refresh(&state.db).await {
        tracing::warn!(error = %e, "webhook subscriptions could not be read");
    }
}

/// The website's webhooks, oldest first.
pub async fn list(ctx: &Ctx, state: &AppState, website_id: &str) -> Result<Vec<Webhook>, AppError> {
    let website = find_manageable(ctx, &state.db, website_id).await?;
    let rows = webhooks::Entity::find()
        .filter(webhooks::Column::WebsiteId.eq(website.id.as_str()))
        .order_by_asc(webhooks::Column::CreatedAt)
        .order_by_asc(webhooks::Column::Id)
        .all(&state.db)
        .await?;
    Ok(rows.iter().map(to_view).collect())
}

pub async fn create(
    ctx: &Ctx,
    state: &AppState,
    website_id: &str,
    input: WebhookForCreate,
) -> Result<Webhook, AppError> {
    let website = find_manageable(ctx, &state.db, website_id).await?;
    let events = clean_events(&input.events)?;
    let url = clean_url(state, &input.url).await?;
    let existing = webhooks::Entity::find().filter(webhooks::Column::WebsiteId.eq(website.id.as_str()));
    if existing.count(&state.db).await? >= MAX_WEBHOOKS_PER_WEBSITE {
        return Err(AppError::validation("url", format!("A website has at most {MAX_WEBHOOKS_PER_WEBSITE} webhooks.")));
    }
    let row = webhooks::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        website_id: Set(website.id.clone()),
        url: Set(url),
        events: Set(events),
        secret: Set(new_secret()),
        is_active: Set(true),
        created_at: Set(now_millis()),
    }
    .insert(&state.db)
    .await?;
    record(ctx, state, "webhook.create", &row).await?;
    changed(state).await;
    Ok(to_view(&row))
}

/// A webhook `ctx` may manage: 404 if they cannot see its website, 403 if they only work on it.
async fn find_manageable_hook(ctx: &Ctx, state: &AppState, id: &str) -> Result<webhooks::Model, AppError> {
    let not_found = || AppError::not_found("Webhook");
    let row = webhooks::Entity::find_by_id(id).one(&state.db).await?.ok_or_else(not_found)?;
    find_manageable(ctx, &state.db, &row.website_id).await.map_err(|e| match e {
        AppError::NotFound(_) => not_found(),
        e => e,
    })?;
    Ok(row)
}

pub async fn update(ctx: &Ctx, state: &AppState, id: &str, input: WebhookForUpdate) -> Result<Webhook, AppError> {
    let row = find_manageable_hook(ctx, state, id).await?;
    let mut active: webhooks::ActiveModel = row.into();
    if let Some(events) = &input.events {
        active.events = Set(clean_events(events)?);
    }
    if let Some(url) = &input.url {
        active.url = Set(clean_url(state, url).await?);
    }
    if let Some(on) = input.is_active {
        active.is_active = Set(on);
    }
    let row = active.update(&state.db).await?;
    record(ctx, state, "webhook.update", &row).await?;
    changed(state).await;
    Ok(to_view(&row))
}

/// Deletes the webhook with its deliveries (the foreign key does).
pub async fn delete(ctx: &Ctx, state: &AppState, id: &str) -> Result<(), AppError> {
    let row = find_manageable_hook(ctx, state, id).await?;
    webhook_deliveries::Entity::delete_many()
        .filter(webhook_deliveries::Column::WebhookId.eq(row.id.as_str()))
        .exec(&state.db)
        .await?;
    webhooks::Entity::delete_by_id(row.id.as_str()).exec(&state.db).await?;
    record(ctx, state, "webhook.delete", &row).await?;
    changed(state).await;
    Ok(())
}

/// A new signing secret; the old one stops signing at once (retries are signed when sent).
pub async fn rotate_secret(ctx: &Ctx, state: &AppState, id: &str) -> Result<Webhook, AppError> {
    let row = find_manageable_hook(ctx, state, id).await?;
    let mut active: webhooks::ActiveModel = row.into();
    active.secret = Set(new_secret());
    let row = active.update(&state.db).await?;
    record(ctx, state, "webhook.rotate_secret", &row).await?;
    Ok(to_view(&row))
}

/// Queues a `ping` to the webhook now (whatever its events, even when paused), for the receiver to be checked.
pub async fn ping(ctx: &Ctx, state: &AppState, id: &str) -> Result<WebhookDelivery, AppError> {
    let hook = find_manageable_hook(ctx, state, id).await?;
    let happened = Happened {
        website_id: hook.website_id.clone(),
        chat_id: None,
        event: WebhookEvent::Ping,
        data: json!({ "webhookId": hook.id, "message": "A test from Helpdesk." }),
        at: now_millis(),
    };
    let row = delivery(&hook, &happened).insert(&state.db).await?;
    state.webhooks.wake();
    Ok(delivery_view(row, &hook.url))
}

fn delivery_view(row: webhook_deliveries::Model, url: &str) -> WebhookDelivery {
    WebhookDelivery {
        next_attempt_at: (row.status == EmailStatus::Pending).then(|| time(row.next_attempt_at)),
        id: row.id,
        webhook_id: row.webhook_id,
        website_id: row.website_id,
        url: url.to_string(),
        event: row.event,
        status: row.status,
        attempts: u16::try_from(row.attempts).unwrap_or(u16::MAX),
        response_status: row.response_status.and_then(|s| u16::try_from(s).ok()),
        last_error: row.last_error,
        created_at: time(row.created_at),
        delivered_at: row.delivered_at.map(time),
    }
}

/// The deliveries `ctx` may see: all for a super admin, their own websites' for an admin, none for agents (403).
fn visible(ctx: &Ctx) -> Result<sea_orm::Select<webhook_deliveries::Entity>, AppError> {
    Ok(match crate::services::websites::owned_ids(ctx)? {
        None => webhook_deliveries::Entity::find(),
        Some(own) => webhook_deliveries::Entity::find().filter(webhook_deliveries::Column::WebsiteId.in_subquery(own)),
    })
}

/// The newest deliveries of the caller's websites (of `website_id` only, failed ones only, when asked).
pub async fn deliveries(
    ctx: &Ctx,
    state: &AppState,
    website_id: Option<&str>,
    failed_only: bool,
) -> Result<WebhookDeliveries, AppError> {
    let mut query = visible(ctx)?;
    let mut failed = visible(ctx)?.filter(webhook_deliveries::Column::Status.eq(EmailStatus::Failed));
    if let Some(website_id) = website_id.filter(|w| !w.is_empty()) {
        query = query.filter(webhook_deliveries::Column::WebsiteId.eq(website_id));
        failed = failed.filter(webhook_deliveries::Column::WebsiteId.eq(website_id));
    }
    if failed_only {
        query = query.filter(webhook_deliveries::Column::Status.eq(EmailStatus::Failed));
    }
    let failed = failed.count(&state.db).await?;
    let rows = query
        .order_by_desc(webhook_deliveries::Column::CreatedAt)
        .order_by_desc(webhook_deliveries::Column::Id)
        .limit(LOG_LIMIT)
        .all(&state.db)
        .await?;
    let mut hook_ids: Vec<&str> = rows.iter().map(|r| r.webhook_id.as_str()).collect();
    hook_ids.sort_unstable();
    hook_ids.dedup();
    let urls: std::collections::HashMap<String, String> = webhooks::Entity::find()
        .select_only()
        .column(webhooks::Column::Id)
        .column(webhooks::Column::Url)
        .filter(webhooks::Column::Id.is_in(hook_ids))
        .into_tuple::<(String, String)>()
        .all(&state.db)
        .await?
        .into_iter()
        .collect();
    let deliveries = rows
        .into_iter()
        .map(|r| {
            let url = urls.get(&r.webhook_id).cloned().unwrap_or_default();
            delivery_view(r, &url)
        })
        .collect();
    Ok(WebhookDeliveries { failed, deliveries })
}

/// Sends a delivery again from its first try (a failed one, or a sent one the receiver lost).
pub async fn retry(ctx: &Ctx, state: &AppState, id: &str) -> Result<WebhookDelivery, AppError> {
    let row = visible(ctx)?
        .filter(webhook_deliveries::Column::Id.eq(id))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("Delivery"))?;
    if row.status == EmailStatus::Pending || row.status == EmailStatus::Sending {
        return Err(AppError::validation("status", "This delivery is waiting for its next try already."));
    }
    let hook = webhooks::Entity::find_by_id(row.webhook_id.as_str())
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("Webhook"))?;
    let now = now_millis();
    webhook_deliveries::Entity::update_many()
        .col_expr(webhook_deliveries::Column::Status, Expr::value(EmailStatus::Pending.as_str()))
        .col_expr(webhook_deliveries::Column::Attempts, Expr::value(0))
        .col_expr(webhook_deliveries::Column::NextAttemptAt, Expr::value(now))
        .filter(webhook_deliveries::Column::Id.eq(id))
        .filter(webhook_deliveries::Column::Status.eq(row.status))
        .exec(&state.db)
        .await?;
    activity::record(
        ctx,
        &state.db,
        Activity {
            action: "webhook.retry",
            resource_type: "webhook_delivery",
            resource_id: Some(id),
            website_id: Some(&row.website_id),
            metadata: None,
        },
    )
    .await?;
    state.webhooks.wake();
    Ok(delivery_view(
        webhook_deliveries::Model { status: EmailStatus::Pending, attempts: 0, next_attempt_at: now, ..row },
        &hook.url,
    ))
}

/// A chat began (a visitor's first message opened it).
pub(crate) fn chat_created(hooks: &crate::webhooks::Webhooks, chat: &ChatSummary) {
    hooks.emit(&chat.website_id, Some(&chat.id), WebhookEvent::ChatCreated, || json!({ "chat": chat }));
}

/// A message was stored; internal notes stay inside the dashboard.
pub(crate) fn message_created(
    hooks: &crate::webhooks::Webhooks,
    website_id: &str,
    chat_id: &str,
    message: &ChatMessage,
) {
    if message.kind == MessageKind::Note {
        return;
    }
    hooks.emit(
        website_id,
        Some(chat_id),
        WebhookEvent::MessageCreated,
        || json!({ "chatId": chat_id, "message": message }),
    );
}

/// A chat was resolved.
pub(crate) fn chat_resolved(hooks: &crate::webhooks::Webhooks, chat: &ChatSummary) {
    hooks.emit(&chat.website_id, Some(&chat.id), WebhookEvent::ChatResolved, || json!({ "chat": chat }));
}

/// A visitor rated a chat (CSAT).
pub(crate) fn chat_rated(hooks: &crate::webhooks::Webhooks, chat: &ChatSummary, rating: &protocol::ChatRating) {
    hooks.emit(&chat.website_id, Some(&chat.id), WebhookEvent::ChatRated, || json!({ "chat": chat, "rating": rating }));
}

/// A visitor left a message while no one was there.
pub(crate) fn offline_message(
    hooks: &crate::webhooks::Webhooks,
    website_id: &str,
    chat_id: &str,
    name: &str,
    email: &str,
    message: &str,
) {
    hooks.emit(
        website_id,
        Some(chat_id),
        WebhookEvent::OfflineMessage,
        || json!({ "chatId": chat_id, "name": name, "email": email, "message": message }),
    );
}
