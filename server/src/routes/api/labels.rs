//! `/api/labels`: each website's labels; `/api/chats/{id}/labels` puts them on chats.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use protocol::{ChatLabelsUpdate, ChatSummary, Label, LabelForCreate, LabelForUpdate};
use serde::Deserialize;

use domain::services::labels;
use domain::AppState;

use super::Caller;
use crate::error::{ApiJson, ApiResult};

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct LabelQuery {
    /// Only this website's labels.
    #[serde(default)]
    website_id: Option<String>,
}

#[utoipa::path(get, path = "/api/labels", tag = "labels", security(("bearer" = [])), params(LabelQuery),
    responses((status = 200, body = Vec<Label>, description = "The labels of the websites the caller sees"),
        (status = 401, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Query(q): Query<LabelQuery>,
) -> ApiResult<Json<Vec<Label>>> {
    Ok(Json(labels::list(&ctx, &state, q.website_id.as_deref()).await?))
}

#[utoipa::path(post, path = "/api/labels", tag = "labels", security(("bearer" = [])), request_body = LabelForCreate,
    responses((status = 201, body = Label), (status = 409, body = protocol::ErrorBody, description = "The name is taken on this website"),
        (status = 422, body = protocol::ErrorBody), (status = 401, body = protocol::ErrorBody), (status = 403, body = protocol::ErrorBody),
        (status = 404, body = protocol::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(body): ApiJson<LabelForCreate>,
) -> ApiResult<(StatusCode, Json<Label>)> {
    Ok((StatusCode::CREATED, Json(labels::create(&ctx, &state, body).await?)))
}

#[utoipa::path(patch, path = "/api/labels/{id}", tag = "labels", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = LabelForUpdate,
    responses((status = 200, body = Label), (status = 409, body = protocol::ErrorBody), (status = 422, body = protocol::ErrorBody),
        (status = 401, body = protocol::ErrorBody), (status = 403, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<LabelForUpdate>,
) -> ApiResult<Json<Label>> {
    Ok(Json(labels::update(&ctx, &state, &id, body).await?))
}

#[utoipa::path(delete, path = "/api/labels/{id}", tag = "labels", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204, description = "Deleted, and taken off every chat"), (status = 401, body = protocol::ErrorBody),
        (status = 403, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    labels::delete(&ctx, &state, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(patch, path = "/api/chats/{id}/labels", tag = "labels", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = ChatLabelsUpdate,
    responses((status = 200, body = ChatSummary, description = "The chat with its labels"), (status = 422, body = protocol::ErrorBody, description = "A label of another website"),
        (status = 401, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody)))]
pub async fn set_on_chat(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ChatLabelsUpdate>,
) -> ApiResult<Json<ChatSummary>> {
    Ok(Json(labels::set_on_chat(&ctx, &state, &id, body).await?))
}
