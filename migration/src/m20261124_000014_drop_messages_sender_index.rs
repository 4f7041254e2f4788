//! Drops `idx_messages_sender`: no query reads messages by sender, and every stored message paid for it (one more
//! B-tree page written per message, on a hot path measured in `BENCHMARKS.md`). A report that counts messages per
//! agent adds the index it needs with it.

use crate::m20261124_000007_create_messages::Messages;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "idx_messages_sender";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(NAME).table(Messages::Table).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table(Messages::Table)
                    .col(Messages::SenderType)
                    .col(Messages::SenderId)
                    .to_owned(),
            )
            .await
    }
}
