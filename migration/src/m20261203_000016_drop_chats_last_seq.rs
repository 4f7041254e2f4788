//! Drops `chats.last_seq`. A chat's last seq is read from the messages' unique `(chat_id, seq)` index instead
//! (`MAX(seq)`, one index seek), so storing a message no longer rewrites its chat's row: on SQLite that row update
//! was a page of the write-ahead log for most messages (BENCHMARKS.md, 2026-12-03, `48b993d`). The row lock that orders a
//! chat's senders on MySQL/MariaDB is now taken with `SELECT … FOR UPDATE`.

use crate::m20261124_000006_create_chats::Chats;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Chats::Table).drop_column(Chats::LastSeq).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(Chats::Table).add_column(big_integer(Chats::LastSeq).default(0)).to_owned(),
            )
            .await?;
        // Back to the counter the old code kept.
        let backfill = "UPDATE chats SET last_seq = (SELECT COALESCE(MAX(seq), 0) FROM messages \
                        WHERE messages.chat_id = chats.id)";
        manager.get_connection().execute_unprepared(backfill).await.map(drop)
    }
}
