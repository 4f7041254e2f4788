//! `/api/websites/{id}/webhooks` and `/api/webhooks/{id}`: a website's subscriptions, their secrets and a test POST;
//! `/api/webhook-deliveries`: the delivery log and "send again". Those who manage the website only.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use protocol::{Webhook, WebhookDeliveries, WebhookDelivery, WebhookForCreate, WebhookForUpdate};
use serde::Deserialize;

use domain::services::webhooks;
use domain::AppState;

use super::Caller;
use crate::error::{ApiJson, ApiResult};

/// The website's webhooks, with their secrets.
#[utoipa::path(get, path = "/api/websites/{id}/webhooks", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<Webhook>), (status = 401, body = protocol::ErrorBody),
        (status = 403, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Webhook>>> {
    Ok(Json(webhooks::list(&ctx, &state, &id).await?))
}

/// Subscribes a URL to the website's events; the answer carries the new signing secret.
#[utoipa::path(post, path = "/api/websites/{id}/webhooks", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = WebhookForCreate,
    responses((status = 201, body = Webhook),
        (status = 422, body = protocol::ErrorBody, description = "Not a usable URL (private addresses are refused unless the server allows them), or no event"),
        (status = 401, body = protocol::ErrorBody), (status = 403, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WebhookForCreate>,
) -> ApiResult<(StatusCode, Json<Webhook>)> {
    Ok((StatusCode::CREATED, Json(webhooks::create(&ctx, &state, &id, body).await?)))
}

/// Changes the URL, the events, or pauses and resumes the webhook.
#[utoipa::path(patch, path = "/api/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = WebhookForUpdate,
    responses((status = 200, body = Webhook), (status = 422, body = protocol::ErrorBody),
        (status = 401, body = protocol::ErrorBody), (status = 403, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WebhookForUpdate>,
) -> ApiResult<Json<Webhook>> {
    Ok(Json(webhooks::update(&ctx, &state, &id, body).await?))
}

/// Deletes the webhook and its delivery log.
#[utoipa::path(delete, path = "/api/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = protocol::ErrorBody), (status = 403, body = protocol::ErrorBody),
        (status = 404, body = protocol::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    webhooks::delete(&ctx, &state, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new signing secret; the old one stops at once.
#[utoipa::path(post, path = "/api/webhooks/{id}/rotate-secret", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Webhook), (status = 401, body = protocol::ErrorBody),
        (status = 403, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody)))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Webhook>> {
    Ok(Json(webhooks::rotate_secret(&ctx, &state, &id).await?))
}

/// Queues a `ping` event to the webhook now; the delivery log shows what the receiver answered.
#[utoipa::path(post, path = "/api/webhooks/{id}/ping", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 202, body = WebhookDelivery), (status = 401, body = protocol::ErrorBody),
        (status = 403, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody)))]
pub async fn ping(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<WebhookDelivery>)> {
    Ok((StatusCode::ACCEPTED, Json(webhooks::ping(&ctx, &state, &id).await?)))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// Only this website's deliveries.
    #[serde(default)]
    pub website_id: Option<String>,
    /// Only the deliveries that failed for good.
    #[serde(default)]
    pub failed: bool,
}

/// The newest 100 deliveries of the caller's websites (all for a super admin), and how many failed. Agents get 403.
#[utoipa::path(get, path = "/api/webhook-deliveries", tag = "webhooks", security(("bearer" = [])), params(DeliveryQuery),
    responses((status = 200, body = WebhookDeliveries), (status = 401, body = protocol::ErrorBody),
        (status = 403, body = protocol::ErrorBody)))]
pub async fn deliveries(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Query(q): Query<DeliveryQuery>,
) -> ApiResult<Json<WebhookDeliveries>> {
    Ok(Json(webhooks::deliveries(&ctx, &state, q.website_id.as_deref(), q.failed).await?))
}

/// Sends a delivery again from its first try (signed with the webhook's current secret).
#[utoipa::path(post, path = "/api/webhook-deliveries/{id}/retry", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = WebhookDelivery), (status = 401, body = protocol::ErrorBody),
        (status = 403, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody),
        (status = 422, body = protocol::ErrorBody)))]
pub async fn retry(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<WebhookDelivery>> {
    Ok(Json(webhooks::retry(&ctx, &state, &id).await?))
}
