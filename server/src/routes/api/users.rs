//! `/api/users`: user management for integrations (Bearer JWT).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use protocol::{ManagedUser, PasswordReset, UserForCreate, UserForUpdate};

use domain::services::users;
use domain::AppState;

use super::Caller;
use crate::error::{ApiJson, ApiResult};

#[utoipa::path(get, path = "/api/users", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = Vec<ManagedUser>), (status = 401, body = protocol::ErrorBody), (status = 403, body = protocol::ErrorBody)))]
pub async fn list(State(state): State<AppState>, Caller(ctx): Caller) -> ApiResult<Json<Vec<ManagedUser>>> {
    Ok(Json(users::list(&ctx, &state).await?))
}

#[utoipa::path(post, path = "/api/users", tag = "users", security(("bearer" = [])), request_body = UserForCreate,
    responses((status = 201, body = ManagedUser), (status = 409, body = protocol::ErrorBody), (status = 422, body = protocol::ErrorBody), (status = 401, body = protocol::ErrorBody), (status = 403, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(body): ApiJson<UserForCreate>,
) -> ApiResult<(StatusCode, Json<ManagedUser>)> {
    Ok((StatusCode::CREATED, Json(users::create(&ctx, &state, body).await?)))
}

#[utoipa::path(patch, path = "/api/users/{id}", tag = "users", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = UserForUpdate, responses((status = 200, body = ManagedUser), (status = 409, body = protocol::ErrorBody), (status = 401, body = protocol::ErrorBody), (status = 403, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UserForUpdate>,
) -> ApiResult<Json<ManagedUser>> {
    Ok(Json(users::update(&ctx, &state, &id, body).await?))
}

#[utoipa::path(post, path = "/api/users/{id}/password", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = PasswordReset,
    responses((status = 204, description = "Changed; the user's tokens are revoked"), (status = 422, body = protocol::ErrorBody), (status = 401, body = protocol::ErrorBody), (status = 403, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PasswordReset>,
) -> ApiResult<StatusCode> {
    users::reset_password(&ctx, &state, &id, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}
