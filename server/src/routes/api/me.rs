//! `/api/me/availability` and `/api/me/notifications`: the caller's own online / away / offline and idle time, and
//! how the dashboard alerts them.

use axum::extract::State;
use axum::Json;
use protocol::{AgentAvailability, AvailabilityForUpdate, NotificationSettings, NotificationSettingsForUpdate};

use domain::services::{availability, notification_settings};
use domain::AppState;

use super::Caller;
use crate::error::{ApiJson, ApiResult};

#[utoipa::path(get, path = "/api/me/availability", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = AgentAvailability), (status = 401, body = protocol::ErrorBody)))]
pub async fn get_availability(
    State(state): State<AppState>,
    Caller(ctx): Caller,
) -> ApiResult<Json<AgentAvailability>> {
    Ok(Json(availability::get(&ctx, &state).await?))
}

/// Agents of the caller's websites hear a new status (`agent-status`); the widget offers its offline form while no
/// agent of the website is online.
#[utoipa::path(patch, path = "/api/me/availability", tag = "auth", security(("bearer" = [])),
    request_body = AvailabilityForUpdate,
    responses((status = 200, body = AgentAvailability), (status = 401, body = protocol::ErrorBody),
        (status = 422, body = protocol::ErrorBody)))]
pub async fn update_availability(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(body): ApiJson<AvailabilityForUpdate>,
) -> ApiResult<Json<AgentAvailability>> {
    Ok(Json(availability::update(&ctx, &state, body).await?))
}

#[utoipa::path(get, path = "/api/me/notifications", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = NotificationSettings), (status = 401, body = protocol::ErrorBody)))]
pub async fn get_notifications(
    State(state): State<AppState>,
    Caller(ctx): Caller,
) -> ApiResult<Json<NotificationSettings>> {
    Ok(Json(notification_settings::get(&ctx, &state).await?))
}

/// How the dashboard alerts the caller: a chime, a browser notification, and the seconds between repeats while a
/// chat waits for them (0: once).
#[utoipa::path(patch, path = "/api/me/notifications", tag = "auth", security(("bearer" = [])),
    request_body = NotificationSettingsForUpdate,
    responses((status = 200, body = NotificationSettings), (status = 401, body = protocol::ErrorBody),
        (status = 422, body = protocol::ErrorBody)))]
pub async fn update_notifications(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(body): ApiJson<NotificationSettingsForUpdate>,
) -> ApiResult<Json<NotificationSettings>> {
    Ok(Json(notification_settings::update(&ctx, &state, body).await?))
}
