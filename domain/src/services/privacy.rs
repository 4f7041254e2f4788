//! What is stored about visitors leaves Helpdesk, or goes: chats and one chat's transcript as CSV (within what the
//! caller may see), everything stored about one visitor as JSON, erasing a visitor, and each website's retention
//! period (a sweep deletes ended chats, their files and page views older than it). Deletions name every table
//! themselves rather than lean on ON DELETE CASCADE: MariaDB runs no triggers for cascaded rows, and the analytics
//! and search triggers must see each deleted message and chat.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use protocol::{AppError, ChatFilter, ChatStatus, ChatSummary, SenderType, VisitorErased};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{json, Value};

use crate::ctx::{Ctx, Principal};
use crate::entities::{
    attachments, chat_labels, chat_reads, chats, emails, labels, messages, users, visitor_pages, visitors,
    webhook_deliveries, websites,
};
use crate::services::activity::{self, Activity};
use crate::services::chats::find_for;
use crate::services::{chats as chat_service, now_millis, websites as website_service};
use crate::AppState;

/// The most chats one CSV export holds (newest first past it: narrow the filter for older ones).
pub const EXPORT_MAX_CHATS: usize = 50_000;
/// The most messages a transcript CSV or a visitor's export holds per chat.
pub const EXPORT_MAX_MESSAGES: u64 = 20_000;
/// How often websites' retention periods are applied.
const RETENTION_SWEEP_EVERY: Duration = Duration::from_secs(3600);
/// Chats one retention step deletes, in one short transaction (so the message path never waits long for it).
const RETENTION_BATCH: u64 = 100;
/// A chat export reads the inbox this many chats at a time.
const EXPORT_PAGE: u64 = 500;

/// A CSV cell as a spreadsheet will show it: text a visitor wrote that starts like a formula (`=`, `+`, `-`, `@`,
/// a tab or a carriage return) gets a leading `'`, so opening the export never runs it (CSV injection).
fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// `chats-2026-12-07.csv`: an export's file name, with today's UTC date.
pub fn dated_name(prefix: &str, extension: &str) -> String {
    format!("{prefix}-{}.{extension}", chrono::Utc::now().format("%Y-%m-%d"))
}

fn time(t: &chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn csv_error(e: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %e, "a CSV export could not be written");
    AppError::Internal
}

fn finish(writer: csv::Writer<Vec<u8>>) -> Result<String, AppError> {
    let bytes = writer.into_inner().map_err(csv_error)?;
    String::from_utf8(bytes).map_err(csv_error)
}

/// Names of users by id (agents who answered, assignees).
async fn user_names(db: &impl ConnectionTrait, ids: Vec<&str>) -> Result<HashMap<String, String>, AppError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(users::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .column(users::Column::Name)
        .filter(users::Column::Id.is_in(ids))
        .into_tuple::<(String, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// The chats of the inbox view `filter` names (its page and page size are ignored: every chat, up to
/// [`EXPORT_MAX_CHATS`]), as CSV with a header row, open chats first, newest first, like the inbox.
pub async fn chats_csv(ctx: &Ctx, state: &AppState, mut filter: ChatFilter) -> Result<String, AppError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "chat_id",
        "website",
        "status",
        "visitor",
        "visitor_email",
        "assignee",
        "labels",
        "started_at",
        "ended_at",
        "messages",
        "last_message",
        "resolution",
    ])
    .map_err(csv_error)?;
    let website_names: HashMap<String, String> = website_service::visible(ctx)
        .select_only()
        .column(websites::Column::Id)
        .column(websites::Column::Name)
        .into_tuple::<(String, String)>()
        .all(&state.db)
        .await?
        .into_iter()
        .collect();
    let mut written = 0;
    let mut page = 1;
    loop {
        filter.page = Some(page);
        filter.per_page = Some(EXPORT_PAGE);
        let batch: Vec<ChatSummary> = chat_service::list(ctx, state, filter.clone()).await?;
        let full = batch.len() as u64 == EXPORT_PAGE;
        let assignees = user_names(&state.db, batch.iter().filter_map(|c| c.assigned_to.as_deref()).collect()).await?;
        let visitor_ids: Vec<&str> = batch.iter().map(|c| c.visitor_id.as_str()).collect();
        let emails: HashMap<String, Option<String>> = visitors::Entity::find()
            .select_only()
            .column(visitors::Column::Id)
            .column(visitors::Column::Email)
            .filter(visitors::Column::Id.is_in(visitor_ids))
            .into_tuple::<(String, Option<String>)>()
            .all(&state.db)
            .await?
            .into_iter()
            .collect();
        let label_ids: HashSet<&str> = batch.iter().flat_map(|c| c.labels.iter().map(String::as_str)).collect();
        let label_names: HashMap<String, String> = if label_ids.is_empty() {
            HashMap::new()
        } else {
            labels::Entity::find()
                .select_only()
                .column(labels::Column::Id)
                .column(labels::Column::Name)
                .filter(labels::Column::Id.is_in(label_ids))
                .into_tuple::<(String, String)>()
                .all(&state.db)
                .await?
                .into_iter()
                .collect()
        };
        for chat in &batch {
            if written == EXPORT_MAX_CHATS {
                break;
            }
            let labels: Vec<&str> = chat.labels.iter().filter_map(|l| label_names.get(l).map(String::as_str)).collect();
            out.write_record([
                chat.id.clone(),
                cell(website_names.get(&chat.website_id).map_or("", String::as_str)),
                chat.status.as_str().to_string(),
                cell(chat.visitor_name.as_deref().unwrap_or("")),
                cell(emails.get(&chat.visitor_id).and_then(Option::as_deref).unwrap_or("")),
                cell(chat.assigned_to.as_ref().and_then(|a| assignees.get(a)).map_or("", String::as_str)),
                cell(&labels.join(", ")),
                chat.started_at.clone(),
                chat.ended_at.clone().unwrap_or_default(),
                chat.last_seq.to_string(),
                cell(chat.last_message.as_ref().map_or("", |m| m.text.as_str())),
                cell(chat.resolution.as_deref().unwrap_or("")),
            ])
            .map_err(csv_error)?;
            written += 1;
        }
        if !full || written == EXPORT_MAX_CHATS {
            break;
        }
        page += 1;
    }
    finish(out)
}

/// One chat's messages as CSV, oldest first: seq, time (UTC), who, what. Agents' internal notes are in it (type
/// `note`): the export is for agents, who see them in the conversation.
pub async fn transcript_csv(ctx: &Ctx, state: &AppState, chat_id: &str) -> Result<String, AppError> {
    let chat = find_for(Principal::Agent(ctx), &state.db, chat_id).await?;
    let rows = messages::Entity::find()
        .filter(messages::Column::ChatId.eq(chat.id.as_str()))
        .order_by_asc(messages::Column::Seq)
        .limit(EXPORT_MAX_MESSAGES)
        .all(&state.db)
        .await?;
    let names = user_names(
        &state.db,
        rows.iter().filter(|m| m.sender_type == SenderType::Admin).filter_map(|m| m.sender_id.as_deref()).collect(),
    )
    .await?;
    let visitor = visitors::Entity::find_by_id(chat.visitor_id.as_str()).one(&state.db).await?;
    let visitor = visitor.and_then(|v| v.name).unwrap_or_else(|| "Visitor".into());
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(["seq", "sent_at", "sender_type", "sender", "type", "content"]).map_err(csv_error)?;
    for m in &rows {
        let sender = match m.sender_type {
            SenderType::Visitor => visitor.clone(),
            SenderType::Admin => m.sender_id.as_ref().and_then(|id| names.get(id)).cloned().unwrap_or_default(),
            SenderType::System => String::new(),
        };
        out.write_record([
            m.seq.to_string(),
            time(&m.created_at),
            m.sender_type.as_str().to_string(),
            cell(&sender),
            m.kind.as_str().to_string(),
            cell(&m.content),
        ])
        .map_err(csv_error)?;
    }
    finish(out)
}

/// The visitor and their website, if `ctx` may manage that website (owner admin or super admin): 404 when they
/// cannot see it, 403 when they only answer its chats.
async fn manageable_visitor(ctx: &Ctx, state: &AppState, visitor_id: &str) -> Result<visitors::Model, AppError> {
    let visitor =
        visitors::Entity::find_by_id(visitor_id).one(&state.db).await?.ok_or_else(|| AppError::not_found("Visitor"))?;
    let website = website_service::find_visible(ctx, &state.db, &visitor.website_id)
        .await
        .map_err(|_| AppError::not_found("Visitor"))?;
    if !website_service::can_manage(ctx, &website) {
        return Err(AppError::Forbidden);
    }
    Ok(visitor)
}

/// Everything Helpdesk stores about one visitor, as JSON: the visitor, their page views, their chats with every
/// message (notes included) and file, and the emails sent about their chats (without bodies: those are the
/// transcripts above). For the website's owner or a super admin; recorded in the activity log.
pub async fn export_visitor(ctx: &Ctx, state: &AppState, visitor_id: &str) -> Result<Value, AppError> {
    let visitor = manageable_visitor(ctx, state, visitor_id).await?;
    let db = &state.db;
    let pages = visitor_pages::Entity::find()
        .filter(visitor_pages::Column::VisitorId.eq(visitor.id.as_str()))
        .order_by_asc(visitor_pages::Column::CreatedAt)
        .all(db)
        .await?;
    let chat_rows = chats::Entity::find()
        .filter(chats::Column::VisitorId.eq(visitor.id.as_str()))
        .order_by_asc(chats::Column::CreatedAt)
        .all(db)
        .await?;
    let mut chat_values = Vec::with_capacity(chat_rows.len());
    for chat in &chat_rows {
        let rows = messages::Entity::find()
            .filter(messages::Column::ChatId.eq(chat.id.as_str()))
            .order_by_asc(messages::Column::Seq)
            .limit(EXPORT_MAX_MESSAGES)
            .all(db)
            .await?;
        let files = attachments::Entity::find()
            .filter(attachments::Column::ChatId.eq(chat.id.as_str()))
            .order_by_asc(attachments::Column::CreatedAt)
            .all(db)
            .await?;
        let rating = crate::services::ratings::of_chat(db, &chat.id).await?;
        chat_values.push(json!({
            "id": chat.id,
            "status": chat.status.as_str(),
            "startedAt": time(&chat.started_at),
            "endedAt": chat.ended_at.as_ref().map(time),
            "resolution": chat.resolution,
            "rating": rating.map(|r| json!({ "rating": r.rating, "comment": r.comment, "at": r.at })),
            "messages": rows.iter().map(|m| json!({
                "seq": m.seq,
                "sentAt": time(&m.created_at),
                "senderType": m.sender_type.as_str(),
                "type": m.kind.as_str(),
                "content": m.content,
            })).collect::<Vec<_>>(),
            "files": files.iter().map(|f| json!({
                "id": f.id,
                "name": f.original_name,
                "mime": f.mime,
                "size": f.size,
                "uploadedBy": f.uploader_type,
                "uploadedAt": time(&f.created_at),
            })).collect::<Vec<_>>(),
        }));
    }
    let chat_ids: Vec<&str> = chat_rows.iter().map(|c| c.id.as_str()).collect();
    let (mails, hooks) = if chat_ids.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        let mails = emails::Entity::find()
            .filter(emails::Column::ChatId.is_in(chat_ids.clone()))
            .order_by_asc(emails::Column::CreatedAt)
            .all(db)
            .await?;
        let hooks = webhook_deliveries::Entity::find()
            .filter(webhook_deliveries::Column::ChatId.is_in(chat_ids))
            .order_by_asc(webhook_deliveries::Column::CreatedAt)
            .all(db)
            .await?;
        (mails, hooks)
    };
    activity::record(
        ctx,
        db,
        Activity {
            action: "visitor.export",
            resource_type: "visitor",
            resource_id: Some(&visitor.id),
            website_id: Some(&visitor.website_id),
            metadata: Some(json!({ "chats": chat_rows.len() })),
        },
    )
    .await?;
    Ok(json!({
        "exportedAt": time(&chrono::Utc::now().naive_utc()),
        "visitor": {
            "id": visitor.id,
            "websiteId": visitor.website_id,
            "name": visitor.name,
            "email": visitor.email,
            "customerId": visitor.external_id,
            "consent": visitor.consent_text.as_ref().map(|text| json!({
                "text": text,
                "at": visitor.consented_at.as_ref().map(time),
            })),
            "ipAddress": visitor.ip_address,
            "userAgent": visitor.user_agent,
            "country": visitor.country,
            "firstSeen": time(&visitor.created_at),
            "lastSeen": time(&visitor.last_seen),
        },
        "pages": pages.iter().map(|p| json!({ "url": p.url, "title": p.title, "at": time(&p.created_at) })).collect::<Vec<_>>(),
        "chats": chat_values,
        "emails": mails.iter().map(|m| json!({
            "kind": m.kind.as_str(),
            "recipient": m.recipient,
            "subject": m.subject,
            "status": m.status.as_str(),
            "createdAt": time(&m.created_at),
            "sentAt": m.sent_at.as_ref().map(time),
        })).collect::<Vec<_>>(),
        // What the website's webhooks were sent about their chats, as sent.
        "webhookDeliveries": hooks.iter().map(|d| json!({
            "event": d.event.as_str(),
            "status": d.status.as_str(),
            "createdAt": time(&d.created_at),
            "body": serde_json::from_str::<serde_json::Value>(&d.payload).unwrap_or(serde_json::Value::Null),
        })).collect::<Vec<_>>(),
    }))
}

/// What one deletion removed, and the files to take off the disk once it is committed.
#[derive(Default)]
struct Deleted {
    chats: u64,
    messages: u64,
    pages: u64,
    files: Vec<String>,
}

/// Deletes `chat_ids` with everything hanging on them (messages, files' rows, labels, read positions, outbox
/// rows), in `db` (a transaction); the files' names on disk are returned to remove after the commit.
async fn delete_chats(db: &impl ConnectionTrait, chat_ids: &[String], deleted: &mut Deleted) -> Result<(), AppError> {
    if chat_ids.is_empty() {
        return Ok(());
    }
    let ids = || chat_ids.iter().map(String::as_str);
    let files = attachments::Entity::find().filter(attachments::Column::ChatId.is_in(ids())).all(db).await?;
    for f in files {
        deleted.files.push(f.stored_name);
        deleted.files.extend(f.thumbnail);
    }
    attachments::Entity::delete_many().filter(attachments::Column::ChatId.is_in(ids())).exec(db).await?;
    emails::Entity::delete_many().filter(emails::Column::ChatId.is_in(ids())).exec(db).await?;
    webhook_deliveries::Entity::delete_many().filter(webhook_deliveries::Column::ChatId.is_in(ids())).exec(db).await?;
    chat_labels::Entity::delete_many().filter(chat_labels::Column::ChatId.is_in(ids())).exec(db).await?;
    chat_reads::Entity::delete_many().filter(chat_reads::Column::ChatId.is_in(ids())).exec(db).await?;
    deleted.messages +=
        messages::Entity::delete_many().filter(messages::Column::ChatId.is_in(ids())).exec(db).await?.rows_affected;
    deleted.chats += chats::Entity::delete_many().filter(chats::Column::Id.is_in(ids())).exec(db).await?.rows_affected;
    Ok(())
}

/// Removes uploaded files (and thumbnails) from the disk; one already gone is no error.
async fn remove_files(state: &AppState, names: &[String]) {
    for name in names {
        // Stored names are ours (hex, `.thumb`), never a path: anything else is not touched.
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '.') {
            continue;
        }
        if let Err(e) = tokio::fs::remove_file(state.uploads.dir.join(name)).await {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(file = %name, error = %e, "an erased file could not be removed");
            }
        }
    }
}

/// Erases a visitor: their chats with every message, note and file (also on disk), their page views and the
/// emails about their chats, then the visitor. Their open widget starts again as a new visitor. For the website's
/// owner or a super admin; the activity log records that it happened and how much went, nothing of what it was.
pub async fn erase_visitor(ctx: &Ctx, state: &AppState, visitor_id: &str) -> Result<VisitorErased, AppError> {
    let visitor = manageable_visitor(ctx, state, visitor_id).await?;
    let chat_ids: Vec<String> = chats::Entity::find()
        .select_only()
        .column(chats::Column::Id)
        .filter(chats::Column::VisitorId.eq(visitor.id.as_str()))
        .into_tuple::<String>()
        .all(&state.db)
        .await?;
    let mut deleted = Deleted::default();
    {
        // The lane's turn: on SQLite the message writer waits for this short transaction instead of sleeping in
        // the busy handler.
        let turn = state.lane.turn().await;
        let txn = crate::db::begin_write(turn.db()).await?;
        delete_chats(&txn, &chat_ids, &mut deleted).await?;
        deleted.pages = visitor_pages::Entity::delete_many()
            .filter(visitor_pages::Column::VisitorId.eq(visitor.id.as_str()))
            .exec(&txn)
            .await?
            .rows_affected;
        visitors::Entity::delete_by_id(visitor.id.as_str()).exec(&txn).await?;
        activity::record(
            ctx,
            &txn,
            Activity {
                action: "visitor.erase",
                resource_type: "visitor",
                resource_id: Some(&visitor.id),
                website_id: Some(&visitor.website_id),
                metadata: Some(json!({
                    "chats": deleted.chats,
                    "messages": deleted.messages,
                    "pages": deleted.pages,
                })),
            },
        )
        .await?;
        txn.commit().await?;
    }
    remove_files(state, &deleted.files).await;
    state.hub.disconnect_visitor_everywhere(&visitor.id);
    // Agents looking at the erased chats: the chats are gone from their inbox on the next read.
    Ok(VisitorErased {
        chats: deleted.chats,
        messages: deleted.messages,
        files: deleted.files.iter().filter(|f| !f.ends_with(".thumb")).count() as u64,
        pages: deleted.pages,
    })
}

/// Applies every website's retention period for as long as the process runs.
pub fn retention_in_background(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(RETENTION_SWEEP_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match apply_retention(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(chats = n, "the retention sweep deleted old chats"),
                Err(e) => tracing::warn!(error = %e, "the retention sweep failed"),
            }
        }
    });
}

/// Deletes, for each website with a retention period, the ended chats (closed or resolved) last changed before
/// it with their messages and files, the page views older than it, and the visitors seen last before it who have
/// no chat left. Returns how many chats went. Public for tests, which cannot wait for the sweep.
pub async fn apply_retention(state: &AppState) -> Result<u64, AppError> {
    let sites = websites::Entity::find().filter(websites::Column::RetentionDays.gt(0)).all(&state.db).await?;
    let mut total = 0;
    for website in sites {
        let cutoff = now_millis() - chrono::Duration::days(i64::from(website.retention_days));
        loop {
            let batch: Vec<String> = chats::Entity::find()
                .select_only()
                .column(chats::Column::Id)
                .filter(chats::Column::WebsiteId.eq(website.id.as_str()))
                .filter(chats::Column::Status.is_in([ChatStatus::Closed, ChatStatus::Resolved]))
                .filter(chats::Column::UpdatedAt.lt(cutoff))
                .limit(RETENTION_BATCH)
                .into_tuple::<String>()
                .all(&state.db)
                .await?;
            if batch.is_empty() {
                break;
            }
            let mut deleted = Deleted::default();
            {
                let turn = state.lane.turn().await;
                let txn = crate::db::begin_write(turn.db()).await?;
                delete_chats(&txn, &batch, &mut deleted).await?;
                txn.commit().await?;
            }
            remove_files(state, &deleted.files).await;
            total += deleted.chats;
            if (batch.len() as u64) < RETENTION_BATCH {
                break;
            }
        }
        let of_website = Query::select()
            .column(visitors::Column::Id)
            .from(visitors::Entity)
            .and_where(visitors::Column::WebsiteId.eq(website.id.as_str()))
            .to_owned();
        let with_chats = Query::select()
            .column(chats::Column::VisitorId)
            .from(chats::Entity)
            .and_where(chats::Column::WebsiteId.eq(website.id.as_str()))
            .to_owned();
        let turn = state.lane.turn().await;
        visitor_pages::Entity::delete_many()
            .filter(visitor_pages::Column::VisitorId.in_subquery(of_website))
            .filter(visitor_pages::Column::CreatedAt.lt(cutoff))
            .exec(turn.db())
            .await?;
        // Their page views are older than the cutoff too (they were last seen before it), and went above.
        visitors::Entity::delete_many()
            .filter(visitors::Column::WebsiteId.eq(website.id.as_str()))
            .filter(visitors::Column::LastSeen.lt(cutoff))
            .filter(visitors::Column::Id.not_in_subquery(with_chats))
            .exec(turn.db())
            .await?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_that_look_like_formulas_are_quoted() {
        assert_eq!(cell("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
        assert_eq!(cell("+1 555"), "'+1 555");
        assert_eq!(cell("-2"), "'-2");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("Hello = world"), "Hello = world");
        assert_eq!(cell(""), "");
    }
}
