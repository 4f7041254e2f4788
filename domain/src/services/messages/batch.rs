//! Writing a batch of sends in one transaction: the algorithm both stores share ([`write_batch`]) and what it needs
//! of a store ([`BatchStore`]).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use sea_orm::DbErr;

use super::writer::Job;
use crate::entities::{attachments, chats, messages};

/// One send as written: the stored message (a retry's earlier copy when `created` is false) and, for a send that
/// opens a chat, that chat and whether this send created it.
pub(super) struct Stored {
    pub(super) message: messages::Model,
    pub(super) created: bool,
    pub(super) opened: Option<(chats::Model, bool)>,
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
                sender_type: job.sender_type,
                sender_id: Some(job.sender_id.clone()),
                content: job.content.clone(),
                kind: job.kind,
                metadata: job.metadata.clone(),
                created_at: now,
            }
        })
        .collect();
    if !models.is_empty() {
        store.insert_messages(&models).await?;
    }
    // The files of new file messages, with the chat and message they belong to. A retried upload's file is not
    // stored again: its first copy is the message.
    let files: Vec<attachments::Model> = fresh
        .iter()
        .zip(&models)
        .filter_map(|((job, _), message)| {
            let mut row = job.attachment.clone()?;
            row.chat_id = message.chat_id.clone();
            row.message_id = Some(message.id.clone());
            Some(row)
        })
        .collect();
    if !files.is_empty() {
        store.insert_attachments(&files).await?;
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
