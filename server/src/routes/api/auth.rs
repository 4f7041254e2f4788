//! `POST /api/auth/login`, `POST /api/auth/logout`, `GET /api/auth/me`.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use protocol::{LoginRequest, LoginResponse, UserView};

use domain::services::auth;
use domain::AppState;

use super::{Caller, ClientIp};
use crate::error::{ApiJson, ApiResult};

#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, description = "Wrong email or password", body = protocol::ErrorBody),
        (status = 422, description = "Invalid body", body = protocol::ErrorBody), (status = 429, description = "Too many failures", body = protocol::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    Ok(Json(auth::login(&state, &body.email, &body.password, ip).await?))
}

/// Records the sign-out and clears the dashboard cookie if one was used.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "Signed out"), (status = 401, body = protocol::ErrorBody)))]
pub async fn logout(State(state): State<AppState>, Caller(ctx): Caller) -> ApiResult<Response> {
    auth::logout(&ctx, &state).await?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, state.auth().clear_cookie())]).into_response())
}

#[utoipa::path(get, path = "/api/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 401, body = protocol::ErrorBody)))]
pub async fn me(Caller(ctx): Caller) -> Json<UserView> {
    Json(ctx.user().clone())
}
