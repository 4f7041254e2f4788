//! `/api/canned-responses`: shared (per website) and personal canned responses.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use protocol::{CannedResponse, CannedResponseForCreate, CannedResponseForUpdate};
use serde::Deserialize;

use domain::services::canned;
use domain::AppState;

use super::Caller;
use crate::error::{ApiJson, ApiResult};

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct CannedQuery {
    /// Only this website's shared responses (and the caller's personal ones).
    #[serde(default)]
    website_id: Option<String>,
}

#[utoipa::path(get, path = "/api/canned-responses", tag = "canned", security(("bearer" = [])), params(CannedQuery),
    responses((status = 200, body = Vec<CannedResponse>, description = "Shared ones of the websites the caller works on, and their personal ones, by shortcut"),
        (status = 401, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Query(q): Query<CannedQuery>,
) -> ApiResult<Json<Vec<CannedResponse>>> {
    Ok(Json(canned::list(&ctx, &state, q.website_id.as_deref()).await?))
}

#[utoipa::path(post, path = "/api/canned-responses", tag = "canned", security(("bearer" = [])), request_body = CannedResponseForCreate,
    responses((status = 201, body = CannedResponse), (status = 409, body = protocol::ErrorBody, description = "The shortcut is taken"),
        (status = 422, body = protocol::ErrorBody), (status = 401, body = protocol::ErrorBody),
        (status = 403, body = protocol::ErrorBody, description = "A shared response on a website the caller does not manage"),
        (status = 404, body = protocol::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(body): ApiJson<CannedResponseForCreate>,
) -> ApiResult<(StatusCode, Json<CannedResponse>)> {
    Ok((StatusCode::CREATED, Json(canned::create(&ctx, &state, body).await?)))
}

#[utoipa::path(patch, path = "/api/canned-responses/{id}", tag = "canned", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = CannedResponseForUpdate,
    responses((status = 200, body = CannedResponse), (status = 409, body = protocol::ErrorBody), (status = 422, body = protocol::ErrorBody),
        (status = 401, body = protocol::ErrorBody), (status = 403, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CannedResponseForUpdate>,
) -> ApiResult<Json<CannedResponse>> {
    Ok(Json(canned::update(&ctx, &state, &id, body).await?))
}

#[utoipa::path(delete, path = "/api/canned-responses/{id}", tag = "canned", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 401, body = protocol::ErrorBody), (status = 403, body = protocol::ErrorBody),
        (status = 404, body = protocol::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    canned::delete(&ctx, &state, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
