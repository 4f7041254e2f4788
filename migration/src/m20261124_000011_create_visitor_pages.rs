//! `visitor_pages`: the trail of pages a visitor viewed (reported by the widget), newest last.

use crate::cols;
use crate::m20261124_000005_create_visitors::Visitors;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum VisitorPages {
    Table,
    Id,
    VisitorId,
    Url,
    Title,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(VisitorPages::Table)
                    .col(cols::id(VisitorPages::Id))
                    .col(cols::fk(VisitorPages::VisitorId))
                    .col(text(VisitorPages::Url))
                    .col(string_len_null(VisitorPages::Title, 300))
                    .col(cols::now(VisitorPages::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_visitor_pages_visitor")
                            .from(VisitorPages::Table, VisitorPages::VisitorId)
                            .to(Visitors::Table, Visitors::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_visitor_pages_visitor_created")
                    .table(VisitorPages::Table)
                    .col(VisitorPages::VisitorId)
                    .col(VisitorPages::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(VisitorPages::Table).to_owned()).await
    }
}
