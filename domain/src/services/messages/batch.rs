//! Writing a batch of sends in one transaction: the algorithm both stores share ([`write_batch`]) and what it needs
//! of a store ([`BatchStore`]).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use sea_orm::DbErr;

use protocol::SenderType;

use super::writer::Job;
use crate::entities::{attachments, chats, messages};

/// One send as written: the stored message (a retry's earlier copy when `created` is false) and, for a send that
/// opens a chat, that chat and whether this send created it.
pub(super) struct Stored {
    pub(super) message: messages::Model,
    pub(super) created: bool,
    pub(super) opened: Option<(chats::Model, bool)>,
    /// The system line written just before `message` when the send made the chat its agent's ("Anna joined").
    pub(super) joined: Option<messages::Model>,
}

/// What writing a batch needs of the database, in the order [`write_batch`] asks: SeaORM on MySQL/MariaDB
/// ([`SeaStore`]), SQLite's own API on the writer's connection ([`sqlite::SqliteStore`]). Every call runs inside
/// the batch's transaction.
pub(super) trait BatchStore {
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
    async fn insert_attachments(&mut self, new: &[attachments::Model]) -> Result<(), DbErr>;
    /// The chat's first visitor message was written at `at`, unless one was recorded before.
    async fn first_visitor(&mut self, chat_id: &str, at: NaiveDateTime) -> Result<(), DbErr>;
    /// `by` answered at `at`: the chat's first response, if its visitor has written and none was recorded before.
    /// Whether it was.
    async fn first_response(&mut self, chat_id: &str, at: NaiveDateTime, by: &str) -> Result<bool, DbErr>;
}

/// Stores `batch` through `store`, inside its transaction: each chat's last seq is read first (taking the chat's
/// row lock on MySQL; on SQLite the writer holds the write lock from the start), then retries are found (after the
/// lock, so a concurrent retry sees the first copy), and the new messages inserted, numbered after the last seq in
/// batch order. Nothing is written to the chat row unless an agent takes the chat.
pub(super) async fn write_batch(store: &mut impl BatchStore, batch: &[Job]) -> Result<Vec<Stored>, DbErr> {
    let now = crate::services::now_millis();

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
    let mut per_chat: BTreeMap<&str, Option<usize>> = BTreeMap::new();
    for (i, (job, chat)) in batch.iter().zip(&chat_of).enumerate() {
        let taking = per_chat.entry(chat.id.as_str()).or_insert(None);
        if job.taking && taking.is_none() {
            *taking = Some(i);
        }
    }
    let ids: Vec<&str> = per_chat.keys().copied().collect();
    let last = store.last_seqs(&ids).await?;
    for (chat_id, job) in per_chat.iter().filter_map(|(id, taking)| taking.map(|i| (*id, &batch[i]))) {
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
    let mut fresh: Vec<(usize, &Job, &str)> = Vec::new();
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
            fresh.push((i, job, chat_id));
        }
        slots.push(slot);
    }

    // Number the new messages after each chat's last, in batch order; a send that makes a waiting chat its agent's
    // is preceded by its "joined" line.
    let joining: HashMap<&str, usize> = per_chat
        .iter()
        .filter_map(|(id, taking)| taking.filter(|i| batch[*i].joined.is_some()).map(|i| (*id, i)))
        .collect();
    let mut next: HashMap<&str, i64> = ids.iter().map(|id| (*id, last.get(*id).copied().unwrap_or(0) + 1)).collect();
    let mut take_seq = |chat_id: &str| match next.get_mut(chat_id) {
        Some(n) => {
            *n += 1;
            *n - 1
        }
        None => 1,
    };
    let mut lines: HashMap<usize, messages::Model> = HashMap::new();
    let mut models: Vec<messages::Model> = Vec::with_capacity(fresh.len());
    for (i, job, chat_id) in &fresh {
        if joining.get(chat_id) == Some(i) {
            if let Some((text, event)) = &job.joined {
                let mut line = new_message(chat_id, take_seq(chat_id), job, now);
                line.client_msg_id = None;
                line.sender_type = SenderType::System;
                line.content = text.clone();
                line.metadata = Some(event.clone());
                lines.insert(*i, line);
            }
        }
        models.push(new_message(chat_id, take_seq(chat_id), job, now));
    }
    if !models.is_empty() {
        store.insert_messages(&models).await?;
    }
    if !lines.is_empty() {
        let lines: Vec<messages::Model> = lines.values().cloned().collect();
        store.insert_messages(&lines).await?;
    }
    let known: HashMap<&str, &chats::Model> = chat_of.iter().map(|c| (c.id.as_str(), *c)).collect();
    let firsts = record_firsts(store, &models, &known).await?;
    // The files of new file messages, with the chat and message they belong to. A retried upload's file is not
    // stored again: its first copy is the message.
    let files: Vec<attachments::Model> = fresh
        .iter()
        .zip(&models)
        .filter_map(|((_, job, _), message)| {
            let mut row = job.attachment.clone()?;
            row.chat_id = message.chat_id.clone();
            row.message_id = Some(message.id.clone());
            Some(row)
        })
        .collect();
    if !files.is_empty() {
        store.insert_attachments(&files).await?;
    }
    // The chats handed back carry what this batch recorded, so a socket that keeps its chat does not record again.
    for (chat, _) in opened.values_mut() {
        if let Some(first) = firsts.get(chat.id.as_str()) {
            first.apply(chat);
        }
    }

    let mut out: Vec<Stored> = Vec::with_capacity(batch.len());

    let mut announced = std::collections::HashSet::new();
    for (i, (job, slot)) in batch.iter().zip(slots).enumerate() {
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
        out.push(Stored { message, created, opened: chat_opened, joined: lines.remove(&i) });
    }
    Ok(out)
}

/// A new message of `job` in `chat_id` with `seq`.
fn new_message(chat_id: &str, seq: i64, job: &Job, now: NaiveDateTime) -> messages::Model {
    messages::Model {
        id: uuid::Uuid::now_v7().to_string(),
        chat_id: chat_id.to_string(),
        seq,
        client_msg_id: job.client_msg_id.clone(),
        sender_type: job.sender_type,
        sender_id: Some(job.sender_id.clone()),
        content: job.content.clone(),
        kind: job.kind,
        metadata: job.metadata.clone(),
        created_at: now,
    }
}

/// What a batch recorded of a chat's first visitor message and first response.
#[derive(Default)]
struct Firsts {
    visitor: Option<NaiveDateTime>,
    response: Option<(NaiveDateTime, String)>,
}

impl Firsts {
    fn apply(&self, chat: &mut chats::Model) {
        if chat.first_visitor_at.is_none() {
            chat.first_visitor_at = self.visitor;
        }
        if let (None, Some((at, by))) = (chat.first_response_at, &self.response) {
            chat.first_response_at = Some(*at);
            chat.first_response_by = Some(by.clone());
        }
    }
}

/// Records, for analytics, each chat's first visitor message and the first agent message after it, in seq order.
/// `known` is what the batch knew of each chat: a chat already marked costs nothing, so after its first exchange a
/// chat's messages write nothing more than themselves. The statements are guarded (`… IS NULL`), so a stale copy
/// only costs a statement that changes nothing.
async fn record_firsts(
    store: &mut impl BatchStore,
    models: &[messages::Model],
    known: &HashMap<&str, &chats::Model>,
) -> Result<HashMap<String, Firsts>, DbErr> {
    let mut firsts: HashMap<String, Firsts> = HashMap::new();
    for m in models {
        let chat = known.get(m.chat_id.as_str());
        let first = firsts.entry(m.chat_id.clone()).or_default();
        match m.sender_type {
            SenderType::Visitor => {
                if first.visitor.is_none() && chat.is_none_or(|c| c.first_visitor_at.is_none()) {
                    store.first_visitor(&m.chat_id, m.created_at).await?;
                    first.visitor = Some(m.created_at);
                }
            }
            // A note is not an answer to the visitor.
            SenderType::Admin if m.kind == protocol::MessageKind::Note => {}
            SenderType::Admin => {
                let visitor_known = first.visitor.is_some() || chat.is_some_and(|c| c.first_visitor_at.is_some());
                let answered = first.response.is_some() || chat.is_some_and(|c| c.first_response_at.is_some());
                if !answered {
                    let by = m.sender_id.as_deref().unwrap_or_default();
                    if store.first_response(&m.chat_id, m.created_at, by).await? || visitor_known {
                        first.response = Some((m.created_at, by.to_string()));
                    }
                }
            }
            SenderType::System => {}
        }
    }
    Ok(firsts)
}
