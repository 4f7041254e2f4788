//! The message writer: each send becomes a [`Job`]; on SQLite one task writes whatever is waiting in one
//! transaction on its own connection and thread, on MySQL/MariaDB a few lanes do the same in parallel (a visitor's
//! sends always in the same lane); either way the stored messages are then published in the order written.

use std::sync::Arc;

use protocol::{AppError, ChatStatus, MessageKind, SenderType, ServerEvent};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait};
use tokio::sync::{mpsc, oneshot};

use super::batch::Stored;
use super::mysql::write_batch_sea;
use super::{sqlite, to_view, Content, Sent};
use crate::ctx::Principal;
use crate::db::WriteLane;
use crate::entities::{attachments, chats};
use crate::events::{self, Audience};
use crate::hub::Hub;
use crate::services::analytics::tally::Tally;
use crate::services::chats::{summary, to_summary};
use crate::services::webhooks;
use crate::webhooks::Webhooks;

pub(super) fn job(principal: Principal<'_>, chat: chats::Model, content: Content, client_msg_id: Option<&str>) -> Job {
    let mut sender_type = match principal {
        Principal::Agent(_) => SenderType::Admin,
        Principal::Visitor(_) => SenderType::Visitor,
    };
    let (kind, content, metadata, attachment) = match content {
        Content::Text(text) => (MessageKind::Text, text, None, None),
        Content::Note(text) => (MessageKind::Note, text, None, None),
        Content::System(text, event) => {
            sender_type = SenderType::System;
            (MessageKind::Text, text, Some(event), None)
        }
        Content::File(file) => {
            let (view, row) = *file;
            let kind = if view.mime.starts_with("image/") { MessageKind::Image } else { MessageKind::File };
            (kind, view.name.clone(), serde_json::to_value(&view).ok(), Some(row))
        }
    };
    let sender_id = match principal {
        Principal::Agent(ctx) => ctx.user_id().to_string(),
        Principal::Visitor(v) => v.visitor_id.clone(),
    };
    // An agent's answer (not a note or a system line) takes a waiting chat; when nobody had it, it becomes theirs,
    // said in the chat before their answer.
    let taking = sender_type == SenderType::Admin && kind != MessageKind::Note && chat.status == ChatStatus::Waiting;
    let joined = match principal {
        Principal::Agent(ctx) if taking && chat.assigned_to.is_none() => Some(joined_line(ctx)),
        _ => None,
    };
    Job {
        chat,
        sender_type,
        sender_id,
        content,
        kind,
        metadata,
        client_msg_id: client_msg_id.map(String::from),
        attachment,
        taking,
        joined,
        open: false,
        reply: None,
    }
}

/// "Anna joined the chat", and what happened as JSON.
pub(crate) fn joined_line(ctx: &crate::ctx::Ctx) -> (String, serde_json::Value) {
    let name = &ctx.user().name;
    (format!("{name} joined the chat"), serde_json::json!({ "event": "joined", "by": ctx.user_id(), "byName": name }))
}

/// One message to store. `reply` is set by [`MessageWriter::write`].
pub struct Job {
    pub(super) chat: chats::Model,
    pub(super) sender_type: SenderType,
    pub(super) sender_id: String,
    pub(super) content: String,
    pub(super) kind: MessageKind,
    pub(super) metadata: Option<serde_json::Value>,
    pub(super) client_msg_id: Option<String>,
    /// A file message's row, written beside the message (its chat and message ids are filled in then).
    pub(super) attachment: Option<attachments::Model>,
    /// An agent answering a waiting chat: it becomes ongoing (and theirs, if unassigned).
    pub(super) taking: bool,
    /// When taking makes the chat theirs: the system line said before the answer ("Anna joined the chat").
    pub(super) joined: Option<(String, serde_json::Value)>,
    /// `chat` is not stored yet: store it with the message, unless the visitor has an open chat by then.
    pub(super) open: bool,
    pub(super) reply: Option<oneshot::Sender<Result<Sent, AppError>>>,
}

/// Stores messages. On SQLite, where writes are serialised by the database anyway, one task takes sends from a
/// queue and writes everything waiting in one transaction (no commit per message, no writers queueing on the
/// database lock). On MySQL/MariaDB sends are spread over [`MYSQL_LANES`] lanes by visitor, each writing whatever
/// waits for it in one transaction: lanes run in parallel over the pool (row locks are per chat), and a batch pays
/// its round trips and its commit once for all its messages.
pub struct MessageWriter {
    /// SQLite: one queue. MySQL/MariaDB: one per lane; a visitor's chats always go to the same lane.
    queues: Vec<mpsc::Sender<Job>>,
    /// Sends in the writer's queue or batch, not answered yet.
    queued: Arc<std::sync::atomic::AtomicUsize>,
    /// Message counts for analytics, added to the database once a second.
    tally: Arc<Tally>,
    lane: WriteLane,
}

/// Most messages written in one transaction.
const BATCH: usize = 1024;
/// Parallel writers on MySQL/MariaDB (the pool has 20 connections; the rest serve everything else).
const MYSQL_LANES: usize = 8;

impl MessageWriter {
    /// On SQLite the writer takes its turns on `lane` and writes through the lane's connection.
    pub fn spawn(db: DatabaseConnection, hub: Arc<Hub>, hooks: Arc<Webhooks>, lane: &WriteLane) -> Self {
        let tally = Arc::new(Tally::default());
        tally.clone().flush_every(lane.clone(), std::time::Duration::from_secs(1));
        // Publishing runs beside writing: while one batch's messages go out, the next batch is being written. One
        // task, fed in commit order by each writer, so every chat's messages are still published in seq order.
        // A short queue for the one SQLite writer: while the publisher is behind, waiting sends gather into the
        // next batch instead of being committed in small ones (measured: p99 at 1 000 msg/s rose by half with 32).
        let room = if lane.turns().is_some() { 4 } else { 4 * MYSQL_LANES };
        let (written_tx, written_rx) = mpsc::channel(room);
        tokio::spawn(publish_written(db.clone(), hub.clone(), hooks, tally.clone(), written_rx));
        let queues = match lane.turns() {
            Some(turns) => {
                let (queue, jobs) = mpsc::channel(8 * BATCH);
                // The writer gets a thread and a runtime of its own: a batch is a handful of round trips to SQLite's
                // connection thread, and on the shared runtime each of them waited behind every busy socket.
                let writer = lane.db().clone();
                let started = std::thread::Builder::new().name("message-writer".into()).spawn(move || {
                    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                        Ok(runtime) => runtime.block_on(run_writer(writer, jobs, turns, written_tx)),
                        Err(e) => tracing::error!(error = %e, "cannot start the message writer"),
                    }
                });
                if let Err(e) = started {
                    tracing::error!(error = %e, "cannot start the message writer");
                }
                vec![queue]
            }
            None => (0..MYSQL_LANES)
                .map(|_| {
                    let (queue, jobs) = mpsc::channel(BATCH);
                    tokio::spawn(run_mysql_lane(db.clone(), jobs, written_tx.clone()));
                    queue
                })
                .collect(),
        };
        MessageWriter { queues, tally, lane: lane.clone(), queued: Arc::default() }
    }

    pub(super) async fn write(&self, job: Job) -> Result<Sent, AppError> {
        let arrived = std::time::Instant::now();
        let sent = self.write_now(job).await;
        if let Ok(Sent { created: true, .. }) = &sent {
            crate::metrics::message_stored(arrived.elapsed());
        }
        sent
    }

    async fn write_now(&self, mut job: Job) -> Result<Sent, AppError> {
        let lane = if self.queues.len() == 1 {
            0
        } else {
            use std::hash::{BuildHasher, BuildHasherDefault};
            let hasher = BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default();
            (hasher.hash_one(&job.chat.visitor_id) % self.queues.len() as u64) as usize
        };
        let Some(queue) = self.queues.get(lane) else { return Err(AppError::Internal) };
        let (tx, rx) = oneshot::channel();
        job.reply = Some(tx);
        queue.send(job).await.map_err(|_| {
            tracing::error!("message writer stopped");
            AppError::Internal
        })?;
        let _queued = Queued::count(&self.queued);
        rx.await.map_err(|_| AppError::Internal)?
    }

    /// Adds the message counts not written yet to the database (they are once a second anyway): at shutdown, and
    /// before a test compares them with the messages.
    pub async fn flush_counts(&self) -> Result<(), DbErr> {
        self.tally.flush(&self.lane).await
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
    hooks: &Webhooks,
    tally: &Tally,
    job: &Job,
    result: Result<Stored, DbErr>,
) -> Result<Sent, AppError> {
    // A chat deleted while its message waited in the queue: not found, as if the send had come a moment later.
    // Likewise a chat whose website (with its visitors) was deleted: the foreign key refuses the write.
    let Stored { message: stored, created, opened, joined } = result.map_err(|e| match e {
        DbErr::RecordNotFound(_) => AppError::NotFound("Chat".into()),
        e if matches!(e.sql_err(), Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_))) => {
            AppError::NotFound("Chat".into())
        }
        e => AppError::from(e),
    })?;
    let message = to_view(&stored);
    let chat = opened.as_ref().map(|(chat, _)| chat).unwrap_or(&job.chat);
    if let Some((chat, true)) = &opened {
        let summary = to_summary(chat, 0);
        events::chat_changed(hub, &summary, true);
        webhooks::chat_created(hooks, &summary);
    }
    if created {
        let everyone = Audience::Chat { website_id: &chat.website_id, visitor_id: &chat.visitor_id };
        if let Some(line) = &joined {
            let line = to_view(line);
            webhooks::message_created(hooks, &chat.website_id, &chat.id, &line);
            let event = ServerEvent::NewMessage { chat_id: chat.id.clone(), message: line };
            events::publish(hub, everyone, &event, None);
        }
        let to = match (stored.kind, stored.sender_type) {
            // Notes stay among agents, on every path: here, and in what visitors read back (`readable_by`).
            (MessageKind::Note, _) => Audience::Agents { website_id: &chat.website_id },
            // System lines are not part of the conversation's figures.
            (_, SenderType::System) => everyone,
            _ => {
                tally.count(&chat.website_id, stored.created_at, stored.sender_type, stored.sender_id.as_deref());
                everyone
            }
        };
        let event = ServerEvent::NewMessage { chat_id: chat.id.clone(), message: message.clone() };
        events::publish(hub, to, &event, None);
        webhooks::message_created(hooks, &chat.website_id, &chat.id, &message);
        if job.taking {
            if let Some(updated) = chats::Entity::find_by_id(chat.id.clone()).one(db).await? {
                events::chat_changed(hub, &summary(db, &updated).await?, false);
            }
        }
    }
    let new_chat = matches!(opened, Some((_, true)));
    Ok(Sent { message, created, new_chat, opened: opened.map(|(chat, _)| crate::scoped::Scoped::vouch(chat)) })
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
        crate::metrics::writer_batch(batch.len());
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

/// One MySQL/MariaDB lane: whatever waits is written in one transaction; if that fails, one by one, so one bad
/// message (its chat deleted meanwhile) does not fail the others.
async fn run_mysql_lane(db: DatabaseConnection, mut jobs: mpsc::Receiver<Job>, written_tx: mpsc::Sender<Written>) {
    let mut batch = Vec::with_capacity(64);
    while jobs.recv_many(&mut batch, BATCH).await > 0 {
        let batch = std::mem::take(&mut batch);
        crate::metrics::writer_batch(batch.len());
        let written = match write_batch_sea(&db, &batch).await {
            Ok(rows) => rows.into_iter().map(Ok).collect::<Vec<_>>(),
            Err(e) => {
                if batch.len() > 1 {
                    tracing::warn!(error = %e, size = batch.len(), "batch write failed; writing one by one");
                }
                let mut out = Vec::with_capacity(batch.len());
                for job in &batch {
                    out.push(write_batch_sea(&db, std::slice::from_ref(job)).await.map(|mut r| r.remove(0)));
                }
                out
            }
        };
        if written_tx.send((batch, written)).await.is_err() {
            tracing::error!("message publisher stopped");
            return;
        }
    }
}

type Written = (Vec<Job>, Vec<Result<Stored, DbErr>>);

async fn publish_written(
    db: DatabaseConnection,
    hub: Arc<Hub>,
    hooks: Arc<Webhooks>,
    tally: Arc<Tally>,
    mut written: mpsc::Receiver<Written>,
) {
    while let Some((batch, results)) = written.recv().await {
        for (mut job, result) in batch.into_iter().zip(results) {
            let result = finish(&db, &hub, &hooks, &tally, &job, result).await;
            if let Some(reply) = job.reply.take() {
                let _ = reply.send(result);
            }
        }
    }
}
