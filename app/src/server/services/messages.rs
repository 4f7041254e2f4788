//! Messages: stored with the next per-chat `seq` in the same transaction that takes it, before anyone is told;
//! a retried send with the same client message id returns the stored message and stores nothing; readers resume
//! from a seq.

use protocol::{ChatMessage, ChatStatus, SenderType, ServerEvent};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};

use crate::error::AppError;
use crate::server::ctx::Principal;
use crate::server::entities::{chats, messages};
use crate::server::services::chats::{find_for, open_for_visitor, publish_chat, to_summary};
use crate::server::AppState;

pub const MAX_CONTENT_CHARS: usize = 5000;
pub const MAX_CLIENT_MSG_ID: usize = 64;
/// Most messages one read returns; clients page with `after_seq`.
pub const PAGE: u64 = 500;

pub fn to_view(m: &messages::Model) -> ChatMessage {
    ChatMessage {
        id: m.id.clone(),
        chat_id: m.chat_id.clone(),
        seq: m.seq,
        sender_type: SenderType::parse(&m.sender_type).unwrap_or(SenderType::System),
        sender_id: m.sender_id.clone(),
        content: m.content.clone(),
        kind: m.kind.clone(),
        client_msg_id: m.client_msg_id.clone(),
        created_at: m.created_at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    }
}

fn check(content: &str, client_msg_id: Option<&str>) -> Result<String, AppError> {
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
    if let Some(id) = client_msg_id {
        let ok = !id.is_empty()
            && id.len() <= MAX_CLIENT_MSG_ID
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok {
            return Err(AppError::validation("clientMsgId", "Use up to 64 letters, digits, - or _."));
        }
    }
    Ok(content.to_string())
}

/// The outcome of a send: the stored message, and whether this call stored it (false for a retry).
pub struct Sent {
    pub message: ChatMessage,
    pub created: bool,
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
    let content = check(content, client_msg_id)?;
    let chat = match (principal, chat_id) {
        (_, Some(id)) => find_for(principal, &state.db, id).await?,
        (Principal::Visitor(v), None) => open_for_visitor(v, state).await?,
        (Principal::Agent(_), None) => {
            return Err(AppError::validation("chatId", "Say which chat the message is for."))
        }
    };
    let (sender_type, sender_id) = match principal {
        Principal::Agent(ctx) => (SenderType::Admin, ctx.user_id().to_string()),
        Principal::Visitor(v) => (SenderType::Visitor, v.visitor_id.clone()),
    };
    let now = chrono::Utc::now().naive_utc();

    let txn = state.db.begin().await?;
    // Writing first takes the chat's row lock (MySQL) or the write lock (SQLite) before anything is read, so
    // concurrent senders are serialised and never see the same seq.
    let mut bump = chats::Entity::update_many()
        .col_expr(chats::Column::LastSeq, Expr::col(chats::Column::LastSeq).add(1))
        .col_expr(chats::Column::UpdatedAt, Expr::value(now));
    let taking = matches!(principal, Principal::Agent(_)) && chat.status == ChatStatus::Waiting.as_str();
    if taking {
        bump = bump.col_expr(chats::Column::Status, Expr::value(ChatStatus::Ongoing.as_str()));
        if chat.assigned_to.is_none() {
            bump = bump.col_expr(chats::Column::AssignedTo, Expr::value(sender_id.clone()));
        }
    }
    bump.filter(chats::Column::Id.eq(chat.id.as_str())).exec(&txn).await?;
    if let Some(client_id) = client_msg_id {
        let existing = messages::Entity::find()
            .filter(messages::Column::ChatId.eq(chat.id.as_str()))
            .filter(messages::Column::ClientMsgId.eq(client_id))
            .one(&txn)
            .await?;
        if let Some(existing) = existing {
            txn.rollback().await?;
            return Ok(Sent { message: to_view(&existing), created: false });
        }
    }
    let seq = chats::Entity::find_by_id(chat.id.clone())
        .select_only()
        .column(chats::Column::LastSeq)
        .into_tuple::<i64>()
        .one(&txn)
        .await?
        .ok_or(AppError::Internal)?;
    let stored = messages::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        chat_id: Set(chat.id.clone()),
        seq: Set(seq),
        client_msg_id: Set(client_msg_id.map(String::from)),
        sender_type: Set(sender_type.as_str().into()),
        sender_id: Set(Some(sender_id)),
        content: Set(content),
        kind: Set("text".into()),
        metadata: Set(None),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;

    let message = to_view(&stored);
    publish_chat(state, &chat, ServerEvent::NewMessage { chat_id: chat.id.clone(), message: message.clone() });
    if taking {
        if let Some(updated) = chats::Entity::find_by_id(chat.id.clone()).one(&state.db).await? {
            publish_chat(state, &updated, ServerEvent::ChatUpdated { chat: to_summary(&updated) });
        }
    }
    Ok(Sent { message, created: true })
}

/// Messages of a chat after `after_seq`, in order, at most `PAGE`.
pub async fn after(
    principal: Principal<'_>,
    db: &impl ConnectionTrait,
    chat_id: &str,
    after_seq: i64,
) -> Result<Vec<ChatMessage>, AppError> {
    find_for(principal, db, chat_id).await?;
    let rows = messages::Entity::find()
        .filter(messages::Column::ChatId.eq(chat_id))
        .filter(messages::Column::Seq.gt(after_seq))
        .order_by_asc(messages::Column::Seq)
        .limit(PAGE)
        .all(db)
        .await?;
    Ok(rows.iter().map(to_view).collect())
}
