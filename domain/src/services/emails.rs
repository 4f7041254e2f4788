//! What Helpdesk emails, and to whom: an offline message to the website's team, a chat left waiting too long to the
//! same team, and a chat's transcript to its visitor (when they ask, when an agent sends it, or when the website
//! sends it on resolution). Each becomes a row in the outbox with a key that names it (`offline:<chat>:<user>`), so
//! the same email is never queued twice; `mail` sends the rows. Admins see their websites' outbox and send a failed
//! email again. With no SMTP server configured nothing is queued, and asking for a transcript says so.

use std::collections::HashMap;
use std::time::Duration;

use protocol::{AppError, ChatStatus, Email, EmailKind, EmailOverview, EmailStatus, MessageKind, SenderType};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::ctx::{Ctx, Principal, VisitorCtx};
use crate::entities::{chats, emails, messages, users, visitors, website_members, websites};
use crate::mail::cut;
use crate::scoped::Scoped;
use crate::services::chats::find_for;
use crate::services::now_millis;
use crate::AppState;

/// The outbox rows an admin's list shows.
pub const LIST_LIMIT: u64 = 100;
/// How often waiting chats are checked against their website's threshold.
const MISSED_SWEEP_EVERY: Duration = Duration::from_secs(30);
/// Chats that began waiting longer ago than this are never alerted (a server started after a long stop does not
/// mail its team about every old chat at once).
const MISSED_LOOKBACK: chrono::Duration = chrono::Duration::days(1);
/// The most messages a transcript carries; longer chats end with a line saying so.
const TRANSCRIPT_MAX_MESSAGES: u64 = 2000;

/// One email to queue.
struct Outgoing<'a> {
    kind: EmailKind,
    website_id: &'a str,
    chat_id: &'a str,
    recipient: &'a str,
    reply_to: Option<&'a str>,
    subject: String,
    body: String,
    /// Names this email: a second one with the same key is not queued.
    dedupe_key: String,
}

/// Queues `email` unless one with its key was queued before; true when it was queued now.
async fn enqueue(state: &AppState, email: Outgoing<'_>) -> Result<bool, AppError> {
    let now = now_millis();
    let id = uuid::Uuid::now_v7().to_string();
    let row = emails::ActiveModel {
        id: Set(id.clone()),
        kind: Set(email.kind),
        website_id: Set(Some(email.website_id.to_string())),
        chat_id: Set(Some(email.chat_id.to_string())),
        recipient: Set(email.recipient.to_string()),
        reply_to: Set(email.reply_to.map(str::to_string)),
        subject: Set(cut(&email.subject, 255)),
        body: Set(email.body),
        dedupe_key: Set(cut(&email.dedupe_key, 191)),
        status: Set(EmailStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
    };
    emails::Entity::insert(row)
        .on_conflict(
            OnConflict::column(emails::Column::DedupeKey).do_nothing_on([emails::Column::DedupeKey]).to_owned(),
        )
        .exec_without_returning(&state.db)
        .await?;
    // Whether this row went in: MySQL counts a duplicate key as an affected row, so the count cannot tell.
    let inserted = emails::Entity::find_by_id(id).count(&state.db).await? == 1;
    if let (true, Some(mailer)) = (inserted, &state.mailer) {
        mailer.wake();
    }
    Ok(inserted)
}

/// The people who answer a website: its owner and its members, those whose accounts are active.
async fn team(db: &impl ConnectionTrait, website: &websites::Model) -> Result<Vec<users::Model>, AppError> {
    let members = Query::select()
        .column(website_members::Column::UserId)
        .from(website_members::Entity)
        .and_where(website_members::Column::WebsiteId.eq(website.id.as_str()))
        .to_owned();
    Ok(users::Entity::find()
        .filter(users::Column::IsActive.eq(true))
        .filter(
            Condition::any()
                .add(users::Column::Id.eq(website.user_id.as_str()))
                .add(users::Column::Id.in_subquery(members)),
        )
        .order_by_asc(users::Column::Email)
        .all(db)
        .await?)
}

fn chat_link(state: &AppState, chat_id: &str) -> String {
    format!("{}/admin/chats/{chat_id}", state.public_url)
}

/// A visitor's offline message: each of the website's team gets it, with the visitor as the address to reply to.
pub(crate) async fn offline_message(
    state: &AppState,
    chat: &chats::Model,
    name: &str,
    email: &str,
    message: &str,
) -> Result<(), AppError> {
    if state.mailer.is_none() {
        return Ok(());
    }
    let Some(website) = websites::Entity::find_by_id(chat.website_id.as_str()).one(&state.db).await? else {
        return Ok(());
    };
    let link = chat_link(state, &chat.id);
    for user in team(&state.db, &website).await? {
        enqueue(
            state,
            Outgoing {
                kind: EmailKind::Offline,
                website_id: &website.id,
                chat_id: &chat.id,
                recipient: &user.email,
                reply_to: Some(email),
                subject: format!("Offline message from {name} on {}", website.name),
                body: format!(
                    "{name} <{email}> left a message on {} while no one was there to chat:\n\n{message}\n\n\
                     Answer it in Helpdesk: {link}\nor reply to this email to write to {name} directly.\n",
                    website.name
                ),
                dedupe_key: format!("offline:{}:{}", chat.id, user.id),
            },
        )
        .await?;
    }
    Ok(())
}

/// Checks waiting chats against their website's threshold for as long as the process runs.
pub fn missed_chats_in_background(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(MISSED_SWEEP_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = missed_chats(&state).await {
                tracing::warn!(error = %e, "the missed-chat check failed");
            }
        }
    });
}

/// Emails each website's team about the chats that have waited longer than the website allows (once per chat and
/// person). Public for tests, which cannot wait for the sweep.
pub async fn missed_chats(state: &AppState) -> Result<usize, AppError> {
    if state.mailer.is_none() {
        return Ok(0);
    }
    let sites = websites::Entity::find()
        .filter(websites::Column::IsActive.eq(true))
        .filter(websites::Column::MissedChatMinutes.gt(0))
        .all(&state.db)
        .await?;
    let now = now_millis();
    let mut queued = 0;
    for website in sites {
        let waited_since = now - chrono::Duration::minutes(i64::from(website.missed_chat_minutes));
        let waiting = chats::Entity::find()
            .filter(chats::Column::WebsiteId.eq(website.id.as_str()))
            .filter(chats::Column::Status.eq(ChatStatus::Waiting))
            .filter(chats::Column::CreatedAt.lte(waited_since))
            .filter(chats::Column::CreatedAt.gte(waited_since - MISSED_LOOKBACK))
            .order_by_asc(chats::Column::CreatedAt)
            .limit(100)
            .all(&state.db)
            .await?;
        if waiting.is_empty() {
            continue;
        }
        let team = team(&state.db, &website).await?;
        for chat in waiting {
            let visitor = visitor_name(&state.db, &chat.visitor_id).await?;
            let link = chat_link(state, &chat.id);
            for user in &team {
                let email = Outgoing {
                    kind: EmailKind::Missed,
                    website_id: &website.id,
                    chat_id: &chat.id,
                    recipient: &user.email,
                    reply_to: None,
                    subject: format!("A chat on {} has waited over {} min", website.name, website.missed_chat_minutes),
                    body: format!(
                        "{visitor} started a chat on {} at {} UTC and no one has answered yet.\n\nAnswer it: {link}\n",
                        website.name,
                        chat.created_at.format("%Y-%m-%d %H:%M"),
                    ),
                    dedupe_key: format!("missed:{}:{}", chat.id, user.id),
                };
                if enqueue(state, email).await? {
                    queued += 1;
                }
            }
        }
    }
    Ok(queued)
}

async fn visitor_name(db: &impl ConnectionTrait, visitor_id: &str) -> Result<String, AppError> {
    let row = visitors::Entity::find_by_id(visitor_id).one(db).await?;
    Ok(row.and_then(|v| v.name).unwrap_or_else(|| "A visitor".into()))
}

/// The chat as plain text, oldest first: who wrote what and when (UTC). Internal notes never appear in it.
async fn transcript(
    db: &impl ConnectionTrait,
    chat: &chats::Model,
    website: &websites::Model,
) -> Result<(String, i64), AppError> {
    let rows = messages::Entity::find()
        .filter(messages::Column::ChatId.eq(chat.id.as_str()))
        .filter(messages::Column::Kind.ne(MessageKind::Note))
        .order_by_asc(messages::Column::Seq)
        .limit(TRANSCRIPT_MAX_MESSAGES + 1)
        .all(db)
        .await?;
    let agent_ids: Vec<&str> =
        rows.iter().filter(|m| m.sender_type == SenderType::Admin).filter_map(|m| m.sender_id.as_deref()).collect();
    let names: HashMap<String, String> = users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .column(users::Column::Name)
        .filter(users::Column::Id.is_in(agent_ids))
        .into_tuple::<(String, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let visitor = visitor_name(db, &chat.visitor_id).await?;
    let visitor = if visitor == "A visitor" { "You".to_string() } else { visitor };
    let mut text = format!("Your chat with {} on {} (UTC)\n\n", website.name, chat.created_at.format("%Y-%m-%d %H:%M"));
    let mut last_seq = 0;
    for m in rows.iter().take(TRANSCRIPT_MAX_MESSAGES as usize) {
        last_seq = m.seq;
        let time = m.created_at.format("%H:%M");
        let content = match m.kind {
            MessageKind::Text => m.content.clone(),
            MessageKind::Image | MessageKind::File => format!("[file: {}]", m.content),
            MessageKind::Note => continue,
        };
        match m.sender_type {
            SenderType::System => text.push_str(&format!("{time}  — {content}\n")),
            SenderType::Visitor => text.push_str(&format!("{time}  {visitor}: {content}\n")),
            SenderType::Admin => {
                let name = m.sender_id.as_deref().and_then(|id| names.get(id)).map_or("Support", String::as_str);
                text.push_str(&format!("{time}  {name}: {content}\n"));
            }
        }
    }
    if rows.len() as u64 > TRANSCRIPT_MAX_MESSAGES {
        text.push_str(&format!("\n(The first {TRANSCRIPT_MAX_MESSAGES} messages; the chat goes on.)\n"));
    }
    Ok((text, last_seq))
}

/// Queues the chat's transcript to `recipient`. The key holds the last message, so asking twice for the same
/// transcript sends it once, and a longer chat can be sent again.
async fn queue_transcript(
    state: &AppState,
    chat: &chats::Model,
    recipient: &str,
    reply_to: Option<&str>,
) -> Result<bool, AppError> {
    let website =
        websites::Entity::find_by_id(chat.website_id.as_str()).one(&state.db).await?.ok_or(AppError::Internal)?;
    let (body, last_seq) = transcript(&state.db, chat, &website).await?;
    enqueue(
        state,
        Outgoing {
            kind: EmailKind::Transcript,
            website_id: &website.id,
            chat_id: &chat.id,
            recipient,
            reply_to,
            subject: format!("Your chat with {}", website.name),
            body,
            dedupe_key: format!("transcript:{}:{}:{last_seq}", chat.id, recipient.to_lowercase()),
        },
    )
    .await
}

fn mail_configured(state: &AppState) -> Result<(), AppError> {
    match state.mailer {
        Some(_) => Ok(()),
        None => Err(AppError::validation("email", "Email is not set up on this server (HELPDESK_SMTP_URL).")),
    }
}

fn clean_recipient(email: &str) -> Result<String, AppError> {
    let email = email.trim();
    if email.len() > crate::services::visitors::MAX_EMAIL || !crate::services::visitors::plausible_email(email) {
        return Err(AppError::validation("email", "Enter a valid email address."));
    }
    Ok(email.to_string())
}

/// An agent emails the chat's transcript: to `to`, or to the visitor's address when none is given. True when it
/// was queued now (false: the same transcript was queued to that address before).
pub async fn send_transcript(ctx: &Ctx, state: &AppState, chat_id: &str, to: Option<&str>) -> Result<bool, AppError> {
    let chat = find_for(Principal::Agent(ctx), &state.db, chat_id).await?;
    mail_configured(state)?;
    let recipient = match to.map(str::trim).filter(|t| !t.is_empty()) {
        Some(to) => clean_recipient(to)?,
        None => visitors::Entity::find_by_id(chat.visitor_id.as_str())
            .one(&state.db)
            .await?
            .and_then(|v| v.email)
            .ok_or_else(|| AppError::validation("email", "The visitor left no email address: enter one."))?,
    };
    let queued = queue_transcript(state, &chat, &recipient, Some(&ctx.user().email)).await?;
    crate::services::activity::record(
        ctx,
        &state.db,
        crate::services::activity::Activity {
            action: "chat.transcript_email",
            resource_type: "chat",
            resource_id: Some(&chat.id),
            website_id: Some(&chat.website_id),
            metadata: Some(serde_json::json!({ "to": recipient })),
        },
    )
    .await?;
    Ok(queued)
}

/// A visitor asks for their chat's transcript, sent to `email` (kept on the visitor as their address).
pub async fn visitor_transcript(v: &VisitorCtx, state: &AppState, chat_id: &str, email: &str) -> Result<(), AppError> {
    let chat = find_for(Principal::Visitor(v), &state.db, chat_id).await?;
    mail_configured(state)?;
    let recipient = clean_recipient(email)?;
    // One request counts as a message against the visitor's rate, so the form cannot be used to send mail in bulk.
    state.limits.visitor_message(&v.visitor_id).await?;
    visitors::Entity::update_many()
        .col_expr(visitors::Column::Email, Expr::value(recipient.as_str()))
        .filter(visitors::Column::Id.eq(v.visitor_id.as_str()))
        .exec(&state.db)
        .await?;
    queue_transcript(state, &chat, &recipient, None).await?;
    Ok(())
}

/// A chat was resolved: its visitor gets the transcript when the website asks for that and the visitor left an
/// address.
pub(crate) async fn on_resolved(state: &AppState, chat: &Scoped<chats::Model>) -> Result<(), AppError> {
    if state.mailer.is_none() {
        return Ok(());
    }
    let wanted = websites::Entity::find_by_id(chat.website_id.as_str())
        .select_only()
        .column(websites::Column::TranscriptOnResolve)
        .into_tuple::<bool>()
        .one(&state.db)
        .await?
        .unwrap_or(false);
    if !wanted {
        return Ok(());
    }
    let email = visitors::Entity::find_by_id(chat.visitor_id.as_str()).one(&state.db).await?.and_then(|v| v.email);
    if let Some(email) = email {
        queue_transcript(state, chat, &email, None).await?;
    }
    Ok(())
}

/// The outbox rows `ctx` may see: all for a super admin, their own websites' for an admin, none for agents (403).
fn visible(ctx: &Ctx) -> Result<sea_orm::Select<emails::Entity>, AppError> {
    Ok(match crate::services::websites::owned_ids(ctx)? {
        None => emails::Entity::find(),
        Some(own) => emails::Entity::find().filter(emails::Column::WebsiteId.in_subquery(own)),
    })
}

fn to_view(row: emails::Model) -> Email {
    let time = |t: chrono::NaiveDateTime| t.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Email {
        id: row.id,
        kind: row.kind,
        website_id: row.website_id,
        chat_id: row.chat_id,
        recipient: row.recipient,
        subject: row.subject,
        status: row.status,
        attempts: u16::try_from(row.attempts).unwrap_or(u16::MAX),
        last_error: row.last_error,
        created_at: time(row.created_at),
        sent_at: row.sent_at.map(time),
        next_attempt_at: (row.status == EmailStatus::Pending).then(|| time(row.next_attempt_at)),
    }
}

/// What an admin sees of email: whether it is set up, and the newest outbox rows of their websites (failed ones
/// only with `failed_only`).
pub async fn overview(ctx: &Ctx, state: &AppState, failed_only: bool) -> Result<EmailOverview, AppError> {
    let mut query = visible(ctx)?;
    let failed = visible(ctx)?.filter(emails::Column::Status.eq(EmailStatus::Failed)).count(&state.db).await?;
    if failed_only {
        query = query.filter(emails::Column::Status.eq(EmailStatus::Failed));
    }
    let rows = query.order_by_desc(emails::Column::CreatedAt).order_by_desc(emails::Column::Id).limit(LIST_LIMIT);
    Ok(EmailOverview {
        configured: state.mailer.is_some(),
        sender: state.mailer.as_ref().map(|m| m.from()),
        server: state.mailer.as_ref().map(|m| m.server().to_string()),
        failed,
        emails: rows.all(&state.db).await?.into_iter().map(to_view).collect(),
    })
}

/// Sends a failed (or still pending) email again now, from its first try.
pub async fn retry(ctx: &Ctx, state: &AppState, id: &str) -> Result<Email, AppError> {
    let row = visible(ctx)?
        .filter(emails::Column::Id.eq(id))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("Email"))?;
    if row.status == EmailStatus::Sent || row.status == EmailStatus::Sending {
        return Err(AppError::validation("status", "This email was sent already or is being sent."));
    }
    mail_configured(state)?;
    let now = now_millis();
    emails::Entity::update_many()
        .col_expr(emails::Column::Status, Expr::value(EmailStatus::Pending.as_str()))
        .col_expr(emails::Column::Attempts, Expr::value(0))
        .col_expr(emails::Column::NextAttemptAt, Expr::value(now))
        .filter(emails::Column::Id.eq(id))
        .exec(&state.db)
        .await?;
    crate::services::activity::record(
        ctx,
        &state.db,
        crate::services::activity::Activity {
            action: "email.retry",
            resource_type: "email",
            resource_id: Some(id),
            website_id: row.website_id.as_deref(),
            metadata: None,
        },
    )
    .await?;
    if let Some(mailer) = &state.mailer {
        mailer.wake();
    }
    // The email as queued again (a sender may already be at it; the outbox shows what followed).
    Ok(to_view(emails::Model { status: EmailStatus::Pending, attempts: 0, next_attempt_at: now, ..row }))
}
