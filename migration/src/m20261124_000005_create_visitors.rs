//! `visitors`: people chatting through a website's widget, one row per browser session.

use crate::cols;
use crate::m20261124_000003_create_websites::Websites;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Visitors {
    Table,
    Id,
    WebsiteId,
    SessionId,
    IpAddress,
    UserAgent,
    Country,
    LastSeen,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Visitors::Table)
                    .col(cols::id(Visitors::Id))
                    .col(cols::fk(Visitors::WebsiteId))
                    .col(string_len_uniq(Visitors::SessionId, 64))
                    .col(string_len_null(Visitors::IpAddress, 45))
                    .col(text_null(Visitors::UserAgent))
                    .col(string_len_null(Visitors::Country, 2))
                    .col(cols::now(Visitors::LastSeen))
                    .col(cols::now(Visitors::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_visitors_website")
                            .from(Visitors::Table, Visitors::WebsiteId)
                            .to(Websites::Table, Websites::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_visitors_website_last_seen")
                    .table(Visitors::Table)
                    .col(Visitors::WebsiteId)
                    .col(Visitors::LastSeen)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Visitors::Table).to_owned()).await
    }
}
