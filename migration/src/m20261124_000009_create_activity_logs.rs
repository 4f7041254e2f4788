//! `activity_logs`: who did what to which resource. `user_id` is kept nullable with ON DELETE SET NULL so the
//! log outlives deleted users (the seed's FK without an action would forbid deleting them).

use crate::cols;
use crate::m20261124_000002_create_users::Users;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum ActivityLogs {
    Table,
    Id,
    UserId,
    Action,
    ResourceType,
    ResourceId,
    Metadata,
    IpAddress,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ActivityLogs::Table)
                    .col(cols::id(ActivityLogs::Id))
                    .col(cols::fk_null(ActivityLogs::UserId))
                    .col(string_len(ActivityLogs::Action, 64))
                    .col(string_len(ActivityLogs::ResourceType, 64))
                    .col(string_len_null(ActivityLogs::ResourceId, 36))
                    .col(json_null(ActivityLogs::Metadata))
                    .col(string_len_null(ActivityLogs::IpAddress, 45))
                    .col(cols::now(ActivityLogs::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_activity_logs_user")
                            .from(ActivityLogs::Table, ActivityLogs::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        let indexes = [
            ("idx_activity_logs_user_created", vec![ActivityLogs::UserId, ActivityLogs::CreatedAt]),
            ("idx_activity_logs_resource", vec![ActivityLogs::ResourceType, ActivityLogs::ResourceId]),
            ("idx_activity_logs_action", vec![ActivityLogs::Action]),
            ("idx_activity_logs_created", vec![ActivityLogs::CreatedAt]),
        ];
        for (name, columns) in indexes {
            let mut index = Index::create();
            index.name(name).table(ActivityLogs::Table);
            for col in columns {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ActivityLogs::Table).to_owned()).await
    }
}
