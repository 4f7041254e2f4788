//! `GET /api/analytics`: a range's figures over the caller's websites (definitions in `docs/analytics.md`).

use axum::extract::{Query, State};
use axum::Json;
use protocol::{AnalyticsQuery, AnalyticsReport};

use domain::services::analytics;
use domain::AppState;

use super::Caller;
use crate::error::{ApiError, ApiResult};

#[utoipa::path(get, path = "/api/analytics", tag = "analytics", security(("bearer" = [])), params(AnalyticsQuery),
    responses((status = 200, body = AnalyticsReport), (status = 401, body = protocol::ErrorBody),
        (status = 404, body = protocol::ErrorBody), (status = 422, body = protocol::ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    query: Result<Query<AnalyticsQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<AnalyticsReport>> {
    let Query(query) =
        query.map_err(|e| ApiError::Request(axum::http::StatusCode::BAD_REQUEST, "bad_request", e.body_text()))?;
    Ok(Json(analytics::report(&ctx, &state, &query).await?))
}
