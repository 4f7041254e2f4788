//! `activity_logs.website_id`: the website an event happened on (a chat's, a website's own), so an admin's view of
//! the log shows what happened on their websites and nothing of another admin's, even when the same agent works
//! for both. No foreign key: like `resource_id`, the log outlives what it names.

use crate::m20261124_000009_create_activity_logs::ActivityLogs;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Added {
    WebsiteId,
}

const INDEX: &str = "idx_activity_logs_website_created";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(ActivityLogs::Table).add_column(string_len_null(Added::WebsiteId, 36)).to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(ActivityLogs::Table)
                    .col(Added::WebsiteId)
                    .col(ActivityLogs::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(INDEX).table(ActivityLogs::Table).to_owned()).await?;
        manager.alter_table(Table::alter().table(ActivityLogs::Table).drop_column(Added::WebsiteId).to_owned()).await
    }
}
