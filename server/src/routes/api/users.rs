//! `/api/users`: user management for integrations (Bearer JWT).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use protocol::{ManagedUser, PasswordReset, UserForCreate, UserForUpdate};

use app::server::services::users;
use app::server::AppState;

use super::Caller;
use crate::error::{ApiJson, ApiResult};

pub async fn list(State(state): State<AppState>, Caller(ctx): Caller) -> ApiResult<Json<Vec<ManagedUser>>> {
    Ok(Json(users::list(&ctx, &state).await?))
}

pub async fn create(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(body): ApiJson<UserForCreate>,
) -> ApiResult<(StatusCode, Json<ManagedUser>)> {
    Ok((StatusCode::CREATED, Json(users::create(&ctx, &state, body).await?)))
}

pub async fn update(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UserForUpdate>,
) -> ApiResult<Json<ManagedUser>> {
    Ok(Json(users::update(&ctx, &state, &id, body).await?))
}

pub async fn reset_password(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PasswordReset>,
) -> ApiResult<StatusCode> {
    users::reset_password(&ctx, &state, &id, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}
