//! `labels` (per website: a name and a colour) and `chat_labels` (which chats carry which). `name_key`, the name in
//! lower case, makes a name unique within its website alike on both databases (MySQL compares case-insensitively,
//! SQLite does not).

use crate::cols;
use crate::m20261124_000003_create_websites::Websites;
use crate::m20261124_000006_create_chats::Chats;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Labels {
    Table,
    Id,
    WebsiteId,
    Name,
    NameKey,
    Color,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum ChatLabels {
    Table,
    ChatId,
    LabelId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Labels::Table)
                    .col(cols::id(Labels::Id))
                    .col(cols::fk(Labels::WebsiteId))
                    .col(string_len(Labels::Name, 50))
                    .col(string_len(Labels::NameKey, 50))
                    .col(string_len(Labels::Color, 7))
                    .col(date_time(Labels::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_labels_website")
                            .from(Labels::Table, Labels::WebsiteId)
                            .to(Websites::Table, Websites::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_labels_website_name")
                    .table(Labels::Table)
                    .col(Labels::WebsiteId)
                    .col(Labels::NameKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ChatLabels::Table)
                    .col(cols::fk(ChatLabels::ChatId))
                    .col(cols::fk(ChatLabels::LabelId))
                    .col(date_time(ChatLabels::CreatedAt))
                    .primary_key(Index::create().col(ChatLabels::ChatId).col(ChatLabels::LabelId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_chat_labels_chat")
                            .from(ChatLabels::Table, ChatLabels::ChatId)
                            .to(Chats::Table, Chats::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_chat_labels_label")
                            .from(ChatLabels::Table, ChatLabels::LabelId)
                            .to(Labels::Table, Labels::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The inbox filtered by a label reads chats by label.
        manager
            .create_index(
                Index::create()
                    .name("idx_chat_labels_label")
                    .table(ChatLabels::Table)
                    .col(ChatLabels::LabelId)
                    .col(ChatLabels::ChatId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ChatLabels::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Labels::Table).to_owned()).await
    }
}
