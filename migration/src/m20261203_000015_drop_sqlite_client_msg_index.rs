//! On SQLite, drops `uq_messages_chat_client_msg`. There the message writer is the only writer of messages and
//! finds retries in memory (`services::messages::sqlite::ClientIds`), while the index cost every message a random
//! B-tree page of its own: the largest share of what the write-ahead log and its checkpoints wrote (BENCHMARKS.md,
//! 2026-12-03, `48b993d`). MySQL/MariaDB keep it: there several nodes write messages, and the index is what makes a retry
//! arriving on another node a retry.

use crate::m20261124_000007_create_messages::Messages;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "uq_messages_chat_client_msg";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Sqlite {
            return Ok(());
        }
        manager.drop_index(Index::drop().name(NAME).table(Messages::Table).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Sqlite {
            return Ok(());
        }
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table(Messages::Table)
                    .col(Messages::ChatId)
                    .col(Messages::ClientMsgId)
                    .unique()
                    .to_owned(),
            )
            .await
    }
}
