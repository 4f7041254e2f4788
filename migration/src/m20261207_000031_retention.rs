//! Data retention: `websites.retention_days`, how long a website keeps its ended chats (and their files) and its
//! visitors' page views before a sweep deletes them; 0 keeps them for ever. The sweep finds ended chats through the
//! existing `(website_id, status)` index: an index on `updated_at` would be written on every message.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Websites {
    Table,
    RetentionDays,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Websites::Table)
                    .add_column(integer(Websites::RetentionDays).default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Websites::Table).drop_column(Websites::RetentionDays).to_owned()).await
    }
}
