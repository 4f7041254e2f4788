//! `agent_settings`: what each dashboard user chose for themselves — their availability (online, away, offline),
//! whether the dashboard set it after their idle time, and that idle time. A user without a row has the defaults
//! (online, ten minutes).

use crate::cols;
use crate::m20261124_000002_create_users::Users;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum AgentSettings {
    Table,
    UserId,
    Availability,
    AutoAway,
    AwayAfterMinutes,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AgentSettings::Table)
                    .col(cols::fk(AgentSettings::UserId).primary_key())
                    .col(string_len(AgentSettings::Availability, 8).default("online"))
                    .col(boolean(AgentSettings::AutoAway).default(false))
                    .col(integer(AgentSettings::AwayAfterMinutes).default(10))
                    .col(date_time(AgentSettings::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_agent_settings_user")
                            .from(AgentSettings::Table, AgentSettings::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(AgentSettings::Table).to_owned()).await
    }
}
