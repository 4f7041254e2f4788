//! /admin/chats (the live inbox, `inbox`) and /admin/chats/:id (one conversation, live, `conversation`): accept,
//! assign, close or resolve, typing both ways, and the visitor panel. Their server functions are here.

use leptos::server_fn::codec::Json;
use protocol::{ChatFilter, ChatForUpdate, ChatMessage, ChatStatus, ChatSummary};

use crate::error::AppError;

mod conversation;
mod inbox;
mod privacy;
mod queue;
mod search;
mod transcript;

pub use conversation::ChatPage;
pub use inbox::ChatsPage;

#[leptos::server(prefix = "/sfn", endpoint = "list_chats", input = Json)]
pub async fn list_chats(filter: ChatFilter) -> Result<Vec<ChatSummary>, AppError> {
    use crate::server::{request::with_ctx, services::chats};
    with_ctx(|state, ctx| async move { chats::list(&ctx, &state, filter).await }).await
}

#[leptos::server(prefix = "/sfn", endpoint = "chat_detail", input = Json)]
pub async fn chat_detail(id: String) -> Result<protocol::ChatDetail, AppError> {
    use crate::server::{request::with_ctx, services::chats};
    with_ctx(|state, ctx| async move { chats::detail(&ctx, &state, &id).await }).await
}

/// The page of messages just before `before_seq` (scrolling up a long conversation).
#[leptos::server(prefix = "/sfn", endpoint = "earlier_messages", input = Json)]
pub async fn earlier_messages(chat_id: String, before_seq: i64) -> Result<Vec<ChatMessage>, AppError> {
    use crate::server::{ctx::Principal, request::with_ctx, services::messages};
    with_ctx(|state, ctx| async move { messages::before(Principal::Agent(&ctx), &state, &chat_id, before_seq).await })
        .await
}

#[leptos::server(prefix = "/sfn", endpoint = "update_chat", input = Json)]
pub async fn update_chat(id: String, input: ChatForUpdate) -> Result<ChatSummary, AppError> {
    use crate::server::{request::with_ctx, services::chats};
    with_ctx(|state, ctx| async move { chats::update(&ctx, &state, &id, input).await }).await
}

#[leptos::server(prefix = "/sfn", endpoint = "update_visitor", input = Json)]
pub async fn update_visitor(
    visitor_id: String,
    contact: protocol::VisitorContact,
) -> Result<protocol::VisitorContact, AppError> {
    use crate::server::{request::with_ctx, services::visitors};
    with_ctx(|state, ctx| async move { visitors::update_contact(&ctx, &state, &visitor_id, contact).await }).await
}

pub(super) fn status_label(status: ChatStatus) -> &'static str {
    match status {
        ChatStatus::Waiting => "Waiting",
        ChatStatus::Ongoing => "Ongoing",
        ChatStatus::Closed => "Closed",
        ChatStatus::Resolved => "Resolved",
        ChatStatus::Offline => "Offline message",
    }
}

/// Who a chat is with: the name they gave, or a readable stand-in.
pub(super) use crate::realtime::chat_label as visitor_label;

pub(super) fn short(id: &str) -> String {
    id.chars().take(8).collect()
}

/// `2026-11-24T06:51:38.123Z` → `2026-11-24 06:51`.
pub(super) fn when(ts: &str) -> String {
    ts.replace('T', " ").chars().take(16).collect()
}
