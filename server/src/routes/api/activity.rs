//! `GET /api/activity`: the activity log with filters and pagination.

use axum::extract::{Query, State};
use axum::Json;
use protocol::{ActivityEntry, ActivityFilter, Page};

use domain::services::activity;
use domain::AppState;

use super::Caller;
use crate::error::{ApiError, ApiResult};

#[utoipa::path(get, path = "/api/activity", tag = "activity", security(("bearer" = [])), params(ActivityFilter),
    responses((status = 200, body = Page<ActivityEntry>), (status = 401, body = protocol::ErrorBody), (status = 422, body = protocol::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    filter: Result<Query<ActivityFilter>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Page<ActivityEntry>>> {
    let Query(filter) =
        filter.map_err(|e| ApiError::Request(axum::http::StatusCode::BAD_REQUEST, "bad_request", e.body_text()))?;
    Ok(Json(activity::list(&ctx, &state, filter).await?))
}
