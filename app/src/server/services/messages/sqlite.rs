//! The SQLite message writer's statements. A batch borrows the writer's connection from sqlx (`lock_handle`: sqlx's
//! worker thread leaves the handle alone until it is given back) and runs on it through SQLite's own API, on the
//! writer's thread: one hand-off per batch instead of one per statement and per returned row, and one prepared
//! statement per step with bound values instead of statements whose text depends on the batch size.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use rusqlite::{params, Connection, OptionalExtension, Row};
use sea_orm::{DatabaseConnection, DbErr};

use super::{write_batch, BatchStore, Job, Stored};
use crate::server::entities::{chats, messages};
use crate::server::services::chats::open_statuses;

/// Column lists in the entities' order (a test keeps them in step with `chats::Model` and `messages::Model`).
const CHAT_COLUMNS: &str =
    "id, website_id, visitor_id, assigned_to, status, resolution, last_seq, started_at, ended_at, created_at, \
     updated_at";
const MESSAGE_COLUMNS: &str =
    "id, chat_id, seq, client_msg_id, sender_type, sender_id, content, type, metadata, created_at";

/// Writes `batch` in one transaction on the writer's connection (`db`: the dedicated pool of one).
#[allow(unsafe_code)]
pub(super) async fn write(db: &DatabaseConnection, batch: &[Job]) -> Result<Vec<Stored>, DbErr> {
    let mut conn = db.get_sqlite_connection_pool().acquire().await.map_err(sqlx_err)?;
    let mut handle = conn.lock_handle().await.map_err(sqlx_err)?;
    // SAFETY: `handle` keeps sqlx's worker thread off this connection until it drops, after `sqlite` (declared
    // later, dropped first). A connection made with `from_handle` does not close the handle; dropping it finalizes
    // the statements it prepared, so sqlx gets the connection back as it lent it.
    let sqlite = unsafe { Connection::from_handle(handle.as_raw_handle().as_ptr()) }.map_err(err)?;
    in_transaction(&sqlite, batch).await
}

async fn in_transaction(sqlite: &Connection, batch: &[Job]) -> Result<Vec<Stored>, DbErr> {
    // IMMEDIATE: the write lock is taken now, not when the first write finds it taken by a pooled connection.
    sqlite.execute_batch("BEGIN IMMEDIATE").map_err(err)?;
    let result = write_batch(&mut SqliteStore(sqlite), batch).await;
    let result = match result {
        Ok(stored) => sqlite.execute_batch("COMMIT").map(|_| stored).map_err(err),
        Err(e) => Err(e),
    };
    if !sqlite.is_autocommit() {
        // A failed batch (or commit) leaves nothing behind: the connection goes back to sqlx outside a transaction.
        if let Err(e) = sqlite.execute_batch("ROLLBACK") {
            tracing::error!(error = %e, "cannot roll back a failed message batch");
        }
    }
    result
}

pub(super) struct SqliteStore<'c>(&'c Connection);

impl BatchStore for SqliteStore<'_> {
    async fn open_chats(&mut self, visitors: &[&str]) -> Result<Vec<chats::Model>, DbErr> {
        let [waiting, ongoing] = open_statuses();
        let mut find = self
            .0
            .prepare_cached(&format!(
                "SELECT {CHAT_COLUMNS} FROM chats WHERE visitor_id = ?1 AND status IN (?2, ?3) \
                 ORDER BY created_at DESC"
            ))
            .map_err(err)?;
        let mut found = Vec::new();
        for visitor in visitors {
            let rows = find.query_map(params![visitor, waiting, ongoing], chat_from_row).map_err(err)?;
            for chat in rows {
                found.push(chat.map_err(err)?);
            }
        }
        Ok(found)
    }

    async fn insert_chats(&mut self, new: &[chats::Model]) -> Result<(), DbErr> {
        let mut insert = self.0.prepare_cached(&insert_sql("chats", CHAT_COLUMNS)).map_err(err)?;
        for c in new {
            insert
                .execute(params![
                    c.id,
                    c.website_id,
                    c.visitor_id,
                    c.assigned_to,
                    c.status,
                    c.resolution,
                    c.last_seq,
                    time(c.started_at),
                    c.ended_at.map(time),
                    time(c.created_at),
                    time(c.updated_at),
                ])
                .map_err(err)?;
        }
        Ok(())
    }

    async fn bump(&mut self, per_chat: &[(&str, i64)], now: NaiveDateTime) -> Result<HashMap<String, i64>, DbErr> {
        let mut bump = self
            .0
            .prepare_cached(
                "UPDATE chats SET last_seq = last_seq + ?2, updated_at = ?3 WHERE id = ?1 RETURNING last_seq",
            )
            .map_err(err)?;
        let now = time(now);
        let mut last = HashMap::with_capacity(per_chat.len());
        for (chat_id, n) in per_chat {
            let seq: Option<i64> =
                bump.query_row(params![chat_id, n, now], |row| row.get(0)).optional().map_err(err)?;
            let seq = seq.ok_or_else(|| DbErr::RecordNotFound(format!("chat {chat_id}")))?;
            last.insert(chat_id.to_string(), seq);
        }
        Ok(last)
    }

    async fn take(&mut self, chat_id: &str, assignee: Option<&str>) -> Result<(), DbErr> {
        let ongoing = protocol::ChatStatus::Ongoing.as_str();
        let done = match assignee {
            Some(agent) => self.0.execute(
                "UPDATE chats SET status = ?2, assigned_to = ?3 WHERE id = ?1",
                params![chat_id, ongoing, agent],
            ),
            None => self.0.execute("UPDATE chats SET status = ?2 WHERE id = ?1", params![chat_id, ongoing]),
        };
        done.map(drop).map_err(err)
    }

    async fn stored(&mut self, pairs: &[(&str, &str)]) -> Result<Vec<messages::Model>, DbErr> {
        let mut find = self
            .0
            .prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE chat_id = ?1 AND client_msg_id = ?2"
            ))
            .map_err(err)?;
        let mut found = Vec::new();
        for (chat_id, cid) in pairs {
            if let Some(m) = find.query_row(params![chat_id, cid], message_from_row).optional().map_err(err)? {
                found.push(m);
            }
        }
        Ok(found)
    }

    async fn give_back(&mut self, chat_id: &str, n: i64) -> Result<(), DbErr> {
        self.0
            .execute("UPDATE chats SET last_seq = last_seq - ?2 WHERE id = ?1", params![chat_id, n])
            .map(drop)
            .map_err(err)
    }

    async fn insert_messages(&mut self, new: &[messages::Model]) -> Result<(), DbErr> {
        let mut insert = self.0.prepare_cached(&insert_sql("messages", MESSAGE_COLUMNS)).map_err(err)?;
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
                    m.sender_type,
                    m.sender_id,
                    m.content,
                    m.kind,
                    // JSON as text, as the entity stores it.
                    m.metadata.as_ref().map(|meta| meta.to_string()),
                    created_at,
                ])
                .map_err(err)?;
        }
        Ok(())
    }
}

/// `INSERT INTO table (columns) VALUES (?1, …, ?n)`, one placeholder per listed column.
fn insert_sql(table: &str, columns: &str) -> String {
    let placeholders: Vec<String> = (1..=columns.split(',').count()).map(|i| format!("?{i}")).collect();
    format!("INSERT INTO {table} ({columns}) VALUES ({})", placeholders.join(", "))
}

fn chat_from_row(row: &Row<'_>) -> rusqlite::Result<chats::Model> {
    Ok(chats::Model {
        id: row.get(0)?,
        website_id: row.get(1)?,
        visitor_id: row.get(2)?,
        assigned_to: row.get(3)?,
        status: row.get(4)?,
        resolution: row.get(5)?,
        last_seq: row.get(6)?,
        started_at: time_at(row, 7)?,
        ended_at: row.get::<_, Option<String>>(8)?.map(|t| parse_time(8, &t)).transpose()?,
        created_at: time_at(row, 9)?,
        updated_at: time_at(row, 10)?,
    })
}

fn message_from_row(row: &Row<'_>) -> rusqlite::Result<messages::Model> {
    let metadata: Option<String> = row.get(8)?;
    Ok(messages::Model {
        id: row.get(0)?,
        chat_id: row.get(1)?,
        seq: row.get(2)?,
        client_msg_id: row.get(3)?,
        sender_type: row.get(4)?,
        sender_id: row.get(5)?,
        content: row.get(6)?,
        kind: row.get(7)?,
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

fn parse_time(i: usize, text: &str) -> rusqlite::Result<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text, "%F %T%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%FT%T%.f"))
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)))
}

fn err(e: rusqlite::Error) -> DbErr {
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
