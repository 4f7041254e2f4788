//! Routing per website: `routing` (`manual`, as before, or `auto`: new chats go round-robin to online agents with
//! room) and `agent_capacity` (the most open chats an agent holds before auto routing passes them by).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Websites {
    Table,
    Routing,
    AgentCapacity,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column a statement: SQLite adds one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Websites::Table)
                    .add_column(string_len(Websites::Routing, 8).default("manual"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Websites::Table)
                    .add_column(integer(Websites::AgentCapacity).default(5))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Websites::Table).drop_column(Websites::AgentCapacity).to_owned())
            .await?;
        manager.alter_table(Table::alter().table(Websites::Table).drop_column(Websites::Routing).to_owned()).await
    }
}
