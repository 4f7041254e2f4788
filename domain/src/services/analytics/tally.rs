//! Message counts per website, quarter hour and sender, summed in memory as the writer stores messages and added
//! to `message_counts` once a second by one task. Counting inside each send's transaction would make every
//! sender of a website queue on one counter row on MySQL/MariaDB (each send commits on its own there); summed here,
//! a second's messages cost one statement. A crash loses at most the last second's counts, which
//! `helpdesk analytics-rebuild` restores from the messages (docs/analytics.md).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::NaiveDateTime;
use migration::m20261204_000022_analytics::BUCKET_SECONDS;
use protocol::SenderType;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QuerySelect, Statement, Value,
};

use crate::db::WriteLane;
use crate::entities::websites;

/// (website, bucket, sender type, agent id or "").
type Key = (String, i64, SenderType, String);

/// Counts not yet added to the database.
#[derive(Default)]
pub struct Tally {
    pending: Mutex<HashMap<Key, i64>>,
}

/// The start of `t`'s bucket, in seconds since 1970 (UTC).
pub fn bucket(t: NaiveDateTime) -> i64 {
    let s = t.and_utc().timestamp();
    s - s.rem_euclid(BUCKET_SECONDS)
}

/// Rows per statement when adding counts.
const ROWS: usize = 200;

impl Tally {
    /// One message stored at `at` on `website_id` by `sender_type` (`agent_id` for agents).
    pub fn count(&self, website_id: &str, at: NaiveDateTime, sender_type: SenderType, agent_id: Option<&str>) {
        let sender = match sender_type {
            SenderType::Admin => agent_id.unwrap_or_default().to_string(),
            _ => String::new(),
        };
        let key = (website_id.to_string(), bucket(at), sender_type, sender);
        if let Ok(mut pending) = self.pending.lock() {
            *pending.entry(key).or_default() += 1;
        }
    }

    /// Adds the pending counts to the database; on failure they stay pending for the next try.
    pub async fn flush(&self, lane: &WriteLane) -> Result<(), DbErr> {
        let taken: Vec<(Key, i64)> = match self.pending.lock() {
            Ok(mut pending) => pending.drain().collect(),
            Err(_) => return Ok(()),
        };
        if taken.is_empty() {
            return Ok(());
        }
        let turn = lane.turn().await;
        let mut written = add(turn.db(), &taken).await;
        let website_gone = written
            .as_ref()
            .is_err_and(|e| matches!(e.sql_err(), Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_))));
        let mut taken = taken;
        if website_gone {
            // A website deleted since its messages were counted: its counts go with it.
            let ids: Vec<&str> = taken.iter().map(|((w, ..), _)| w.as_str()).collect();
            let alive = websites::Entity::find()
                .select_only()
                .column(websites::Column::Id)
                .filter(websites::Column::Id.is_in(ids))
                .into_tuple::<String>()
                .all(turn.db())
                .await;
            if let Ok(alive) = alive {
                let alive: std::collections::HashSet<String> = alive.into_iter().collect();
                taken.retain(|((w, ..), _)| alive.contains(w));
                written = add(turn.db(), &taken).await;
            }
        }
        drop(turn);
        if written.is_err() {
            if let Ok(mut pending) = self.pending.lock() {
                for (key, n) in taken {
                    *pending.entry(key).or_default() += n;
                }
            }
        }
        written
    }

    /// Flushes every `period` until the process ends; a failed flush is logged and retried.
    pub fn flush_every(self: std::sync::Arc<Self>, lane: WriteLane, period: Duration) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = self.flush(&lane).await {
                    tracing::warn!(error = %e, "message counts not written yet; retrying");
                }
            }
        });
    }
}

/// Adds `counts` to `message_counts` in one transaction.
async fn add(db: &sea_orm::DatabaseConnection, counts: &[(Key, i64)]) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let upsert = match backend {
        DbBackend::MySql => "ON DUPLICATE KEY UPDATE messages = messages + VALUES(messages)",
        _ => "ON CONFLICT (website_id, bucket, sender_type, sender_id) DO UPDATE SET messages = messages + excluded.messages",
    };
    let txn = crate::db::begin_write(db).await?;
    for rows in counts.chunks(ROWS) {
        let placeholders = vec!["(?, ?, ?, ?, ?)"; rows.len()].join(", ");
        let sql = format!(
            "INSERT INTO message_counts (website_id, bucket, sender_type, sender_id, messages) VALUES {placeholders} {upsert}"
        );
        let mut values: Vec<Value> = Vec::with_capacity(rows.len() * 5);
        for ((website, bucket, sender_type, sender), n) in rows {
            values.extend([
                website.clone().into(),
                (*bucket).into(),
                sender_type.as_str().into(),
                sender.clone().into(),
                (*n).into(),
            ]);
        }
        txn.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    }
    txn.commit().await
}
