//! `chat_reads`: how far each agent has read each chat (the last seq they saw), so the inbox's unread counts are
//! the same after a reload and on every device. Keyed by user first: the inbox asks for one agent's positions in
//! many chats.

use crate::cols;
use crate::m20261124_000002_create_users::Users;
use crate::m20261124_000006_create_chats::Chats;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum ChatReads {
    Table,
    UserId,
    ChatId,
    LastReadSeq,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChatReads::Table)
                    .col(cols::fk(ChatReads::UserId))
                    .col(cols::fk(ChatReads::ChatId))
                    .col(big_integer(ChatReads::LastReadSeq).default(0))
                    .col(cols::now(ChatReads::UpdatedAt))
                    .primary_key(Index::create().col(ChatReads::UserId).col(ChatReads::ChatId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_chat_reads_user")
                            .from(ChatReads::Table, ChatReads::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_chat_reads_chat")
                            .from(ChatReads::Table, ChatReads::ChatId)
                            .to(Chats::Table, Chats::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Deleting a chat (or a website's chats) finds their read positions by chat.
        manager
            .create_index(
                Index::create().name("idx_chat_reads_chat").table(ChatReads::Table).col(ChatReads::ChatId).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ChatReads::Table).to_owned()).await
    }
}
