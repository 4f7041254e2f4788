//! `/api/emails`: the outbox admins watch (what was sent, what failed and why) and "send again"; and
//! `POST /api/chats/{id}/transcript`, an agent emailing a chat's transcript.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use protocol::{Email, EmailOverview, TranscriptQueued, TranscriptRequest};
use serde::Deserialize;

use domain::services::emails;
use domain::AppState;

use super::Caller;
use crate::error::{ApiJson, ApiResult};

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmailQuery {
    /// Only the emails that failed for good.
    #[serde(default)]
    pub failed: bool,
}

/// Whether email is set up, how many failed, and the newest 100 emails of the caller's websites (all for a super
/// admin). Agents get 403.
#[utoipa::path(get, path = "/api/emails", tag = "emails", security(("bearer" = [])), params(EmailQuery),
    responses((status = 200, body = EmailOverview), (status = 401, body = protocol::ErrorBody),
        (status = 403, body = protocol::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Query(query): Query<EmailQuery>,
) -> ApiResult<Json<EmailOverview>> {
    Ok(Json(emails::overview(&ctx, &state, query.failed).await?))
}

/// Sends a failed email again, from its first try.
#[utoipa::path(post, path = "/api/emails/{id}/retry", tag = "emails", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = Email), (status = 401, body = protocol::ErrorBody),
        (status = 403, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody),
        (status = 422, body = protocol::ErrorBody)))]
pub async fn retry(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Email>> {
    Ok(Json(emails::retry(&ctx, &state, &id).await?))
}

/// Emails the chat's transcript (internal notes left out) to `email`, or to the visitor's address. 202 when queued;
/// `queued: false` when that transcript was already queued to that address.
#[utoipa::path(post, path = "/api/chats/{id}/transcript", tag = "chats", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = TranscriptRequest,
    responses((status = 202, body = TranscriptQueued), (status = 401, body = protocol::ErrorBody),
        (status = 404, body = protocol::ErrorBody), (status = 422, body = protocol::ErrorBody)))]
pub async fn transcript(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TranscriptRequest>,
) -> ApiResult<(StatusCode, Json<TranscriptQueued>)> {
    let queued = emails::send_transcript(&ctx, &state, &id, body.email.as_deref()).await?;
    Ok((StatusCode::ACCEPTED, Json(TranscriptQueued { queued })))
}
