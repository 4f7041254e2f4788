//! Chats: who may see which (agents: chats of the websites they see; visitors: their own), a visitor's open chat,
//! the inbox list, and changes of status, assignee and resolution — each published to the hub.

use protocol::{
    ChatDetail, ChatFilter, ChatForUpdate, ChatStatus, ChatSummary, SenderType, ServerEvent, UserView, VisitorInfo,
    INBOX_PAGE, MAX_INBOX_PAGE,
};
use std::collections::HashMap;

use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Select, Set,
};

use crate::ctx::{Ctx, Principal, VisitorCtx};
use crate::entities::{chat_labels, chat_reads, chats, messages, visitors, website_members, websites};
use crate::events::{self, Audience};
use crate::scoped::Scoped;
use crate::services::activity::{self, Activity};
use crate::services::websites::visible as visible_websites;
use crate::AppState;
use protocol::AppError;

pub const MAX_RESOLUTION_LEN: usize = 2000;

pub(crate) fn time(t: chrono::NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// `last_seq`: the chat's last message seq (0 before its first), from [`last_seqs`].
pub fn to_summary(chat: &chats::Model, last_seq: i64) -> ChatSummary {
    ChatSummary {
        id: chat.id.clone(),
        website_id: chat.website_id.clone(),
        visitor_id: chat.visitor_id.clone(),
        assigned_to: chat.assigned_to.clone(),
        status: chat.status,
        resolution: chat.resolution.clone(),
        last_seq,
        started_at: time(chat.started_at),
        ended_at: chat.ended_at.map(time),
        updated_at: time(chat.updated_at),
        read_seq: None,
        labels: Vec::new(),
        visitor_name: None,
        last_message: None,
        visitor_read_seq: chat.visitor_read_seq,
    }
}

/// Each chat's last seq (chats without messages are left out), read from the messages' `(chat_id, seq)` index.
/// Chats keep no counter, so storing a message never rewrites its chat's row.
pub async fn last_seqs(db: &impl ConnectionTrait, ids: &[&str]) -> Result<HashMap<String, i64>, DbErr> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = messages::Entity::find()
        .select_only()
        .column(messages::Column::ChatId)
        .column_as(messages::Column::Seq.max(), "last_seq")
        .filter(messages::Column::ChatId.is_in(ids.iter().copied()))
        .group_by(messages::Column::ChatId)
        .into_tuple::<(String, i64)>()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Summaries of `chats`, in their order, as agents see them: with their labels, the visitor's name and the last
/// message (four grouped reads, whatever the number of chats).
pub(crate) async fn summaries(db: &impl ConnectionTrait, chats: &[chats::Model]) -> Result<Vec<ChatSummary>, AppError> {
    let mut out = plain_summaries(db, chats).await?;
    if out.is_empty() {
        return Ok(out);
    }
    let ids: Vec<&str> = chats.iter().map(|c| c.id.as_str()).collect();
    let mut labels: HashMap<String, Vec<String>> = HashMap::new();
    for row in chat_labels::Entity::find()
        .filter(chat_labels::Column::ChatId.is_in(ids.iter().copied()))
        .order_by_asc(chat_labels::Column::CreatedAt)
        .order_by_asc(chat_labels::Column::LabelId)
        .all(db)
        .await?
    {
        labels.entry(row.chat_id).or_default().push(row.label_id);
    }
    let visitor_ids: Vec<&str> = chats.iter().map(|c| c.visitor_id.as_str()).collect();
    let names: HashMap<String, String> = visitors::Entity::find()
        .select_only()
        .column(visitors::Column::Id)
        .column(visitors::Column::Name)
        .filter(visitors::Column::Id.is_in(visitor_ids))
        .filter(visitors::Column::Name.is_not_null())
        .into_tuple::<(String, Option<String>)>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(id, name)| Some((id, name?)))
        .collect();
    let mut last_of = sea_orm::Condition::any();
    for s in out.iter().filter(|s| s.last_seq > 0) {
        last_of = last_of.add(
            sea_orm::Condition::all()
                .add(messages::Column::ChatId.eq(s.id.as_str()))
                .add(messages::Column::Seq.eq(s.last_seq)),
        );
    }
    let mut last: HashMap<String, protocol::MessagePreview> = HashMap::new();
    if !last_of.is_empty() {
        for m in messages::Entity::find().filter(last_of).all(db).await? {
            last.insert(m.chat_id.clone(), protocol::MessagePreview::of(&crate::services::messages::to_view(&m)));
        }
    }
    for s in &mut out {
        s.labels = labels.remove(&s.id).unwrap_or_default();
        s.visitor_name = names.get(&s.visitor_id).cloned();
        s.last_message = last.remove(&s.id);
    }
    Ok(out)
}

/// Summaries of `chats` with their last seqs only: what a visitor's own chats need.
pub(crate) async fn plain_summaries(
    db: &impl ConnectionTrait,
    chats: &[chats::Model],
) -> Result<Vec<ChatSummary>, AppError> {
    let ids: Vec<&str> = chats.iter().map(|c| c.id.as_str()).collect();
    let last = last_seqs(db, &ids).await?;
    Ok(chats.iter().map(|c| to_summary(c, last.get(&c.id).copied().unwrap_or(0))).collect())
}

pub(crate) async fn summary(db: &impl ConnectionTrait, chat: &chats::Model) -> Result<ChatSummary, AppError> {
    let mut one = summaries(db, std::slice::from_ref(chat)).await?;
    one.pop().ok_or(AppError::Internal)
}

/// `list` with the acting agent's read position in each chat (`readSeq`), for their unread counts.
pub async fn with_read_seqs(ctx: &Ctx, db: &impl ConnectionTrait, list: &mut [ChatSummary]) -> Result<(), AppError> {
    let ids: Vec<&str> = list.iter().map(|c| c.id.as_str()).collect();
    let read: HashMap<String, i64> = if ids.is_empty() {
        HashMap::new()
    } else {
        chat_reads::Entity::find()
            .select_only()
            .column(chat_reads::Column::ChatId)
            .column(chat_reads::Column::LastReadSeq)
            .filter(chat_reads::Column::UserId.eq(ctx.user_id()))
            .filter(chat_reads::Column::ChatId.is_in(ids))
            .into_tuple::<(String, i64)>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    for chat in list {
        chat.read_seq = Some(read.get(&chat.id).copied().unwrap_or(0));
    }
    Ok(())
}

/// The acting agent has read `chat_id` up to `seq` (never moves back: another tab may report an older position).
pub async fn mark_read(ctx: &Ctx, state: &AppState, chat_id: &str, seq: i64) -> Result<(), AppError> {
    if seq < 0 {
        return Err(AppError::validation("seq", "A seq is 0 or more."));
    }
    let chat = find_for(Principal::Agent(ctx), &state.db, chat_id).await?;
    record_read(ctx, state, &chat, seq).await
}

/// [`mark_read`] for a chat already found for `ctx` (`find_for`). Written in the message writer's turn, through
/// its connection, like every write on the chat path.
pub async fn record_read(ctx: &Ctx, state: &AppState, chat: &Scoped<chats::Model>, seq: i64) -> Result<(), AppError> {
    let now = crate::services::now_millis();
    let turn = state.lane.turn().await;
    let moved = chat_reads::Entity::update_many()
        .col_expr(chat_reads::Column::LastReadSeq, seq.into())
        .col_expr(chat_reads::Column::UpdatedAt, now.into())
        .filter(chat_reads::Column::UserId.eq(ctx.user_id()))
        .filter(chat_reads::Column::ChatId.eq(chat.id.as_str()))
        .filter(chat_reads::Column::LastReadSeq.lt(seq))
        .exec(turn.db())
        .await?;
    if moved.rows_affected == 0 {
        let first = chat_reads::ActiveModel {
            user_id: Set(ctx.user_id().to_string()),
            chat_id: Set(chat.id.clone()),
            last_read_seq: Set(seq),
            updated_at: Set(now),
        };
        // Already there at this seq or later: nothing to do.
        let insert = chat_reads::Entity::insert(first)
            .on_conflict(
                sea_orm::sea_query::OnConflict::columns([chat_reads::Column::UserId, chat_reads::Column::ChatId])
                    // MySQL has no DO NOTHING: `ON DUPLICATE KEY UPDATE user_id = user_id` there.
                    .do_nothing_on([chat_reads::Column::UserId])
                    .to_owned(),
            )
            .exec_without_returning(turn.db())
            .await;
        match insert {
            Ok(_) => {}
            Err(DbErr::RecordNotInserted) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
    drop(turn);
    // The visitor's read receipt.
    if let Some(seq) = visitor_receipt(&state.db, &chat.id, seq).await? {
        let event = ServerEvent::Read { chat_id: chat.id.clone(), seq, sender_type: SenderType::Admin };
        events::publish(&state.hub, Audience::Visitor { visitor_id: &chat.visitor_id }, &event, None);
    }
    Ok(())
}

/// What a visitor's read receipt names, once agents have read `chat_id` up to `read_seq`: the seq of the visitor's
/// last message up to there (the widget marks that message "Read"), if any.
pub async fn visitor_receipt(db: &impl ConnectionTrait, chat_id: &str, read_seq: i64) -> Result<Option<i64>, DbErr> {
    let seq = messages::Entity::find()
        .select_only()
        .column_as(messages::Column::Seq.max(), "seq")
        .filter(messages::Column::ChatId.eq(chat_id))
        .filter(messages::Column::Seq.lte(read_seq))
        .filter(messages::Column::SenderType.eq(SenderType::Visitor))
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?;
    Ok(seq.flatten())
}

/// The visitor has seen `chat_id` up to `seq` (capped at its last message; never moves back). The website's agents
/// hear it: their replies up to there were read.
pub async fn mark_seen(v: &VisitorCtx, state: &AppState, chat_id: &str, seq: i64) -> Result<(), AppError> {
    if seq < 0 {
        return Err(AppError::validation("seq", "A seq is 0 or more."));
    }
    let chat = find_for(Principal::Visitor(v), &state.db, chat_id).await?;
    let last = last_seqs(&state.db, &[chat.id.as_str()]).await?.get(&chat.id).copied().unwrap_or(0);
    let seq = seq.min(last);
    if seq <= chat.visitor_read_seq {
        return Ok(());
    }
    let turn = state.lane.turn().await;
    let moved = chats::Entity::update_many()
        .col_expr(chats::Column::VisitorReadSeq, seq.into())
        .filter(chats::Column::Id.eq(chat.id.as_str()))
        .filter(chats::Column::VisitorReadSeq.lt(seq))
        .exec(turn.db())
        .await?;
    drop(turn);
    if moved.rows_affected > 0 {
        let event = ServerEvent::Read { chat_id: chat.id.clone(), seq, sender_type: SenderType::Visitor };
        events::publish(&state.hub, Audience::Agents { website_id: &chat.website_id }, &event, None);
    }
    Ok(())
}

/// How far agents have read each of these chats (the furthest any agent got), for the visitor's read receipts.
pub async fn agent_read_seqs(db: &impl ConnectionTrait, ids: &[&str]) -> Result<HashMap<String, i64>, DbErr> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = chat_reads::Entity::find()
        .select_only()
        .column(chat_reads::Column::ChatId)
        .column_as(chat_reads::Column::LastReadSeq.max(), "seq")
        .filter(chat_reads::Column::ChatId.is_in(ids.iter().copied()))
        .group_by(chat_reads::Column::ChatId)
        .into_tuple::<(String, Option<i64>)>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(id, seq)| (id, seq.unwrap_or(0))).collect())
}

/// Chats of the websites `ctx` may see.
pub fn visible(ctx: &Ctx) -> Select<chats::Entity> {
    if ctx.is_super_admin() {
        return chats::Entity::find();
    }
    let sites = visible_websites(ctx).select_only().column(websites::Column::Id).into_query();
    chats::Entity::find().filter(chats::Column::WebsiteId.in_subquery(sites))
}

/// A chat the principal may see, or 404.
pub async fn find_for(
    principal: Principal<'_>,
    db: &impl ConnectionTrait,
    chat_id: &str,
) -> Result<Scoped<chats::Model>, AppError> {
    let query = match principal {
        Principal::Agent(ctx) => visible(ctx).filter(chats::Column::Id.eq(chat_id)),
        Principal::Visitor(v) => chats::Entity::find_by_id(chat_id)
            .filter(chats::Column::VisitorId.eq(v.visitor_id.as_str()))
            .filter(chats::Column::WebsiteId.eq(v.website_id.as_str())),
    };
    query.one(db).await?.map(Scoped::vouch).ok_or_else(|| AppError::not_found("Chat"))
}

/// The visitor's chats, newest first.
pub(crate) async fn of_visitor(v: &VisitorCtx, db: &impl ConnectionTrait) -> Result<Vec<chats::Model>, AppError> {
    Ok(chats::Entity::find()
        .filter(chats::Column::VisitorId.eq(v.visitor_id.as_str()))
        .filter(chats::Column::WebsiteId.eq(v.website_id.as_str()))
        .order_by_desc(chats::Column::CreatedAt)
        .all(db)
        .await?)
}

/// Statuses of a chat a visitor's next message goes to.
pub fn open_statuses() -> [ChatStatus; 2] {
    [ChatStatus::Waiting, ChatStatus::Ongoing]
}

/// A chat of the visitor that is not stored yet.
pub fn new_chat(v: &VisitorCtx, status: ChatStatus) -> chats::Model {
    let now = super::now_millis();
    chats::Model {
        id: uuid::Uuid::now_v7().to_string(),
        website_id: v.website_id.clone(),
        visitor_id: v.visitor_id.clone(),
        assigned_to: None,
        status,
        resolution: None,
        started_at: now,
        ended_at: None,
        created_at: now,
        updated_at: now,
        first_visitor_at: None,
        first_response_at: None,
        first_response_by: None,
        visitor_read_seq: 0,
    }
}

/// A new chat of the visitor, announced to the website's agents.
pub async fn create(v: &VisitorCtx, state: &AppState, status: ChatStatus) -> Result<Scoped<chats::Model>, AppError> {
    let turn = state.lane.turn().await;
    let chat = chats::ActiveModel::from(new_chat(v, status)).insert(turn.db()).await?;
    drop(turn);
    let summary = to_summary(&chat, 0);
    events::chat_changed(&state.hub, &summary, true);
    crate::services::webhooks::chat_created(&state.webhooks, &summary);
    Ok(Scoped::vouch(chat))
}

/// The inbox: open chats first (waiting, ongoing, offline), newest first within each, a page at a time.
pub async fn list(ctx: &Ctx, state: &AppState, filter: ChatFilter) -> Result<Vec<ChatSummary>, AppError> {
    let mut query = visible(ctx);
    if let Some(w) = filter.website_id.as_deref().filter(|s| !s.is_empty()) {
        query = query.filter(chats::Column::WebsiteId.eq(w));
    }
    if let Some(s) = filter.status.as_deref().filter(|s| !s.is_empty()) {
        query = query.filter(chats::Column::Status.is_in(statuses(s)?));
    }
    match filter.assignee.as_deref() {
        Some("none") => query = query.filter(chats::Column::AssignedTo.is_null()),
        Some("me") => query = query.filter(chats::Column::AssignedTo.eq(ctx.user_id())),
        Some(a) if !a.is_empty() => query = query.filter(chats::Column::AssignedTo.eq(a)),
        _ => {}
    }
    if let Some(label) = filter.label.as_deref().filter(|l| !l.is_empty()) {
        let carrying = Query::select()
            .column(chat_labels::Column::ChatId)
            .from(chat_labels::Entity)
            .and_where(chat_labels::Column::LabelId.eq(label))
            .to_owned();
        query = query.filter(chats::Column::Id.in_subquery(carrying));
    }
    let per_page = filter.per_page.unwrap_or(INBOX_PAGE).clamp(1, MAX_INBOX_PAGE);
    let page = filter.page.unwrap_or(1).max(1);
    // Open chats first (what an agent must answer), newest first within each group; the id breaks ties so pages
    // never overlap.
    let open_first = Expr::case(chats::Column::Status.eq(ChatStatus::Waiting.as_str()), 0)
        .case(chats::Column::Status.eq(ChatStatus::Ongoing.as_str()), 1)
        .case(chats::Column::Status.eq(ChatStatus::Offline.as_str()), 2)
        .finally(3);
    let rows = query
        .order_by(Into::<sea_orm::sea_query::SimpleExpr>::into(open_first), Order::Asc)
        .order_by_desc(chats::Column::CreatedAt)
        .order_by_desc(chats::Column::Id)
        .offset((page - 1).saturating_mul(per_page))
        .limit(per_page)
        .all(&state.db)
        .await?;
    let mut out = summaries(&state.db, &rows).await?;
    with_read_seqs(ctx, &state.db, &mut out).await?;
    Ok(out)
}

/// The statuses a filter's `status` names: one, `open` or `ended`.
fn statuses(s: &str) -> Result<Vec<ChatStatus>, AppError> {
    match s {
        "open" => Ok(vec![ChatStatus::Waiting, ChatStatus::Ongoing, ChatStatus::Offline]),
        "ended" => Ok(vec![ChatStatus::Closed, ChatStatus::Resolved]),
        s => Ok(vec![ChatStatus::parse(s).ok_or_else(|| AppError::validation("status", "Unknown status."))?]),
    }
}

/// How many chats each inbox view holds, within what `ctx` may see (of one website when given): grouped counts
/// over the `(website_id, status)` index.
pub async fn counts(ctx: &Ctx, state: &AppState, website_id: Option<&str>) -> Result<protocol::InboxCounts, AppError> {
    let scoped = || {
        let q = visible(ctx);
        match website_id.filter(|w| !w.is_empty()) {
            Some(w) => q.filter(chats::Column::WebsiteId.eq(w)),
            None => q,
        }
    };
    let open = statuses("open")?;
    let by_status: Vec<(ChatStatus, i64)> = scoped()
        .select_only()
        .column(chats::Column::Status)
        .column_as(chats::Column::Id.count(), "n")
        .group_by(chats::Column::Status)
        .into_tuple()
        .all(&state.db)
        .await?;
    let by_assignee: Vec<(Option<String>, i64)> = scoped()
        .select_only()
        .column(chats::Column::AssignedTo)
        .column_as(chats::Column::Id.count(), "n")
        .filter(chats::Column::Status.is_in(open.clone()))
        .filter(
            sea_orm::Condition::any()
                .add(chats::Column::AssignedTo.is_null())
                .add(chats::Column::AssignedTo.eq(ctx.user_id())),
        )
        .group_by(chats::Column::AssignedTo)
        .into_tuple()
        .all(&state.db)
        .await?;
    let open_ids = scoped().select_only().column(chats::Column::Id).filter(chats::Column::Status.is_in(open.clone()));
    let by_label: Vec<(String, i64)> = chat_labels::Entity::find()
        .select_only()
        .column(chat_labels::Column::LabelId)
        .column_as(chat_labels::Column::ChatId.count(), "n")
        .filter(chat_labels::Column::ChatId.in_subquery(open_ids.into_query()))
        .group_by(chat_labels::Column::LabelId)
        .into_tuple()
        .all(&state.db)
        .await?;
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    Ok(protocol::InboxCounts {
        mine: by_assignee.iter().filter(|(a, _)| a.as_deref() == Some(ctx.user_id())).map(|(_, c)| n(*c)).sum(),
        unassigned: by_assignee.iter().filter(|(a, _)| a.is_none()).map(|(_, c)| n(*c)).sum(),
        open: by_status.iter().filter(|(s, _)| open.contains(s)).map(|(_, c)| n(*c)).sum(),
        by_status: by_status.iter().map(|(s, c)| (s.as_str().to_string(), n(*c))).collect(),
        by_label: by_label.into_iter().map(|(l, c)| (l, n(c))).collect(),
    })
}

/// A chat the agent may see, with how far they have read it.
pub async fn get(ctx: &Ctx, state: &AppState, id: &str) -> Result<ChatSummary, AppError> {
    let chat = find_for(Principal::Agent(ctx), &state.db, id).await?;
    let mut one = [summary(&state.db, &chat).await?];
    with_read_seqs(ctx, &state.db, &mut one).await?;
    let [summary] = one;
    Ok(summary)
}

/// The conversation page. Opening it reads it (later messages are reported read from the page as they arrive);
/// it carries the latest messages, and earlier ones come page by page (`messages::before`).
pub async fn detail(ctx: &Ctx, state: &AppState, id: &str) -> Result<ChatDetail, AppError> {
    use crate::services::{messages, websites};
    let chat = find_for(Principal::Agent(ctx), &state.db, id).await?;
    let website = websites::find_visible(ctx, &state.db, &chat.website_id).await?;
    let mut chat_summary = summary(&state.db, &chat).await?;
    if chat_summary.last_seq > 0 {
        record_read(ctx, state, &chat, chat_summary.last_seq).await?;
    }
    chat_summary.read_seq = Some(chat_summary.last_seq);
    let recent = messages::latest(&state.db, &chat.id, messages::RECENT).await?;
    Ok(ChatDetail {
        has_earlier: recent.first().is_some_and(|m| m.seq > 1),
        messages: recent,
        visitor: visitor_info(state, &chat).await?,
        assignees: assignees(state, &chat).await?,
        rating: crate::services::ratings::of_chat(&state.db, &chat.id).await?,
        website_name: website.name,
        chat: chat_summary,
    })
}

/// Whether `user_id` may work on the website (owner, member, or super admin).
async fn may_work_on(db: &impl ConnectionTrait, website: &websites::Model, user_id: &str) -> Result<bool, AppError> {
    use crate::entities::users;
    if website.user_id == user_id {
        return Ok(true);
    }
    if website_members::Entity::find_by_id((website.id.clone(), user_id.to_string())).one(db).await?.is_some() {
        return Ok(true);
    }
    let super_admin = users::Entity::find_by_id(user_id)
        .filter(users::Column::Role.eq(protocol::Role::SuperAdmin.as_str()))
        .one(db)
        .await?;
    Ok(super_admin.is_some())
}

pub async fn update(ctx: &Ctx, state: &AppState, id: &str, input: ChatForUpdate) -> Result<ChatSummary, AppError> {
    let chat = find_for(Principal::Agent(ctx), &state.db, id).await?;
    let website =
        websites::Entity::find_by_id(chat.website_id.clone()).one(&state.db).await?.ok_or(AppError::Internal)?;
    let (mut assigned_to, mut status, mut resolution) =
        (chat.assigned_to.clone(), chat.status, chat.resolution.clone());
    if let Some(assignee) = &input.assigned_to {
        if assignee.is_empty() {
            assigned_to = None;
        } else if may_work_on(&state.db, &website, assignee).await? {
            assigned_to = Some(assignee.clone());
            if chat.status == ChatStatus::Waiting && input.status.is_none() {
                status = ChatStatus::Ongoing;
            }
        } else {
            return Err(AppError::validation("assignedTo", "That user does not work on this website."));
        }
    }
    if let Some(new_status) = input.status {
        status = new_status;
    }
    // A note given with the change (why a chat is transferred, say), stored after it as an internal note.
    let note = match input.note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => Some(crate::services::messages::check(n, None).map_err(|_| {
            let max = crate::services::messages::MAX_CONTENT_CHARS;
            AppError::validation("note", format!("Use at most {max} characters."))
        })?),
        None => None,
    };
    if let Some(text) = &input.resolution {
        let text = text.trim();
        if text.chars().count() > MAX_RESOLUTION_LEN {
            return Err(AppError::validation("resolution", format!("Use at most {MAX_RESOLUTION_LEN} characters.")));
        }
        resolution = Some(text.to_string()).filter(|r| !r.is_empty());
    }
    let mut changes = activity::Changes::default();
    changes.field("status", chat.status, status).field("assignedTo", &chat.assigned_to, &assigned_to).field(
        "resolution",
        &chat.resolution,
        &resolution,
    );
    // A save that changes nothing writes, records and announces nothing (a note alone is still stored).
    if changes.is_empty() {
        if let Some(note) = note {
            crate::services::messages::send_note(ctx, state, id, &note, None).await?;
        }
        return get(ctx, state, id).await;
    }
    let before = (*chat).clone();
    let now = super::now_millis();
    let mut active: chats::ActiveModel = (*chat).clone().into();
    if status != chat.status {
        active.ended_at = Set(matches!(status, ChatStatus::Closed | ChatStatus::Resolved).then_some(now));
    }
    active.assigned_to = Set(assigned_to);
    active.status = Set(status);
    active.resolution = Set(resolution);
    active.updated_at = Set(now);
    let chat = active.update(&state.db).await?;
    activity::record(
        ctx,
        &state.db,
        Activity {
            action: "chat.update",
            resource_type: "chat",
            resource_id: Some(id),
            website_id: Some(&chat.website_id),
            metadata: Some(changes.into_metadata()),
        },
    )
    .await?;
    for (text, event) in change_lines(ctx, state, &before, &chat).await? {
        crate::services::messages::send_system(ctx, state, chat.clone(), text, event).await?;
    }
    if let Some(note) = note {
        crate::services::messages::send_note(ctx, state, &chat.id, &note, None).await?;
    }
    let summary = summary(&state.db, &chat).await?;
    events::chat_changed(&state.hub, &summary, false);
    if status == ChatStatus::Resolved && before.status != ChatStatus::Resolved {
        crate::services::webhooks::chat_resolved(&state.webhooks, &summary);
        if let Err(e) = crate::services::emails::on_resolved(state, &Scoped::vouch(chat.clone())).await {
            tracing::warn!(chat_id = %chat.id, error = %e, "the transcript email was not queued");
        }
    }
    // An agent may have room now (a chat ended or was released), or the chat waits again.
    crate::services::routing::dispatch_soon(state, &chat.website_id);
    Ok(summary)
}

/// What the chat says of a change, as system lines everyone in it sees: "Anna joined the chat", "Anna transferred
/// the chat to Ben", "Anna resolved the chat"; each with what happened as JSON (`event`, `by`, `to`).
async fn change_lines(
    ctx: &Ctx,
    state: &AppState,
    before: &chats::Model,
    after: &chats::Model,
) -> Result<Vec<(String, serde_json::Value)>, AppError> {
    use crate::entities::users;
    use serde_json::json;
    let me = ctx.user().name.as_str();
    let by = ctx.user_id();
    let mut lines = Vec::new();
    if before.assigned_to != after.assigned_to {
        match after.assigned_to.as_deref() {
            Some(id) if id == by => {
                let (text, event) = match before.assigned_to {
                    None => (format!("{me} joined the chat"), "joined"),
                    Some(_) => (format!("{me} took over the chat"), "took_over"),
                };
                lines.push((text, json!({ "event": event, "by": by, "byName": me })));
            }
            Some(id) => {
                let name = users::Entity::find_by_id(id).one(&state.db).await?.map(|u| u.name).unwrap_or_default();
                let (text, event) = match before.assigned_to {
                    None => (format!("{me} assigned the chat to {name}"), "assigned"),
                    Some(_) => (format!("{me} transferred the chat to {name}"), "transferred"),
                };
                lines.push((text, json!({ "event": event, "by": by, "byName": me, "to": id, "toName": name })));
            }
            None => lines
                .push((format!("{me} unassigned the chat"), json!({ "event": "unassigned", "by": by, "byName": me }))),
        }
    }
    if before.status != after.status {
        let ended = |s: ChatStatus| matches!(s, ChatStatus::Closed | ChatStatus::Resolved);
        let said = match after.status {
            ChatStatus::Resolved => Some(("resolved the chat", "resolved")),
            ChatStatus::Closed => Some(("closed the chat", "closed")),
            s if ended(before.status) && !ended(s) => Some(("reopened the chat", "reopened")),
            _ => None,
        };
        if let Some((what, event)) = said {
            lines.push((format!("{me} {what}"), json!({ "event": event, "by": by, "byName": me })));
        }
    }
    Ok(lines)
}

/// Who may be assigned `chat` (already found through the caller's scope): the website's owner, its members and the
/// super admins, active users only.
pub async fn assignees(state: &AppState, chat: &Scoped<chats::Model>) -> Result<Vec<UserView>, AppError> {
    use crate::entities::users;
    let website =
        websites::Entity::find_by_id(chat.website_id.clone()).one(&state.db).await?.ok_or(AppError::Internal)?;
    let members = Query::select()
        .column(website_members::Column::UserId)
        .from(website_members::Entity)
        .and_where(website_members::Column::WebsiteId.eq(website.id.as_str()))
        .to_owned();
    let rows = users::Entity::find()
        .filter(users::Column::IsActive.eq(true))
        .filter(
            sea_orm::Condition::any()
                .add(users::Column::Id.eq(website.user_id.as_str()))
                .add(users::Column::Id.in_subquery(members))
                .add(users::Column::Role.eq(protocol::Role::SuperAdmin.as_str())),
        )
        .order_by_asc(users::Column::Name)
        .all(&state.db)
        .await?;
    rows.iter().map(crate::services::users::to_view).collect()
}

/// The visitor of a chat, with their other chats on the same website.
pub async fn visitor_info(state: &AppState, chat: &Scoped<chats::Model>) -> Result<VisitorInfo, AppError> {
    let visitor =
        visitors::Entity::find_by_id(chat.visitor_id.clone()).one(&state.db).await?.ok_or(AppError::Internal)?;
    let past = chats::Entity::find()
        .filter(chats::Column::VisitorId.eq(visitor.id.as_str()))
        .filter(chats::Column::Id.ne(chat.id.as_str()))
        .order_by_desc(chats::Column::CreatedAt)
        .limit(20)
        .all(&state.db)
        .await?;
    let pages = crate::entities::visitor_pages::Entity::find()
        .filter(crate::entities::visitor_pages::Column::VisitorId.eq(visitor.id.as_str()))
        .order_by_desc(crate::entities::visitor_pages::Column::CreatedAt)
        .order_by_desc(crate::entities::visitor_pages::Column::Id)
        .limit(30)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|p| protocol::PageVisit { url: p.url, title: p.title, at: time(p.created_at) })
        .collect();
    let agent = visitor.user_agent.as_deref().map(crate::services::visitors::browser_and_os);
    Ok(VisitorInfo {
        pages,
        id: visitor.id.clone(),
        ip_address: visitor.ip_address.clone(),
        browser: agent.as_ref().and_then(|a| a.0.clone()),
        os: agent.as_ref().and_then(|a| a.1.clone()),
        user_agent: visitor.user_agent.clone(),
        country: visitor.country.clone(),
        name: visitor.name.clone(),
        email: visitor.email.clone(),
        customer_id: visitor.external_id.clone(),
        consent: visitor
            .consent_text
            .clone()
            .zip(visitor.consented_at)
            .map(|(text, at)| protocol::VisitorConsent { text, at: time(at) }),
        last_seen: time(visitor.last_seen),
        first_seen: time(visitor.created_at),
        online: state.visitor_online(&visitor.id).await,
        past_chats: summaries(&state.db, &past).await?,
    })
}
