//! `/api/chats` and `POST /api/messages`: the agent side of chats for integrations (Bearer JWT).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use protocol::{ChatFilter, ChatForUpdate, ChatMessage, ChatSummary, SenderType};
use serde::Deserialize;

use domain::ctx::Principal;
use domain::services::chats;
use domain::services::messages;
use domain::AppState;
use protocol::AppError;

use super::Caller;
use crate::error::{ApiJson, ApiResult};

#[utoipa::path(get, path = "/api/chats", tag = "chats", security(("bearer" = [])),
    params(("websiteId" = Option<String>, Query), ("status" = Option<String>, Query, description = "waiting, ongoing, offline, closed or resolved; `open` or `ended`"),
        ("assignee" = Option<String>, Query, description = "A user id, `me`, or `none`"), ("label" = Option<String>, Query, description = "A label's id"),
        ("page" = Option<u64>, Query, description = "1-based"), ("perPage" = Option<u64>, Query, description = "100 unless given, at most 500")),
    responses((status = 200, body = [ChatSummary], description = "Chats of the websites the caller sees, open ones first, newest first, with `readSeq`"),
        (status = 401, body = protocol::ErrorBody), (status = 422, body = protocol::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Query(filter): Query<ChatFilter>,
) -> ApiResult<Json<Vec<ChatSummary>>> {
    Ok(Json(chats::list(&ctx, &state, filter).await?))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct CountsQuery {
    /// Only this website's chats.
    #[serde(default)]
    website_id: Option<String>,
}

#[utoipa::path(get, path = "/api/chats/counts", tag = "chats", security(("bearer" = [])), params(CountsQuery),
    responses((status = 200, body = protocol::InboxCounts, description = "How many chats each inbox view holds"),
        (status = 401, body = protocol::ErrorBody)))]
pub async fn counts(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Query(q): Query<CountsQuery>,
) -> ApiResult<Json<protocol::InboxCounts>> {
    Ok(Json(chats::counts(&ctx, &state, q.website_id.as_deref()).await?))
}

#[utoipa::path(get, path = "/api/chats/{id}", tag = "chats", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ChatSummary), (status = 401, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ChatSummary>> {
    Ok(Json(chats::get(&ctx, &state, &id).await?))
}

#[utoipa::path(patch, path = "/api/chats/{id}", tag = "chats", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = ChatForUpdate,
    responses((status = 200, body = ChatSummary), (status = 401, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody),
        (status = 422, body = protocol::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ChatForUpdate>,
) -> ApiResult<Json<ChatSummary>> {
    Ok(Json(chats::update(&ctx, &state, &id, body).await?))
}

#[derive(Deserialize)]
pub struct SeqRange {
    #[serde(default)]
    after_seq: i64,
    /// Instead of `after_seq`: the page just before this seq (the conversation's earlier messages).
    #[serde(default)]
    before_seq: Option<i64>,
}

#[utoipa::path(get, path = "/api/chats/{id}/messages", tag = "chats", security(("bearer" = [])),
    params(("id" = String, Path), ("after_seq" = Option<i64>, Query, description = "Only messages with a greater seq (at most 500)"),
        ("before_seq" = Option<i64>, Query, description = "Instead: the 100 messages just before this seq")),
    responses((status = 200, body = [ChatMessage], description = "In seq order, a page at a time"), (status = 401, body = protocol::ErrorBody),
        (status = 404, body = protocol::ErrorBody)))]
pub async fn messages(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Query(q): Query<SeqRange>,
) -> ApiResult<Json<Vec<ChatMessage>>> {
    let principal = Principal::Agent(&ctx);
    Ok(Json(match q.before_seq {
        Some(before) => messages::before(principal, &state, &id, before).await?,
        None => messages::after(principal, &state, &id, q.after_seq).await?,
    }))
}

/// The seed's `POST /api/messages` body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageForCreate {
    chat_id: String,
    content: String,
    /// `text` (the default), or `note` for an internal note only agents see; files are uploaded.
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    sender: Option<SenderType>,
    #[serde(default)]
    client_msg_id: Option<String>,
}

#[utoipa::path(post, path = "/api/messages", tag = "chats", security(("bearer" = [])), request_body = MessageForCreate,
    responses((status = 201, body = ChatMessage, description = "Stored and sent on the socket"),
        (status = 200, body = ChatMessage, description = "A retry of a stored `clientMsgId`: the stored message"),
        (status = 401, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody), (status = 422, body = protocol::ErrorBody)))]
pub async fn send(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    ApiJson(body): ApiJson<MessageForCreate>,
) -> ApiResult<(StatusCode, Json<ChatMessage>)> {
    // Agents speak as themselves; the sender is never taken from the body.
    if body.sender.is_some_and(|s| s != SenderType::Admin) {
        return Err(AppError::validation("sender", "Messages sent with an agent's token come from that agent.").into());
    }
    let cid = body.client_msg_id.as_deref();
    let sent = match body.kind.as_deref().unwrap_or("text") {
        "text" => messages::send(Principal::Agent(&ctx), &state, Some(&body.chat_id), &body.content, cid).await?,
        "note" => messages::send_note(&ctx, &state, &body.chat_id, &body.content, cid).await?,
        _ => {
            let message = "Send `text` or `note` here; files are uploaded.";
            return Err(AppError::validation("type", message).into());
        }
    };
    let status = if sent.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(sent.message)))
}

#[utoipa::path(patch, path = "/api/visitors/{id}", tag = "chats", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = protocol::VisitorContact,
    responses((status = 200, body = protocol::VisitorContact, description = "The visitor's name and email as stored"),
        (status = 422, body = protocol::ErrorBody), (status = 401, body = protocol::ErrorBody), (status = 404, body = protocol::ErrorBody)))]
pub async fn update_visitor(
    State(state): State<AppState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<protocol::VisitorContact>,
) -> ApiResult<Json<protocol::VisitorContact>> {
    Ok(Json(domain::services::visitors::update_contact(&ctx, &state, &id, body).await?))
}
