//! The SQLite message writer's statements. A batch borrows the writer's connection from sqlx (`lock_handle`: sqlx's
//! worker thread leaves the handle alone until it is given back) and runs on it through SQLite's own API, on the
//! writer's thread: one hand-off per batch instead of one per statement and per returned row, and one prepared
//! statement per step with bound values instead of statements whose text depends on the batch size.
//!
//! Retries are found in memory ([`ClientIds`]): SQLite keeps no index on `(chat_id, client_msg_id)` (migration 15),
//! because every message paid a random index page for it, the largest share of what the log and its checkpoints
//! write.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use protocol::{ChatStatus, MessageKind, SenderType};
use rusqlite::{params, Connection, OptionalExtension, Row};
use sea_orm::{DatabaseConnection, DbErr};

use super::batch::{write_batch, BatchStore, Stored};
use super::writer::Job;
use crate::entities::{attachments, chats, messages};
use crate::services::chats::open_statuses;

/// Column lists in the entities' order (a test keeps them in step with `chats::Model` and `messages::Model`).
const CHAT_COLUMNS: &str =
    "id, website_id, visitor_id, assigned_to, status, resolution, started_at, ended_at, created_at, updated_at, \
     first_visitor_at, first_response_at, first_response_by, visitor_read_seq";
const ATTACHMENT_COLUMNS: &str = "id, chat_id, message_id, uploader_type, uploader_id, stored_name, original_name, \
     mime, size, width, height, thumbnail, created_at";
const MESSAGE_COLUMNS: &str =
    "id, chat_id, seq, client_msg_id, sender_type, sender_id, content, type, metadata, created_at";

/// Client message ids the writer has stored, per chat, so a send is checked for a retry without a read.
///
/// What is known of a chat is read once, when the writer first needs it (the client ids of its last
/// [`ClientIds::WINDOW`] messages, from the `(chat_id, seq)` index), and then kept up to date by the writer's own
/// commits. That is exact only while nobody else stores messages, which the writer checks at the start of every
/// batch, inside its write lock: the largest message rowid must be the one it last wrote. If another connection or
/// process wrote messages since, everything known is dropped and read again. At most [`ClientIds::MAX_IDS`] ids are
/// kept; past that the chats used longest ago are forgotten (and read again when they next get a message).
pub(crate) struct ClientIds {
    chats: HashMap<String, KnownChat>,
    ids: usize,
    window: i64,
    max_ids: usize,
    /// The largest message rowid when this was last known to match the database (`None`: no messages).
    last_rowid: Option<i64>,
    /// Batches seen, for forgetting the chats used longest ago.
    clock: u64,
}

#[derive(Default)]
struct KnownChat {
    /// Client id → seq.
    ids: HashMap<String, i64>,
    used: u64,
}

impl Default for ClientIds {
    fn default() -> Self {
        ClientIds::new(Self::WINDOW, Self::MAX_IDS)
    }
}

impl ClientIds {
    /// A retry is recognised among a chat's last this many messages: a client resends what it did not see
    /// acknowledged, and no chat gets this many messages while one of its clients waits to reconnect.
    pub const WINDOW: i64 = 10_000;
    /// Client ids kept in memory at most (some 100 bytes each).
    pub const MAX_IDS: usize = 200_000;

    fn new(window: i64, max_ids: usize) -> Self {
        ClientIds { chats: HashMap::new(), ids: 0, window, max_ids, last_rowid: None, clock: 0 }
    }

    /// At the start of a batch, with the write lock held: forget everything if someone else wrote messages.
    fn check(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        self.clock += 1;
        let last: Option<i64> = conn.query_row("SELECT max(rowid) FROM messages", [], |row| row.get(0))?;
        if last != self.last_rowid {
            self.chats.clear();
            self.ids = 0;
            self.last_rowid = last;
        }
        Ok(())
    }

    /// The seq of the message stored in `chat_id` with `client_msg_id`, if it is among the chat's last
    /// `window` messages.
    fn find(&mut self, conn: &Connection, chat_id: &str, client_msg_id: &str) -> rusqlite::Result<Option<i64>> {
        let clock = self.clock;
        if !self.chats.contains_key(chat_id) {
            let mut read = conn.prepare_cached(
                "SELECT client_msg_id, seq FROM messages WHERE chat_id = ?1 AND client_msg_id IS NOT NULL \
                 AND seq > (SELECT coalesce(max(seq), 0) FROM messages WHERE chat_id = ?1) - ?2",
            )?;
            let rows = read.query_map(params![chat_id, self.window], |row| Ok((row.get(0)?, row.get(1)?)))?;
            let ids = rows.collect::<rusqlite::Result<HashMap<String, i64>>>()?;
            self.ids += ids.len();
            self.chats.insert(chat_id.to_string(), KnownChat { ids, used: clock });
        }
        let seq = self.chats.get_mut(chat_id).and_then(|chat| {
            chat.used = clock;
            chat.ids.get(client_msg_id).copied()
        });
        Ok(seq)
    }

    /// After a commit: the messages it stored, and the largest rowid it wrote (`None` if it stored none).
    fn committed(&mut self, stored: Vec<(String, String, i64)>, last_rowid: Option<i64>) {
        for (chat_id, client_msg_id, seq) in stored {
            // A chat not read yet is read in full when it is next needed.
            if let Some(chat) = self.chats.get_mut(&chat_id) {
                if chat.ids.insert(client_msg_id, seq).is_none() {
                    self.ids += 1;
                }
                if chat.ids.len() as i64 > 2 * self.window {
                    let before = chat.ids.len();
                    chat.ids.retain(|_, s| *s > seq - self.window);
                    self.ids -= before - chat.ids.len();
                }
            }
        }
        if last_rowid.is_some() {
            self.last_rowid = last_rowid;
        }
        if self.ids > self.max_ids {
            self.forget_oldest();
        }
    }

    /// Forgets the chats used longest ago until a quarter of the room is free again.
    fn forget_oldest(&mut self) {
        let mut by_age: Vec<(u64, String, usize)> =
            self.chats.iter().map(|(id, chat)| (chat.used, id.clone(), chat.ids.len())).collect();
        by_age.sort_unstable();
        for (_, id, n) in by_age {
            if self.ids <= self.max_ids * 3 / 4 {
                break;
            }
            self.chats.remove(&id);
            self.ids -= n;
        }
    }
}

/// Writes `batch` in one transaction on the writer's connection (`db`: the dedicated pool of one).
#[allow(unsafe_code)]
pub(super) async fn write(db: &DatabaseConnection, known: &mut ClientIds, batch: &[Job]) -> Result<Vec<Stored>, DbErr> {
    let mut conn = db.get_sqlite_connection_pool().acquire().await.map_err(sqlx_err)?;
    let mut handle = conn.lock_handle().await.map_err(sqlx_err)?;
    // SAFETY: `handle` keeps sqlx's worker thread off this connection until it drops, after `sqlite` (declared
    // later, dropped first). A connection made with `from_handle` does not close the handle; dropping it finalizes
    // the statements it prepared, so sqlx gets the connection back as it lent it.
    let sqlite = unsafe { Connection::from_handle(handle.as_raw_handle().as_ptr()) }.map_err(err)?;
    in_transaction(&sqlite, known, batch).await
}

async fn in_transaction(sqlite: &Connection, known: &mut ClientIds, batch: &[Job]) -> Result<Vec<Stored>, DbErr> {
    // IMMEDIATE: the write lock is taken now, not when the first write finds it taken by a pooled connection.
    sqlite.execute_batch("BEGIN IMMEDIATE").map_err(err)?;
    let mut store = SqliteStore { conn: sqlite, known, stored: Vec::new(), last_rowid: None };
    let result = match store.known.check(sqlite).map_err(err) {
        Ok(()) => write_batch(&mut store, batch).await,
        Err(e) => Err(e),
    };
    let SqliteStore { known, stored, last_rowid, .. } = store;
    let result = match result {
        Ok(out) => sqlite.execute_batch("COMMIT").map(|_| out).map_err(err),
        Err(e) => Err(e),
    };
    // Only what was committed becomes known.
    if result.is_ok() {
        known.committed(stored, last_rowid);
    }
    if !sqlite.is_autocommit() {
        // A failed batch (or commit) leaves nothing behind: the connection goes back to sqlx outside a transaction.
        if let Err(e) = sqlite.execute_batch("ROLLBACK") {
            tracing::error!(error = %e, "cannot roll back a failed message batch");
        }
    }
    result
}

pub(super) struct SqliteStore<'c> {
    conn: &'c Connection,
    known: &'c mut ClientIds,
    /// (chat, client id, seq) of the messages inserted in this transaction, for `known` once it commits.
    stored: Vec<(String, String, i64)>,
    last_rowid: Option<i64>,
}

impl BatchStore for SqliteStore<'_> {
    async fn open_chats(&mut self, visitors: &[&str]) -> Result<Vec<chats::Model>, DbErr> {
        let [waiting, ongoing] = open_statuses();
        let mut find = self
            .conn
            .prepare_cached(&format!(
                "SELECT {CHAT_COLUMNS} FROM chats WHERE visitor_id = ?1 AND status IN (?2, ?3) \
                 ORDER BY created_at DESC"
            ))
            .map_err(err)?;
        let mut found = Vec::new();
        for visitor in visitors {
            let rows =
                find.query_map(params![visitor, waiting.as_str(), ongoing.as_str()], chat_from_row).map_err(err)?;
            for chat in rows {
                found.push(chat.map_err(err)?);
            }
        }
        Ok(found)
    }

    async fn insert_chats(&mut self, new: &[chats::Model]) -> Result<(), DbErr> {
        let mut insert = self.conn.prepare_cached(&insert_sql("chats", CHAT_COLUMNS)).map_err(err)?;
        for c in new {
            insert
                .execute(params![
                    c.id,
                    c.website_id,
                    c.visitor_id,
                    c.assigned_to,
                    c.status.as_str(),
                    c.resolution,
                    time(c.started_at),
                    c.ended_at.map(time),
                    time(c.created_at),
                    time(c.updated_at),
                    c.first_visitor_at.map(time),
                    c.first_response_at.map(time),
                    c.first_response_by,
                    c.visitor_read_seq,
                ])
                .map_err(err)?;
        }
        Ok(())
    }

    async fn last_seqs(&mut self, chat_ids: &[&str]) -> Result<HashMap<String, i64>, DbErr> {
        // Two index seeks, nothing written: the chat's row (is it still there?) and its last `(chat_id, seq)`.
        let mut read = self
            .conn
            .prepare_cached(
                "SELECT (SELECT coalesce(max(seq), 0) FROM messages WHERE chat_id = ?1) FROM chats WHERE id = ?1",
            )
            .map_err(err)?;
        let mut last = HashMap::with_capacity(chat_ids.len());
        for chat_id in chat_ids {
            let seq: Option<i64> = read.query_row(params![chat_id], |row| row.get(0)).optional().map_err(err)?;
            let seq = seq.ok_or_else(|| DbErr::RecordNotFound(format!("chat {chat_id}")))?;
            last.insert(chat_id.to_string(), seq);
        }
        Ok(last)
    }

    async fn first_visitor(&mut self, chat_id: &str, at: NaiveDateTime) -> Result<(), DbErr> {
        let mut mark = self
            .conn
            .prepare_cached("UPDATE chats SET first_visitor_at = ?2 WHERE id = ?1 AND first_visitor_at IS NULL")
            .map_err(err)?;
        mark.execute(params![chat_id, time(at)]).map(drop).map_err(err)
    }

    async fn first_response(&mut self, chat_id: &str, at: NaiveDateTime, by: &str) -> Result<bool, DbErr> {
        let mut mark = self
            .conn
            .prepare_cached(
                "UPDATE chats SET first_response_at = ?2, first_response_by = ?3 \
                 WHERE id = ?1 AND first_response_at IS NULL AND first_visitor_at IS NOT NULL",
            )
            .map_err(err)?;
        mark.execute(params![chat_id, time(at), by]).map(|n| n > 0).map_err(err)
    }

    async fn take(&mut self, chat_id: &str, assignee: Option<&str>, now: NaiveDateTime) -> Result<(), DbErr> {
        let ongoing = protocol::ChatStatus::Ongoing.as_str();
        let now = time(now);
        let done = match assignee {
            Some(agent) => self.conn.execute(
                "UPDATE chats SET status = ?2, assigned_to = ?3, updated_at = ?4 WHERE id = ?1",
                params![chat_id, ongoing, agent, now],
            ),
            None => self
                .conn
                .execute("UPDATE chats SET status = ?2, updated_at = ?3 WHERE id = ?1", params![chat_id, ongoing, now]),
        };
        done.map(drop).map_err(err)
    }

    async fn stored(&mut self, pairs: &[(&str, &str)]) -> Result<Vec<messages::Model>, DbErr> {
        let mut found = Vec::new();
        for (chat_id, cid) in pairs {
            let Some(seq) = self.known.find(self.conn, chat_id, cid).map_err(err)? else { continue };
            let mut read = self
                .conn
                .prepare_cached(&format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE chat_id = ?1 AND seq = ?2"))
                .map_err(err)?;
            if let Some(m) = read.query_row(params![chat_id, seq], message_from_row).optional().map_err(err)? {
                found.push(m);
            }
        }
        Ok(found)
    }

    async fn insert_attachments(&mut self, new: &[attachments::Model]) -> Result<(), DbErr> {
        let mut insert = self.conn.prepare_cached(&insert_sql("attachments", ATTACHMENT_COLUMNS)).map_err(err)?;
        for a in new {
            insert
                .execute(params![
                    a.id,
                    a.chat_id,
                    a.message_id,
                    a.uploader_type,
                    a.uploader_id,
                    a.stored_name,
                    a.original_name,
                    a.mime,
                    a.size,
                    a.width,
                    a.height,
                    a.thumbnail,
                    time(a.created_at),
                ])
                .map_err(err)?;
        }
        Ok(())
    }

    async fn insert_messages(&mut self, new: &[messages::Model]) -> Result<(), DbErr> {
        let mut insert = self.conn.prepare_cached(&insert_sql("messages", MESSAGE_COLUMNS)).map_err(err)?;
        // A batch's messages share one `created_at`: formatted once, not per row.
        let mut stamp: Option<(NaiveDateTime, String)> = None;
        for m in new {
            if stamp.as_ref().map(|(t, _)| *t) != Some(m.created_at) {
                stamp = Some((m.created_at, time(m.created_at)));
            }
            let created_at = stamp.as_ref().map(|(_, text)| text.as_str());
            insert
                .execute(params![
                    m.id,
                    m.chat_id,
                    m.seq,
                    m.client_msg_id,
                    m.sender_type.as_str(),
                    m.sender_id,
                    m.content,
                    m.kind.as_str(),
                    // JSON as text, as the entity stores it.
                    m.metadata.as_ref().map(|meta| meta.to_string()),
                    created_at,
                ])
                .map_err(err)?;
            if let Some(cid) = &m.client_msg_id {
                self.stored.push((m.chat_id.clone(), cid.clone(), m.seq));
            }
        }
        self.last_rowid = Some(self.conn.last_insert_rowid());
        Ok(())
    }
}

/// `INSERT INTO table (columns) VALUES (?1, …, ?n)`, one placeholder per listed column.
fn insert_sql(table: &str, columns: &str) -> String {
    let placeholders: Vec<String> = (1..=columns.split(',').count()).map(|i| format!("?{i}")).collect();
    format!("INSERT INTO {table} ({columns}) VALUES ({})", placeholders.join(", "))
}

/// A string column as one of `protocol`'s enums: a value no variant has is an error, never a default.
fn enum_at<T>(row: &Row<'_>, i: usize, parse: fn(&str) -> Option<T>) -> rusqlite::Result<T> {
    let text: String = row.get(i)?;
    parse(&text).ok_or_else(|| {
        let unknown = std::io::Error::new(std::io::ErrorKind::InvalidData, format!("unknown value {text:?}"));
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(unknown))
    })
}

fn chat_from_row(row: &Row<'_>) -> rusqlite::Result<chats::Model> {
    Ok(chats::Model {
        id: row.get(0)?,
        website_id: row.get(1)?,
        visitor_id: row.get(2)?,
        assigned_to: row.get(3)?,
        status: enum_at(row, 4, ChatStatus::parse)?,
        resolution: row.get(5)?,
        started_at: time_at(row, 6)?,
        ended_at: time_opt(row, 7)?,
        created_at: time_at(row, 8)?,
        updated_at: time_at(row, 9)?,
        first_visitor_at: time_opt(row, 10)?,
        first_response_at: time_opt(row, 11)?,
        first_response_by: row.get(12)?,
        visitor_read_seq: row.get(13)?,
    })
}

fn message_from_row(row: &Row<'_>) -> rusqlite::Result<messages::Model> {
    let metadata: Option<String> = row.get(8)?;
    Ok(messages::Model {
        id: row.get(0)?,
        chat_id: row.get(1)?,
        seq: row.get(2)?,
        client_msg_id: row.get(3)?,
        sender_type: enum_at(row, 4, SenderType::parse)?,
        sender_id: row.get(5)?,
        content: row.get(6)?,
        kind: enum_at(row, 7, MessageKind::parse)?,
        metadata: metadata
            .map(|m| serde_json::from_str(&m))
            .transpose()
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(8, rusqlite::types::Type::Text, Box::new(e)))?,
        created_at: time_at(row, 9)?,
    })
}

/// A timestamp as sqlx writes it to SQLite (so the text sorts and reads back the same whoever wrote it).
fn time(t: NaiveDateTime) -> String {
    t.format("%F %T%.f").to_string()
}

fn time_at(row: &Row<'_>, i: usize) -> rusqlite::Result<NaiveDateTime> {
    parse_time(i, &row.get::<_, String>(i)?)
}

fn time_opt(row: &Row<'_>, i: usize) -> rusqlite::Result<Option<NaiveDateTime>> {
    row.get::<_, Option<String>>(i)?.map(|t| parse_time(i, &t)).transpose()
}

fn parse_time(i: usize, text: &str) -> rusqlite::Result<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text, "%F %T%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%FT%T%.f"))
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)))
}

fn err(e: rusqlite::Error) -> DbErr {
    // A row this write refers to is gone (the website, with its visitors and chats, was deleted meanwhile): the
    // send answers not found, as it would have a moment later.
    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation)
        && e.sqlite_error().is_some_and(|f| f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY)
    {
        return DbErr::RecordNotFound(format!("sqlite: {e}"));
    }
    DbErr::Custom(format!("sqlite: {e}"))
}

fn sqlx_err(e: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Custom(format!("sqlite connection: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{IdenStatic, Iterable};

    fn names<C: IdenStatic + Iterable>() -> String {
        C::iter().map(|c| c.as_str().to_string()).collect::<Vec<_>>().join(", ")
    }

    #[test]
    fn the_column_lists_follow_the_entities() {
        assert_eq!(CHAT_COLUMNS, names::<chats::Column>());
        assert_eq!(MESSAGE_COLUMNS, names::<messages::Column>());
        assert_eq!(ATTACHMENT_COLUMNS, names::<attachments::Column>());
    }

    /// A messages table with what `ClientIds` reads, and a way to store into it as the writer does.
    fn messages_db() -> Connection {
        let conn = Connection::open_in_memory().expect("sqlite");
        conn.execute_batch("CREATE TABLE messages (chat_id TEXT NOT NULL, seq INTEGER NOT NULL, client_msg_id TEXT)")
            .expect("table");
        conn
    }

    fn store(conn: &Connection, known: &mut ClientIds, chat: &str, seq: i64, cid: &str) {
        known.check(conn).expect("check");
        conn.execute("INSERT INTO messages VALUES (?1, ?2, ?3)", params![chat, seq, cid]).expect("insert");
        known.committed(vec![(chat.into(), cid.into(), seq)], Some(conn.last_insert_rowid()));
    }

    #[test]
    fn client_ids_are_read_once_then_followed_and_dropped_when_someone_else_writes() {
        let conn = messages_db();
        for seq in 1..=5 {
            conn.execute("INSERT INTO messages VALUES ('a', ?1, ?2)", params![seq, format!("old-{seq}")])
                .expect("insert");
        }
        let mut known = ClientIds::new(3, 1000);
        known.check(&conn).expect("check");
        assert_eq!(known.find(&conn, "a", "old-5").expect("find"), Some(5));
        assert_eq!(known.find(&conn, "a", "old-3").expect("find"), Some(3));
        assert_eq!(known.find(&conn, "a", "old-2").expect("find"), None, "outside the window of 3");
        assert_eq!(known.find(&conn, "b", "x").expect("find"), None);

        // The writer's own commits are followed without reading.
        store(&conn, &mut known, "a", 6, "mine");
        conn.execute("UPDATE messages SET client_msg_id = 'renamed' WHERE client_msg_id = 'mine'", []).expect("update");
        known.check(&conn).expect("check");
        assert_eq!(known.find(&conn, "a", "mine").expect("find"), Some(6), "known from the commit, not re-read");

        // A message some other connection stored: everything is read again.
        conn.execute("INSERT INTO messages VALUES ('a', 7, 'theirs')", []).expect("insert");
        known.check(&conn).expect("check");
        assert_eq!(known.find(&conn, "a", "theirs").expect("find"), Some(7));
        assert_eq!(known.find(&conn, "a", "renamed").expect("find"), Some(6));
        assert_eq!(known.find(&conn, "a", "mine").expect("find"), None);
    }

    #[test]
    fn only_committed_messages_become_known() {
        let conn = messages_db();
        let mut known = ClientIds::new(100, 1000);
        known.check(&conn).expect("check");
        assert_eq!(known.find(&conn, "a", "x").expect("find"), None);
        // A batch that rolled back reports nothing; its send is not a stored message.
        known.committed(Vec::new(), None);
        known.check(&conn).expect("check");
        assert_eq!(known.find(&conn, "a", "x").expect("find"), None);
        store(&conn, &mut known, "a", 1, "x");
        assert_eq!(known.find(&conn, "a", "x").expect("find"), Some(1));
    }

    #[test]
    fn the_chats_used_longest_ago_are_forgotten_past_the_limit() {
        let conn = messages_db();
        let mut known = ClientIds::new(100, 8);
        for (i, chat) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            known.check(&conn).expect("check");
            assert_eq!(known.find(&conn, chat, "none").expect("find"), None);
            store(&conn, &mut known, chat, 1, &format!("{chat}-1"));
            store(&conn, &mut known, chat, 2, &format!("{chat}-2"));
            assert!(known.ids <= 8, "after chat {i}: {} ids", known.ids);
        }
        assert!(!known.chats.contains_key("a") && known.chats.contains_key("e"), "oldest forgotten first");
        // A forgotten chat is read again when needed.
        known.check(&conn).expect("check");
        assert_eq!(known.find(&conn, "a", "a-2").expect("find"), Some(2));
    }

    #[test]
    fn an_insert_has_one_placeholder_per_column() {
        assert_eq!(insert_sql("t", "a, b, c"), "INSERT INTO t (a, b, c) VALUES (?1, ?2, ?3)");
    }

    #[test]
    fn timestamps_are_written_as_sqlx_writes_them_and_read_back() {
        let t = NaiveDateTime::parse_from_str("2026-12-02 18:04:05.123456789", "%F %T%.f").expect("a time");
        assert_eq!(time(t), "2026-12-02 18:04:05.123456789");
        assert_eq!(parse_time(0, &time(t)).ok(), Some(t));
        assert_eq!(parse_time(0, "2026-12-02T18:04:05.123456789").ok(), Some(t));
    }
}
