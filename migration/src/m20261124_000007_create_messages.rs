//! `messages`: ordered by (chat_id, seq), never by time. `client_msg_id` is unique per chat so a retried send is
//! stored once (NULLs do not collide in a unique index on either database).

use crate::cols;
use crate::m20261124_000006_create_chats::Chats;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Messages {
    Table,
    Id,
    ChatId,
    Seq,
    ClientMsgId,
    SenderType,
    SenderId,
    Content,
    Type,
    Metadata,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .col(cols::id(Messages::Id))
                    .col(cols::fk(Messages::ChatId))
                    .col(big_integer(Messages::Seq))
                    .col(string_len_null(Messages::ClientMsgId, 64))
                    // admin | visitor | system
                    .col(string_len(Messages::SenderType, 16))
                    .col(cols::fk_null(Messages::SenderId))
                    .col(text(Messages::Content))
                    // text | file | image
                    .col(string_len(Messages::Type, 16).default("text"))
                    .col(json_null(Messages::Metadata))
                    .col(cols::now(Messages::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_messages_chat")
                            .from(Messages::Table, Messages::ChatId)
                            .to(Chats::Table, Chats::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_messages_chat_seq")
                    .table(Messages::Table)
                    .col(Messages::ChatId)
                    .col(Messages::Seq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_messages_chat_client_msg")
                    .table(Messages::Table)
                    .col(Messages::ChatId)
                    .col(Messages::ClientMsgId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_messages_sender")
                    .table(Messages::Table)
                    .col(Messages::SenderType)
                    .col(Messages::SenderId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Messages::Table).to_owned()).await
    }
}
