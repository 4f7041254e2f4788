//! `/api/websites`: CRUD, key rotation and widget settings, for integrations (Bearer JWT).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use protocol::{Website, WebsiteCreated, WebsiteForCreate, WebsiteForUpdate, WidgetSettings};

use app::server::services::{websites, widget_settings};
use app::server::AppState;

use super::Caller;
use crate::error::{ApiJson, ApiResult};

pub async fn list(State(state): State<AppState>, Caller(ctx): Caller) -> ApiResult<Json<Vec<Website>>> {
    Ok(Json(websites::list(&ctx, &state).await?))
}

pub async fn create(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(body): ApiJson<WebsiteForCreate>,
) -> ApiResult<(StatusCode, Json<WebsiteCreated>)> {
    Ok((StatusCode::CREATED, Json(websites::create(&ctx, &state, body).await?)))
}

pub async fn get(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Website>> {
    Ok(Json(websites::get(&ctx, &state, &id).await?))
}

pub async fn update(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WebsiteForUpdate>,
) -> ApiResult<Json<Website>> {
    Ok(Json(websites::update(&ctx, &state, &id, body).await?))
}

pub async fn delete(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    websites::delete(&ctx, &state, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn rotate_key(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Website>> {
    Ok(Json(websites::rotate_key(&ctx, &state, &id).await?))
}

pub async fn get_settings(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<WidgetSettings>> {
    Ok(Json(widget_settings::get(&ctx, &state, &id).await?))
}

pub async fn put_settings(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WidgetSettings>,
) -> ApiResult<Json<WidgetSettings>> {
    Ok(Json(widget_settings::update(&ctx, &state, &id, body).await?))
}
