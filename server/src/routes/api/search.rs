//! `GET /api/search`: message text, notes and the visitor's name and email, within the websites the caller sees.

use axum::extract::{Query, State};
use axum::Json;
use protocol::{SearchQuery, SearchResults};

use domain::services::search;
use domain::AppState;

use super::Caller;
use crate::error::ApiResult;

#[utoipa::path(get, path = "/api/search", tag = "chats", security(("bearer" = [])),
    params(("q" = String, Query, description = "Words to find, each also as the start of a longer word; words under 3 characters are left out"),
        ("websiteId" = Option<String>, Query, description = "Only this website's chats"),
        ("page" = Option<u64>, Query, description = "1-based; later pages hold older messages")),
    responses((status = 200, body = SearchResults, description = "Visitors whose name or email matched (first page), then messages newest first, each with its chat and a snippet"),
        (status = 401, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody, description = "A website the caller does not see"),
        (status = 422, body = protocol::ErrorBody, description = "No word of 3 characters or more, or over 200 characters")))]
pub async fn search(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Query(query): Query<SearchQuery>,
) -> ApiResult<Json<SearchResults>> {
    Ok(Json(search::search(&ctx, &state, query).await?))
}
