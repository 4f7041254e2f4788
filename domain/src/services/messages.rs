//! Messages: stored with the next per-chat `seq` in the same transaction that takes it, before anyone is told;
//! a retried send with the same client message id returns the stored message and stores nothing; readers resume
//! from a seq.

mod sqlite;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::NaiveDateTime;
use protocol::{Attachment, ChatMessage, ChatStatus, SenderType, ServerEvent};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};
use tokio::sync::{mpsc, oneshot};

use crate::ctx::Principal;
use crate::ctx::VisitorCtx;
use crate::entities::{chats, messages};
use crate::hub::Hub;
use crate::services::chats::{
    find_for, new_chat, open_statuses, publish_chat_change, publish_chat_via, summary, to_summary,
};
use crate::AppState;
use protocol::AppError;

pub const MAX_CONTENT_CHARS: usize = 5000;
pub const MAX_CLIENT_MSG_ID: usize = 64;
/// Most messages one read returns; clients page with `after_seq`.
pub const PAGE: u64 = 500;

pub fn to_view(m: &messages::Model) -> ChatMessage {
    let attachment = (m.kind != KIND_TEXT)
        .then(|| m.metadata.clone().and_then(|meta| serde_json::from_value::<Attachment>(meta).ok()))
        .flatten();
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
        attachment,
    }
}

pub const KIND_TEXT: &str = "text";
pub const KIND_IMAGE: &str = "image";
pub const KIND_FILE: &str = "file";

/// What a message carries: text, or a stored attachment (its name becomes the content).
pub enum Content {
    Text(String),
    Attachment(Attachment),
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
    /// For a visitor's send without a chat id: the open chat it went to (found or created in the write).
    pub opened: Option<chats::Model>,
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
    state.limits.visitor_message(&v.visitor_id)?;
    let mut job = job(Principal::Visitor(v), new_chat(v, ChatStatus::Waiting), content, client_msg_id);
    job.open = true;
    state.writer.write(job).await
}

/// Stores `content` in `chat` (already authorised for `principal`) and publishes it.
pub async fn send_content(
    principal: Principal<'_>,
    state: &AppState,
    chat: chats::Model,
    content: Content,
    client_msg_id: Option<&str>,
) -> Result<Sent, AppError> {
    if let Principal::Visitor(v) = principal {
        state.limits.visitor_message(&v.visitor_id)?;
    }
    write_content(principal, state, chat, content, client_msg_id).await
}

/// [`send_content`] for a caller that has counted a visitor's message against their limit already (an upload
/// counts before its file is processed, the offline form before its chat is opened).
pub async fn write_content(
    principal: Principal<'_>,
    state: &AppState,
    chat: chats::Model,
    content: Content,
    client_msg_id: Option<&str>,
) -> Result<Sent, AppError> {
    state.writer.write(job(principal, chat, content, client_msg_id)).await
}

fn job(principal: Principal<'_>, chat: chats::Model, content: Content, client_msg_id: Option<&str>) -> Job {
    let (kind, content, metadata) = match content {
        Content::Text(text) => (KIND_TEXT, text, None),
        Content::Attachment(a) => {
            let kind = if a.mime.starts_with("image/") { KIND_IMAGE } else { KIND_FILE };
            (kind, a.name.clone(), serde_json::to_value(&a).ok())
        }
    };
    let (sender_type, sender_id) = match principal {
        Principal::Agent(ctx) => (SenderType::Admin, ctx.user_id().to_string()),
        Principal::Visitor(v) => (SenderType::Visitor, v.visitor_id.clone()),
    };
    let taking = matches!(principal, Principal::Agent(_)) && chat.status == ChatStatus::Waiting.as_str();
    Job {
        chat,
        sender_type,
        sender_id,
        content,
        kind,
        metadata,
        client_msg_id: client_msg_id.map(String::from),
        taking,
        open: false,
        reply: None,
    }
}

/// One message to store. `reply` is set by [`MessageWriter::write`].
pub struct Job {
    chat: chats::Model,
    sender_type: SenderType,
    sender_id: String,
    content: String,
    kind: &'static str,
    metadata: Option<serde_json::Value>,
    client_msg_id: Option<String>,
    /// An agent answering a waiting chat: it becomes ongoing (and theirs, if unassigned).
    taking: bool,
    /// `chat` is not stored yet: store it with the message, unless the visitor has an open chat by then.
    open: bool,
    reply: Option<oneshot::Sender<Result<Sent, AppError>>>,
}

/// Stores messages. On SQLite, where writes are serialised by the database anyway, one task takes sends from a
/// queue and writes everything waiting in one transaction (no commit per message, no writers queueing on the
/// database lock). On MySQL/MariaDB each send writes in its own task and transaction: row locks are per chat, so
/// sends to different chats proceed in parallel over the pool.
pub struct MessageWriter {
    queue: Option<mpsc::Sender<Job>>,
    db: DatabaseConnection,
    hub: Arc<Hub>,
    turns: Option<Arc<tokio::sync::Mutex<()>>>,
    /// The writer's own connection on SQLite (`db::dedicated_writer`); `db` elsewhere.
    writer_db: DatabaseConnection,
    /// Sends in the writer's queue or batch, not answered yet.
    queued: Arc<std::sync::atomic::AtomicUsize>,
}

/// A turn to write on the chat path: hold it for the writes, and write through [`Turn::db`].
pub struct Turn<'a> {
    _guard: Option<tokio::sync::MutexGuard<'a, ()>>,
    db: &'a DatabaseConnection,
}

impl Turn<'_> {
    /// The connection to write with: on SQLite the writer's own, so its page cache stays valid (SQLite drops a
    /// connection's cache whenever another connection has written).
    pub fn db(&self) -> &DatabaseConnection {
        self.db
    }
}

/// Most messages written in one transaction.
const BATCH: usize = 1024;

impl MessageWriter {
    pub fn spawn(db: DatabaseConnection, hub: Arc<Hub>) -> Self {
        let sqlite = db.get_database_backend() == sea_orm::DbBackend::Sqlite;
        let writer_db = crate::db::dedicated_writer(&db);
        let turns: Option<Arc<tokio::sync::Mutex<()>>> = sqlite.then(Arc::default);
        if let Some(turns) = &turns {
            crate::db::checkpoint_in_background(&db, turns.clone());
        }
        let queue = turns.clone().map(|turns| {
            let (queue, jobs) = mpsc::channel(8 * BATCH);
            // Publishing runs beside writing: while one batch's messages go out, the next batch is being
            // written. One task, fed in commit order, so every chat's messages are still published in seq order.
            let (written_tx, written_rx) = mpsc::channel(4);
            tokio::spawn(publish_written(db.clone(), hub.clone(), written_rx));
            // The writer gets a thread and a runtime of its own: a batch is a handful of round trips to SQLite's
            // connection thread, and on the shared runtime each of them waited behind every busy socket.
            let writer = writer_db.clone();
            let started = std::thread::Builder::new().name("message-writer".into()).spawn(move || {
                match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(runtime) => runtime.block_on(run_writer(writer, jobs, turns, written_tx)),
                    Err(e) => tracing::error!(error = %e, "cannot start the message writer"),
                }
            });
            if let Err(e) = started {
                tracing::error!(error = %e, "cannot start the message writer");
            }
            queue
        });
        MessageWriter { queue, db, hub, turns, writer_db, queued: Arc::default() }
    }

    /// Waits for this task's turn to write, on SQLite; no wait elsewhere. SQLite has one writer at a time, and a
    /// write that finds the lock taken sleeps in SQLite's busy handler (1, 2, 5, 10 … 100 ms) instead of queueing:
    /// writes on the chat path (the writer's batches, opening a chat, a page view) take turns here, first come
    /// first served, so a chat message never waits out a sleep.
    pub async fn turn(&self) -> Turn<'_> {
        let guard = match &self.turns {
            Some(turns) => Some(turns.lock().await),
            None => None,
        };
        Turn { _guard: guard, db: &self.writer_db }
    }

    async fn write(&self, mut job: Job) -> Result<Sent, AppError> {
        let Some(queue) = &self.queue else {
            let result = write_batch_sea(&self.db, std::slice::from_ref(&job)).await.map(|mut r| r.remove(0));
            return finish(&self.db, &self.hub, &job, result).await;
        };
        let (tx, rx) = oneshot::channel();
        job.reply = Some(tx);
        queue.send(job).await.map_err(|_| {
            tracing::error!("message writer stopped");
            AppError::Internal
        })?;
        let _queued = Queued::count(&self.queued);
        rx.await.map_err(|_| AppError::Internal)?
    }

    /// Sends waiting in the SQLite writer's queue or batch (always 0 elsewhere), for metrics and tests.
    pub fn queued(&self) -> usize {
        self.queued.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// One send counted in [`MessageWriter::queued`] until it is answered (or its caller goes away).
struct Queued<'a>(&'a std::sync::atomic::AtomicUsize);

impl<'a> Queued<'a> {
    fn count(queued: &'a std::sync::atomic::AtomicUsize) -> Self {
        queued.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Queued(queued)
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// After a write: publish a new message (after its chat, when the message opened one, and before the chat's change
/// when an agent took it), in the order written.
async fn finish(
    db: &DatabaseConnection,
    hub: &Hub,
    job: &Job,
    result: Result<Stored, DbErr>,
) -> Result<Sent, AppError> {
    // A chat deleted while its message waited in the queue: not found, as if the send had come a moment later.
    // Likewise a chat whose website (with its visitors) was deleted: the foreign key refuses the write.
    let Stored { message: stored, created, opened } = result.map_err(|e| match e {
        DbErr::RecordNotFound(_) => AppError::NotFound("Chat".into()),
        e if matches!(e.sql_err(), Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_))) => {
            AppError::NotFound("Chat".into())
        }
        e => AppError::from(e),
    })?;
    let message = to_view(&stored);
    let chat = opened.as_ref().map(|(chat, _)| chat).unwrap_or(&job.chat);
    if let Some((chat, true)) = &opened {
        publish_chat_change(hub, &to_summary(chat, 0), true);
    }
    if created {
        publish_chat_via(hub, chat, ServerEvent::NewMessage { chat_id: chat.id.clone(), message: message.clone() });
        if job.taking {
            if let Some(updated) = chats::Entity::find_by_id(chat.id.clone()).one(db).await? {
                publish_chat_change(hub, &summary(db, &updated).await?, false);
            }
        }
    }
    Ok(Sent { message, created, opened: opened.map(|(chat, _)| chat) })
}

/// One send as written: the stored message (a retry's earlier copy when `created` is false) and, for a send that
/// opens a chat, that chat and whether this send created it.
struct Stored {
    message: messages::Model,
    created: bool,
    opened: Option<(chats::Model, bool)>,
}

async fn run_writer(
    writer: DatabaseConnection,
    mut jobs: mpsc::Receiver<Job>,
    turns: Arc<tokio::sync::Mutex<()>>,
    written_tx: mpsc::Sender<Written>,
) {
    // What the writer knows of each chat's client message ids, kept across batches (see `sqlite::ClientIds`).
    let mut known = sqlite::ClientIds::default();
    while let Some(first) = jobs.recv().await {
        let mut batch = vec![first];
        let turn = turns.lock().await;
        // Whatever arrived while waiting for the turn joins this batch.
        while batch.len() < BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let written = match sqlite::write(&writer, &mut known, &batch).await {
            Ok(rows) => rows.into_iter().map(Ok).collect::<Vec<_>>(),
            Err(e) => {
                // One bad message (its chat was just deleted, say) must not fail the others: retry one by one.
                tracing::warn!(error = %e, size = batch.len(), "batch write failed; writing one by one");
                let mut out = Vec::with_capacity(batch.len());
                for job in &batch {
                    let one = sqlite::write(&writer, &mut known, std::slice::from_ref(job)).await;
                    out.push(one.map(|mut r| r.remove(0)));
                }
                out
            }
        };
        drop(turn);
        if written_tx.send((batch, written)).await.is_err() {
            tracing::error!("message publisher stopped");
            return;
        }
    }
}

type Written = (Vec<Job>, Vec<Result<Stored, DbErr>>);

async fn publish_written(db: DatabaseConnection, hub: Arc<Hub>, mut written: mpsc::Receiver<Written>) {
    while let Some((batch, results)) = written.recv().await {
        for (mut job, result) in batch.into_iter().zip(results) {
            let result = finish(&db, &hub, &job, result).await;
            if let Some(reply) = job.reply.take() {
                let _ = reply.send(result);
            }
        }
    }
}

/// What writing a batch needs of the database, in the order [`write_batch`] asks: SeaORM on MySQL/MariaDB
/// ([`SeaStore`]), SQLite's own API on the writer's connection ([`sqlite::SqliteStore`]). Every call runs inside
/// the batch's transaction.
trait BatchStore {
    /// The open (waiting or ongoing) chats of these visitors, each visitor's newest first.
    async fn open_chats(&mut self, visitors: &[&str]) -> Result<Vec<chats::Model>, DbErr>;
    async fn insert_chats(&mut self, new: &[chats::Model]) -> Result<(), DbErr>;
    /// Each chat's last seq (0 for none yet), taking the chat's row lock first on MySQL (on SQLite the writer holds
    /// the write lock). `RecordNotFound` when a chat is gone.
    async fn last_seqs(&mut self, chat_ids: &[&str]) -> Result<HashMap<String, i64>, DbErr>;
    /// An agent takes a waiting chat: ongoing, and theirs when `assignee` is set; `now` is its `updated_at`.
    async fn take(&mut self, chat_id: &str, assignee: Option<&str>, now: NaiveDateTime) -> Result<(), DbErr>;
    /// Stored messages among these (chat, client message id) pairs.
    async fn stored(&mut self, pairs: &[(&str, &str)]) -> Result<Vec<messages::Model>, DbErr>;
    async fn insert_messages(&mut self, new: &[messages::Model]) -> Result<(), DbErr>;
}

/// The batch statements through SeaORM, in a transaction on MySQL/MariaDB.
struct SeaStore<'t>(&'t sea_orm::DatabaseTransaction);

impl BatchStore for SeaStore<'_> {
    async fn open_chats(&mut self, visitors: &[&str]) -> Result<Vec<chats::Model>, DbErr> {
        chats::Entity::find()
            .filter(chats::Column::VisitorId.is_in(visitors.iter().copied()))
            .filter(chats::Column::Status.is_in(open_statuses()))
            .order_by_desc(chats::Column::CreatedAt)
            .all(self.0)
            .await
    }

    async fn insert_chats(&mut self, new: &[chats::Model]) -> Result<(), DbErr> {
        let rows = new.iter().cloned().map(chats::ActiveModel::from);
        chats::Entity::insert_many(rows).exec_without_returning(self.0).await.map(drop)
    }

    async fn last_seqs(&mut self, chat_ids: &[&str]) -> Result<HashMap<String, i64>, DbErr> {
        let mut last = HashMap::with_capacity(chat_ids.len());
        for chat_id in chat_ids {
            // The chat's row lock orders its senders across connections and nodes; the seq read after it, in its
            // own READ COMMITTED snapshot, sees the previous holder's committed message.
            let locked = chats::Entity::find_by_id(*chat_id).select_only().column(chats::Column::Id).lock_exclusive();
            if locked.into_tuple::<String>().one(self.0).await?.is_none() {
                return Err(DbErr::RecordNotFound(format!("chat {chat_id}")));
            }
            let seq: Option<Option<i64>> = messages::Entity::find()
                .select_only()
                .column_as(messages::Column::Seq.max(), "last_seq")
                .filter(messages::Column::ChatId.eq(*chat_id))
                .into_tuple()
                .one(self.0)
                .await?;
            last.insert(chat_id.to_string(), seq.flatten().unwrap_or(0));
        }
        Ok(last)
    }

    async fn take(&mut self, chat_id: &str, assignee: Option<&str>, now: NaiveDateTime) -> Result<(), DbErr> {
        let mut take = chats::Entity::update_many()
            .col_expr(chats::Column::Status, Expr::value(ChatStatus::Ongoing.as_str()))
            .col_expr(chats::Column::UpdatedAt, Expr::value(now));
        if let Some(agent) = assignee {
            take = take.col_expr(chats::Column::AssignedTo, Expr::value(agent));
        }
        take.filter(chats::Column::Id.eq(chat_id)).exec(self.0).await.map(drop)
    }

    async fn stored(&mut self, pairs: &[(&str, &str)]) -> Result<Vec<messages::Model>, DbErr> {
        let any = pairs.iter().fold(Condition::any(), |any, (chat_id, cid)| {
            any.add(messages::Column::ChatId.eq(*chat_id).and(messages::Column::ClientMsgId.eq(*cid)))
        });
        messages::Entity::find().filter(any).all(self.0).await
    }

    async fn insert_messages(&mut self, new: &[messages::Model]) -> Result<(), DbErr> {
        let rows = new.iter().cloned().map(messages::ActiveModel::from);
        messages::Entity::insert_many(rows).exec_without_returning(self.0).await.map(drop)
    }
}

/// Writes `batch` in one transaction through SeaORM (MySQL/MariaDB).
///
/// READ COMMITTED, not InnoDB's default REPEATABLE READ: there every statement after the first read sees the
/// transaction's first snapshot, so the seq read would need a locking read, and a locking read of an empty chat's
/// messages takes a gap lock on the (chat_id, seq) index. Two new chats often fall in the same gap; each holder then
/// waits for the other's gap to insert its first message, a deadlock. READ COMMITTED reads a fresh snapshot per
/// statement and locks no gaps; the chat's row lock alone orders its senders.
async fn write_batch_sea(db: &DatabaseConnection, batch: &[Job]) -> Result<Vec<Stored>, DbErr> {
    let txn = db.begin_with_config(Some(sea_orm::IsolationLevel::ReadCommitted), None).await?;
    let stored = write_batch(&mut SeaStore(&txn), batch).await?;
    txn.commit().await?;
    Ok(stored)
}

/// Stores `batch` through `store`, inside its transaction: each chat's last seq is read first (taking the chat's
/// row lock on MySQL; on SQLite the writer holds the write lock from the start), then retries are found (after the
/// lock, so a concurrent retry sees the first copy), and the new messages inserted, numbered after the last seq in
/// batch order. Nothing is written to the chat row unless an agent takes the chat.
async fn write_batch(store: &mut impl BatchStore, batch: &[Job]) -> Result<Vec<Stored>, DbErr> {
    let now = super::now_millis();

    // Chats opened by this batch's sends, by visitor: the visitor's open chat if there is one by now, else the one
    // made up for the send, stored here before its messages (and `true`: announce it).
    let mut opened: HashMap<String, (chats::Model, bool)> = HashMap::new();
    let openers: Vec<&Job> = batch.iter().filter(|j| j.open).collect();
    if !openers.is_empty() {
        let mut visitors: Vec<&str> = openers.iter().map(|j| j.chat.visitor_id.as_str()).collect();
        visitors.sort_unstable();
        visitors.dedup();
        for chat in store.open_chats(&visitors).await? {
            opened.entry(chat.visitor_id.clone()).or_insert((chat, false));
        }
        let mut new_chats = Vec::new();
        for job in &openers {
            opened.entry(job.chat.visitor_id.clone()).or_insert_with(|| {
                new_chats.push(job.chat.clone());
                (job.chat.clone(), true)
            });
        }
        if !new_chats.is_empty() {
            store.insert_chats(&new_chats).await?;
        }
    }
    let chat_of: Vec<&chats::Model> = batch
        .iter()
        .map(|job| match job.open {
            true => opened.get(&job.chat.visitor_id).map(|(chat, _)| chat).unwrap_or(&job.chat),
            false => &job.chat,
        })
        .collect();

    // Per chat (in id order, so MySQL takes row locks in one order): whether an agent is taking it (and who).
    let mut per_chat: BTreeMap<&str, Option<&Job>> = BTreeMap::new();
    for (job, chat) in batch.iter().zip(&chat_of) {
        let taking = per_chat.entry(chat.id.as_str()).or_insert(None);
        if job.taking && taking.is_none() {
            *taking = Some(job);
        }
    }
    let ids: Vec<&str> = per_chat.keys().copied().collect();
    let last = store.last_seqs(&ids).await?;
    for (chat_id, job) in per_chat.iter().filter_map(|(id, taking)| taking.map(|job| (*id, job))) {
        let assignee = job.chat.assigned_to.is_none().then_some(job.sender_id.as_str());
        store.take(chat_id, assignee, now).await?;
    }

    // Retries: client ids already stored in these chats, or repeated within the batch.
    let pairs: Vec<(&str, &str)> = batch
        .iter()
        .zip(&chat_of)
        .filter_map(|(j, chat)| Some((chat.id.as_str(), j.client_msg_id.as_deref()?)))
        .collect();
    let mut stored: HashMap<(String, String), messages::Model> = HashMap::new();
    if !pairs.is_empty() {
        for row in store.stored(&pairs).await? {
            if let Some(cid) = row.client_msg_id.clone() {
                stored.insert((row.chat_id.clone(), cid), row);
            }
        }
    }
    enum Slot {
        Stored(Box<messages::Model>),
        /// A repeat of the batch's own earlier send (index into `out`).
        Repeat(usize),
        New(usize),
    }
    let mut first_in_batch: HashMap<(&str, &str), usize> = HashMap::new();
    let mut slots = Vec::with_capacity(batch.len());
    let mut fresh: Vec<(&Job, &str)> = Vec::new();
    for (i, job) in batch.iter().enumerate() {
        let chat_id = chat_of[i].id.as_str();
        let slot = match job.client_msg_id.as_deref() {
            Some(cid) => {
                if let Some(row) = stored.get(&(chat_id.to_string(), cid.to_string())) {
                    Slot::Stored(Box::new(row.clone()))
                } else if let Some(first) = first_in_batch.get(&(chat_id, cid)) {
                    Slot::Repeat(*first)
                } else {
                    first_in_batch.insert((chat_id, cid), i);
                    Slot::New(fresh.len())
                }
            }
            None => Slot::New(fresh.len()),
        };
        if let Slot::New(_) = slot {
            fresh.push((job, chat_id));
        }
        slots.push(slot);
    }

    // Number the new messages after each chat's last, in batch order.
    let mut next: HashMap<&str, i64> = ids.iter().map(|id| (*id, last.get(*id).copied().unwrap_or(0) + 1)).collect();
    let models: Vec<messages::Model> = fresh
        .iter()
        .map(|(job, chat_id)| {
            let chat_id = *chat_id;
            let seq = next.get(chat_id).copied().unwrap_or(1);
            next.insert(chat_id, seq + 1);
            messages::Model {
                id: uuid::Uuid::now_v7().to_string(),
                chat_id: chat_id.to_string(),
                seq,
                client_msg_id: job.client_msg_id.clone(),
                sender_type: job.sender_type.as_str().into(),
                sender_id: Some(job.sender_id.clone()),
                content: job.content.clone(),
                kind: job.kind.into(),
                metadata: job.metadata.clone(),
                created_at: now,
            }
        })
        .collect();
    if !models.is_empty() {
        store.insert_messages(&models).await?;
    }

    let mut out: Vec<Stored> = Vec::with_capacity(batch.len());
    let mut announced = std::collections::HashSet::new();
    for (job, slot) in batch.iter().zip(slots) {
        let (message, created) = match slot {
            Slot::Stored(row) => (*row, false),
            Slot::New(k) => (models[k].clone(), true),
            Slot::Repeat(i) => (out[i].message.clone(), false),
        };
        // A chat this batch created is announced once, with the first of its messages.
        let chat_opened = match job.open {
            true => {
                opened.get(&job.chat.visitor_id).map(|(chat, new)| (chat.clone(), *new && announced.insert(&chat.id)))
            }
            false => None,
        };
        out.push(Stored { message, created, opened: chat_opened });
    }
    Ok(out)
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
