//! `attachments`: files and images sent in a chat. The bytes live in the upload directory under `stored_name`
//! (never the uploader's name); images are re-encoded on upload and get a `thumbnail` beside them.

use crate::cols;
use crate::m20261124_000006_create_chats::Chats;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Attachments {
    Table,
    Id,
    ChatId,
    MessageId,
    UploaderType,
    UploaderId,
    StoredName,
    OriginalName,
    Mime,
    Size,
    Width,
    Height,
    Thumbnail,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Attachments::Table)
                    .col(cols::id(Attachments::Id))
                    .col(cols::fk(Attachments::ChatId))
                    .col(cols::fk_null(Attachments::MessageId))
                    .col(string_len(Attachments::UploaderType, 20))
                    .col(cols::fk(Attachments::UploaderId))
                    .col(string_len(Attachments::StoredName, 64))
                    .col(string_len(Attachments::OriginalName, 255))
                    .col(string_len(Attachments::Mime, 100))
                    .col(big_integer(Attachments::Size))
                    .col(integer_null(Attachments::Width))
                    .col(integer_null(Attachments::Height))
                    .col(string_len_null(Attachments::Thumbnail, 64))
                    .col(cols::now(Attachments::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_attachments_chat")
                            .from(Attachments::Table, Attachments::ChatId)
                            .to(Chats::Table, Chats::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_attachments_chat")
                    .table(Attachments::Table)
                    .col(Attachments::ChatId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_attachments_message")
                    .table(Attachments::Table)
                    .col(Attachments::MessageId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Attachments::Table).to_owned()).await
    }
}
