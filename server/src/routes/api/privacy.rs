//! Exports and erasure: `GET /api/chats/export.csv` (an inbox view as CSV), `GET /api/chats/{id}/transcript.csv`,
//! `GET /api/visitors/{id}/export` (everything about one visitor, JSON) and `DELETE /api/visitors/{id}`.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use protocol::{ChatFilter, VisitorErased};

use domain::services::privacy;
use domain::AppState;

use super::attachments::disposition;
use super::Caller;
use crate::error::ApiResult;

/// A download the browser saves as `name`, never cached (it is personal data).
fn download(body: String, mime: &'static str, name: &str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(value) = HeaderValue::from_str(&disposition(name)) {
        h.insert(header::CONTENT_DISPOSITION, value);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    res
}

/// The chats of an inbox view (the filters of `GET /api/chats`, every page) as CSV, at most 50 000.
#[utoipa::path(get, path = "/api/chats/export.csv", tag = "chats", security(("bearer" = [])),
    params(("websiteId" = Option<String>, Query), ("status" = Option<String>, Query, description = "As in `GET /api/chats`"),
        ("assignee" = Option<String>, Query, description = "A user id, `me`, or `none`"), ("label" = Option<String>, Query)),
    responses((status = 200, content_type = "text/csv", description = "chat_id, website, status, visitor, visitor_email, assignee, labels, started_at, ended_at, messages, last_message, resolution"),
        (status = 401, body = protocol::ErrorBody), (status = 422, body = protocol::ErrorBody)))]
pub async fn chats_csv(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Query(filter): Query<ChatFilter>,
) -> ApiResult<Response> {
    let csv = privacy::chats_csv(&ctx, &state, filter).await?;
    Ok(download(csv, "text/csv; charset=utf-8", &privacy::dated_name("chats", "csv")))
}

/// One chat's messages as CSV, internal notes included (type `note`).
#[utoipa::path(get, path = "/api/chats/{id}/transcript.csv", tag = "chats", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, content_type = "text/csv", description = "seq, sent_at (UTC), sender_type, sender, type, content"),
        (status = 401, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody)))]
pub async fn transcript_csv(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let csv = privacy::transcript_csv(&ctx, &state, &id).await?;
    let short: String = id.chars().take(8).collect();
    Ok(download(csv, "text/csv; charset=utf-8", &format!("chat-{short}.csv")))
}

/// Everything stored about one visitor (JSON): the visitor, page views, chats with messages and files, emails.
/// The website's owner or a super admin; recorded in the activity log.
#[utoipa::path(get, path = "/api/visitors/{id}/export", tag = "privacy", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, content_type = "application/json", description = "visitor, pages, chats (messages, files), emails"),
        (status = 401, body = protocol::ErrorBody), (status = 403, body = protocol::ErrorBody),
        (status = 404, body = protocol::ErrorBody)))]
pub async fn export_visitor(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let data = privacy::export_visitor(&ctx, &state, &id).await?;
    let body = serde_json::to_string_pretty(&data).map_err(|e| {
        tracing::error!(error = %e, "a visitor export could not be written");
        protocol::AppError::Internal
    })?;
    let short: String = id.chars().take(8).collect();
    Ok(download(body, "application/json", &format!("visitor-{short}.json")))
}

/// Erases a visitor: their chats, messages, notes and files (also on disk), page views and the emails about their
/// chats. The website's owner or a super admin; recorded (without the data) in the activity log.
#[utoipa::path(delete, path = "/api/visitors/{id}", tag = "privacy", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = VisitorErased), (status = 401, body = protocol::ErrorBody),
        (status = 403, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody)))]
pub async fn erase_visitor(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<VisitorErased>> {
    Ok(Json(privacy::erase_visitor(&ctx, &state, &id).await?))
}
