//! `visitors.name` and `visitors.email`: what a visitor leaves in the offline form, shown to agents. One column
//! per ALTER: SQLite adds a single column at a time.

use crate::m20261124_000005_create_visitors::Visitors;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Cols {
    Name,
    Email,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Visitors::Table).add_column(string_len_null(Cols::Name, 100)).to_owned())
            .await?;
        manager
            .alter_table(Table::alter().table(Visitors::Table).add_column(string_len_null(Cols::Email, 255)).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Visitors::Table).drop_column(Cols::Email).to_owned()).await?;
        manager.alter_table(Table::alter().table(Visitors::Table).drop_column(Cols::Name).to_owned()).await
    }
}
