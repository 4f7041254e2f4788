//! Messages: stored with the next per-chat `seq` in the same transaction that takes it, before anyone is told;
//! a retried send with the same client message id returns the stored message and stores nothing; readers resume
//! from a seq.

mod batch;
mod mysql;
mod sqlite;
mod writer;

use writer::job;
pub use writer::MessageWriter;

use protocol::{Attachment, ChatMessage, ChatStatus, MessageKind};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::ctx::Principal;
use crate::ctx::VisitorCtx;
use crate::entities::{attachments, chats, messages};
use crate::scoped::Scoped;
use crate::services::chats::{find_for, new_chat};
use crate::AppState;
use protocol::AppError;

pub const MAX_CONTENT_CHARS: usize = 5000;
pub const MAX_CLIENT_MSG_ID: usize = 64;
/// Most messages one read returns; clients page with `after_seq`.
pub const PAGE: u64 = 500;
/// Messages the conversation page shows on opening, and per page of earlier ones.
pub const RECENT: u64 = 100;

pub fn to_view(m: &messages::Model) -> ChatMessage {
    let attachment = (m.kind != MessageKind::Text)
        .then(|| m.metadata.clone().and_then(|meta| serde_json::from_value::<Attachment>(meta).ok()))
        .flatten();
    ChatMessage {
        id: m.id.clone(),
        chat_id: m.chat_id.clone(),
        seq: m.seq,
        sender_type: m.sender_type,
        sender_id: m.sender_id.clone(),
        content: m.content.clone(),
        kind: m.kind,
        client_msg_id: m.client_msg_id.clone(),
        created_at: m.created_at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        attachment,
    }
}

/// What a message carries: text, or a stored file (its name becomes the content). A file's row is written in the
/// same transaction as its message, so no participant ever hears of a file that cannot be fetched yet.
pub enum Content {
    Text(String),
    File(Box<(Attachment, attachments::Model)>),
    /// An agent's internal note: stored in the chat's order, told only to agents.
    Note(String),
    /// A line the system writes in the chat ("Anna joined the chat"), with what happened as JSON; its sender is
    /// the agent who caused it.
    System(String, serde_json::Value),
}

pub fn check_client_msg_id(client_msg_id: Option<&str>) -> Result<(), AppError> {
    if let Some(id) = client_msg_id {
        let ok = !id.is_empty()
            && id.len() <= MAX_CLIENT_MSG_ID
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok {
            return Err(AppError::validation("clientMsgId", "Use up to 64 letters, digits, - or _."));
        }
    }
    Ok(())
}

/// A message's text, trimmed, or why it cannot be sent.
pub fn check(content: &str, client_msg_id: Option<&str>) -> Result<String, AppError> {
    let content = content.trim();
    if content.is_empty() {
        return Err(AppError::validation("content", "Write a message first."));
    }
    if content.chars().count() > MAX_CONTENT_CHARS {
        return Err(AppError::validation(
            "content",
            format!("Messages may have at most {MAX_CONTENT_CHARS} characters."),
        ));
    }
    check_client_msg_id(client_msg_id)?;
    Ok(content.to_string())
}

/// The outcome of a send: the stored message, and whether this call stored it (false for a retry).
pub struct Sent {
    pub message: ChatMessage,
    pub created: bool,
    /// This send opened a new chat.
    pub new_chat: bool,
    /// For a visitor's send without a chat id: the open chat it went to (found or created in the write).
    pub opened: Option<Scoped<chats::Model>>,
}

/// Stores a message from `principal` in `chat_id` (visitors may omit it: their open chat, created if needed), then
/// publishes it. Agents answering a waiting chat take it (ongoing, assigned to them if nobody was).
pub async fn send(
    principal: Principal<'_>,
    state: &AppState,
    chat_id: Option<&str>,
    content: &str,
    client_msg_id: Option<&str>,
) -> Result<Sent, AppError> {
    let content = Content::Text(check(content, client_msg_id)?);
    let chat = match (principal, chat_id) {
        (_, Some(id)) => find_for(principal, &state.db, id).await?,
        (Principal::Visitor(v), None) => return send_opening(v, state, content, client_msg_id).await,
        (Principal::Agent(_), None) => {
            return Err(AppError::validation("chatId", "Say which chat the message is for."))
        }
    };
    send_content(principal, state, chat, content, client_msg_id).await
}

/// Stores a visitor's message in their open chat, found in the same write; when they have none, the chat is
/// created in that write too (one batch opens any number of chats) and announced before the message.
pub async fn send_opening(
    v: &VisitorCtx,
    state: &AppState,
    content: Content,
    client_msg_id: Option<&str>,
) -> Result<Sent, AppError> {
    state.limits.visitor_message(&v.visitor_id).await?;
    let mut job = job(Principal::Visitor(v), new_chat(v, ChatStatus::Waiting), content, client_msg_id);
    job.open = true;
    opening(state, v, state.writer.write(job).await)
}

/// A new chat is routed (on websites that route automatically) once it is stored and announced.
fn opening(state: &AppState, v: &VisitorCtx, sent: Result<Sent, AppError>) -> Result<Sent, AppError> {
    if let Ok(Sent { new_chat: true, .. }) = &sent {
        crate::services::routing::dispatch_soon(state, &v.website_id);
    }
    sent
}

/// Stores a file message from `principal` in `chat`, or, for a visitor without one, in their open chat, found or
/// opened by the writer in the same write as any other opening message. The caller has counted it against the
/// visitor's limit already (before processing the file).
pub async fn send_file(
    principal: Principal<'_>,
    state: &AppState,
    chat: Option<Scoped<chats::Model>>,
    file: Content,
    client_msg_id: Option<&str>,
) -> Result<Sent, AppError> {
    match (chat, principal) {
        (Some(chat), _) => write_content(principal, state, chat, file, client_msg_id).await,
        (None, Principal::Visitor(v)) => {
            let mut job = job(principal, new_chat(v, ChatStatus::Waiting), file, client_msg_id);
            job.open = true;
            opening(state, v, state.writer.write(job).await)
        }
        (None, Principal::Agent(_)) => Err(AppError::validation("chatId", "Say which chat the file is for.")),
    }
}

/// Stores an internal note from an agent in `chat_id`: in the chat's order like a message (a retry with the same
/// client id is stored once), heard only by agents, never by the visitor.
pub async fn send_note(
    ctx: &crate::ctx::Ctx,
    state: &AppState,
    chat_id: &str,
    content: &str,
    client_msg_id: Option<&str>,
) -> Result<Sent, AppError> {
    let content = Content::Note(check(content, client_msg_id)?);
    let chat = find_for(Principal::Agent(ctx), &state.db, chat_id).await?;
    write_content(Principal::Agent(ctx), state, chat, content, client_msg_id).await
}

/// Writes a system line in `chat` (already authorised for `ctx`), caused by `ctx`.
pub(crate) async fn send_system(
    ctx: &crate::ctx::Ctx,
    state: &AppState,
    chat: chats::Model,
    text: String,
    event: serde_json::Value,
) -> Result<Sent, AppError> {
    state.writer.write(job(Principal::Agent(ctx), chat, Content::System(text, event), None)).await
}

/// Stores `content` in `chat` (already authorised for `principal`) and publishes it.
pub async fn send_content(
    principal: Principal<'_>,
    state: &AppState,
    chat: Scoped<chats::Model>,
    content: Content,
    client_msg_id: Option<&str>,
) -> Result<Sent, AppError> {
    if let Principal::Visitor(v) = principal {
        state.limits.visitor_message(&v.visitor_id).await?;
    }
    write_content(principal, state, chat, content, client_msg_id).await
}

/// [`send_content`] for a caller that has counted a visitor's message against their limit already (an upload
/// counts before its file is processed, the offline form before its chat is opened).
pub async fn write_content(
    principal: Principal<'_>,
    state: &AppState,
    chat: Scoped<chats::Model>,
    content: Content,
    client_msg_id: Option<&str>,
) -> Result<Sent, AppError> {
    state.writer.write(job(principal, chat.into_inner(), content, client_msg_id)).await
}

/// The messages `principal` may read: a visitor never reads agents' notes (the chat itself is checked by the
/// caller).
fn readable_by(principal: Principal<'_>) -> sea_orm::Select<messages::Entity> {
    let query = messages::Entity::find();
    match principal {
        Principal::Agent(_) => query,
        Principal::Visitor(_) => query.filter(messages::Column::Kind.ne(MessageKind::Note)),
    }
}

/// Messages of a chat after `after_seq` that `principal` may read, in order, at most `PAGE`.
pub async fn after(
    principal: Principal<'_>,
    state: &AppState,
    chat_id: &str,
    after_seq: i64,
) -> Result<Vec<ChatMessage>, AppError> {
    let db = &state.db;
    find_for(principal, db, chat_id).await?;
    let rows = readable_by(principal)
        .filter(messages::Column::ChatId.eq(chat_id))
        .filter(messages::Column::Seq.gt(after_seq))
        .order_by_asc(messages::Column::Seq)
        .limit(PAGE)
        .all(db)
        .await?;
    Ok(rows.iter().map(to_view).collect())
}

/// A chat's last `limit` messages, in seq order (the chat already found for the caller).
pub(crate) async fn latest(
    db: &impl sea_orm::ConnectionTrait,
    chat_id: &str,
    limit: u64,
) -> Result<Vec<ChatMessage>, AppError> {
    let mut rows = messages::Entity::find()
        .filter(messages::Column::ChatId.eq(chat_id))
        .order_by_desc(messages::Column::Seq)
        .limit(limit)
        .all(db)
        .await?;
    rows.reverse();
    Ok(rows.iter().map(to_view).collect())
}

/// The `RECENT` messages of a chat just before `before_seq`, in seq order: the conversation's earlier pages.
pub async fn before(
    principal: Principal<'_>,
    state: &AppState,
    chat_id: &str,
    before_seq: i64,
) -> Result<Vec<ChatMessage>, AppError> {
    find_for(principal, &state.db, chat_id).await?;
    let mut rows = readable_by(principal)
        .filter(messages::Column::ChatId.eq(chat_id))
        .filter(messages::Column::Seq.lt(before_seq))
        .order_by_desc(messages::Column::Seq)
        .limit(RECENT)
        .all(&state.db)
        .await?;
    rows.reverse();
    Ok(rows.iter().map(to_view).collect())
}
