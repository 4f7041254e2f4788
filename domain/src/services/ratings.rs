//! CSAT: a visitor rates their chat once it has ended (1–5, an optional comment; rating again replaces it). The
//! rating keeps the agent who had the chat then; agents see it in the conversation, and the analytics report counts
//! ratings per website and per agent (`analytics::report`).

use protocol::{AppError, ChatRating, ChatRatingForCreate, ChatStatus, MAX_RATING_COMMENT};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

use crate::ctx::{Principal, VisitorCtx};
use crate::entities::chat_ratings;
use crate::services::chats::{find_for, summary, time};
use crate::AppState;

fn view(row: chat_ratings::Model) -> ChatRating {
    ChatRating {
        chat_id: row.chat_id,
        rating: row.rating,
        comment: row.comment,
        agent_id: row.agent_id,
        at: time(row.updated_at),
    }
}

/// The visitor rates one of their chats (404 for any other) once it is closed or resolved.
pub async fn rate(v: &VisitorCtx, state: &AppState, input: &ChatRatingForCreate) -> Result<ChatRating, AppError> {
    if !(1..=5).contains(&input.rating) {
        return Err(AppError::validation("rating", "Choose from 1 to 5."));
    }
    let comment = input.comment.as_deref().map(str::trim).filter(|c| !c.is_empty());
    if comment.is_some_and(|c| c.chars().count() > MAX_RATING_COMMENT) {
        return Err(AppError::validation("comment", format!("Use at most {MAX_RATING_COMMENT} characters.")));
    }
    let chat = find_for(Principal::Visitor(v), &state.db, &input.chat_id).await?;
    if !matches!(chat.status, ChatStatus::Resolved | ChatStatus::Closed) {
        return Err(AppError::validation("chatId", "A chat can be rated once it has ended."));
    }
    let now = chrono::Utc::now().naive_utc();
    let row = match chat_ratings::Entity::find_by_id(chat.id.as_str()).one(&state.db).await? {
        Some(existing) => {
            let mut active: chat_ratings::ActiveModel = existing.into();
            active.rating = Set(input.rating);
            active.comment = Set(comment.map(String::from));
            active.updated_at = Set(now);
            active.update(&state.db).await?
        }
        None => {
            chat_ratings::ActiveModel {
                chat_id: Set(chat.id.clone()),
                website_id: Set(chat.website_id.clone()),
                agent_id: Set(chat.assigned_to.clone()),
                rating: Set(input.rating),
                comment: Set(comment.map(String::from)),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&state.db)
            .await?
        }
    };
    let rating = view(row);
    let chat_summary = summary(&state.db, &chat).await?;
    crate::services::webhooks::chat_rated(&state.webhooks, &chat_summary, &rating);
    Ok(rating)
}

/// A chat's rating, if the visitor gave one (callers have checked access to the chat).
pub(crate) async fn of_chat(db: &impl ConnectionTrait, chat_id: &str) -> Result<Option<ChatRating>, AppError> {
    Ok(chat_ratings::Entity::find_by_id(chat_id).one(db).await?.map(view))
}
