//! `chats`: one conversation between a visitor and the website's agents. `last_seq` is the per-chat message
//! counter: a message takes `last_seq + 1` in the same transaction that stores it.

use crate::cols;
use crate::m20261124_000002_create_users::Users;
use crate::m20261124_000003_create_websites::Websites;
use crate::m20261124_000005_create_visitors::Visitors;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Chats {
    Table,
    Id,
    WebsiteId,
    VisitorId,
    AssignedTo,
    Status,
    Resolution,
    LastSeq,
    StartedAt,
    EndedAt,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Chats::Table)
                    .col(cols::id(Chats::Id))
                    .col(cols::fk(Chats::WebsiteId))
                    .col(cols::fk(Chats::VisitorId))
                    .col(cols::fk_null(Chats::AssignedTo))
                    // waiting | ongoing | closed | resolved
                    .col(string_len(Chats::Status, 16).default("waiting"))
                    .col(text_null(Chats::Resolution))
                    .col(big_integer(Chats::LastSeq).default(0))
                    .col(cols::now(Chats::StartedAt))
                    .col(date_time_null(Chats::EndedAt))
                    .col(cols::now(Chats::CreatedAt))
                    .col(cols::now(Chats::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_chats_website")
                            .from(Chats::Table, Chats::WebsiteId)
                            .to(Websites::Table, Websites::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_chats_visitor")
                            .from(Chats::Table, Chats::VisitorId)
                            .to(Visitors::Table, Visitors::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_chats_assigned_to")
                            .from(Chats::Table, Chats::AssignedTo)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_chats_website_status")
                    .table(Chats::Table)
                    .col(Chats::WebsiteId)
                    .col(Chats::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_chats_assigned_to").table(Chats::Table).col(Chats::AssignedTo).to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_chats_visitor").table(Chats::Table).col(Chats::VisitorId).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Chats::Table).to_owned()).await
    }
}
