//! `/api/websites`: CRUD, key and identity-secret rotation and widget settings, for integrations (Bearer JWT).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use protocol::{IdentitySecret, Website, WebsiteCreated, WebsiteForCreate, WebsiteForUpdate, WidgetSettings};

use domain::services::{identity, websites, widget_settings};
use domain::AppState;

use super::Caller;
use crate::error::{ApiJson, ApiResult};

#[utoipa::path(get, path = "/api/websites", tag = "websites", security(("bearer" = [])),
    responses((status = 200, body = Vec<Website>), (status = 401, body = protocol::ErrorBody)))]
pub async fn list(State(state): State<AppState>, Caller(ctx): Caller) -> ApiResult<Json<Vec<Website>>> {
    Ok(Json(websites::list(&ctx, &state).await?))
}

#[utoipa::path(post, path = "/api/websites", tag = "websites", security(("bearer" = [])), request_body = WebsiteForCreate,
    responses((status = 201, body = WebsiteCreated), (status = 422, body = protocol::ErrorBody), (status = 401, body = protocol::ErrorBody), (status = 403, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(body): ApiJson<WebsiteForCreate>,
) -> ApiResult<(StatusCode, Json<WebsiteCreated>)> {
    Ok((StatusCode::CREATED, Json(websites::create(&ctx, &state, body).await?)))
}

#[utoipa::path(get, path = "/api/websites/{id}", tag = "websites", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Website), (status = 401, body = protocol::ErrorBody), (status = 403, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Website>> {
    Ok(Json(websites::get(&ctx, &state, &id).await?))
}

#[utoipa::path(put, path = "/api/websites/{id}", tag = "websites", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = WebsiteForUpdate, responses((status = 200, body = Website), (status = 422, body = protocol::ErrorBody), (status = 401, body = protocol::ErrorBody), (status = 403, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WebsiteForUpdate>,
) -> ApiResult<Json<Website>> {
    Ok(Json(websites::update(&ctx, &state, &id, body).await?))
}

#[utoipa::path(delete, path = "/api/websites/{id}", tag = "websites", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204, description = "Deleted with its chats"), (status = 401, body = protocol::ErrorBody), (status = 403, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    websites::delete(&ctx, &state, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/websites/{id}/rotate-key", tag = "websites", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = Website), (status = 401, body = protocol::ErrorBody), (status = 403, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody)))]
pub async fn rotate_key(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Website>> {
    Ok(Json(websites::rotate_key(&ctx, &state, &id).await?))
}

#[utoipa::path(get, path = "/api/websites/{id}/identity-secret", tag = "websites", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, description = "The verified-identity secret (`secret` null until one is created)", body = IdentitySecret), (status = 401, body = protocol::ErrorBody), (status = 403, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody)))]
pub async fn get_identity_secret(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<IdentitySecret>> {
    Ok(Json(identity::secret(&ctx, &state, &id).await?))
}

#[utoipa::path(post, path = "/api/websites/{id}/identity-secret", tag = "websites", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, description = "A new secret: tokens signed with the old one are refused from now on", body = IdentitySecret), (status = 401, body = protocol::ErrorBody), (status = 403, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody)))]
pub async fn rotate_identity_secret(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<IdentitySecret>> {
    Ok(Json(identity::rotate_secret(&ctx, &state, &id).await?))
}

#[utoipa::path(get, path = "/api/websites/{id}/settings", tag = "websites", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = WidgetSettings), (status = 401, body = protocol::ErrorBody), (status = 403, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody)))]
pub async fn get_settings(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<WidgetSettings>> {
    Ok(Json(widget_settings::get(&ctx, &state, &id).await?))
}

#[utoipa::path(put, path = "/api/websites/{id}/settings", tag = "websites", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = WidgetSettings,
    responses((status = 200, body = WidgetSettings), (status = 422, body = protocol::ErrorBody), (status = 401, body = protocol::ErrorBody), (status = 403, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WidgetSettings>,
) -> ApiResult<Json<WidgetSettings>> {
    Ok(Json(widget_settings::update(&ctx, &state, &id, body).await?))
}
