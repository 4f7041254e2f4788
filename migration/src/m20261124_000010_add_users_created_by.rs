//! `users.created_by`: who created the account, so an admin manages the agents they created even before those
//! agents are assigned to a website. No foreign key: SQLite cannot add one to an existing table.

use crate::m20261124_000002_create_users::Users;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Cols {
    CreatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Users::Table).add_column(string_len_null(Cols::CreatedBy, 36)).to_owned())
            .await?;
        manager
            .create_index(
                Index::create().name("idx_users_created_by").table(Users::Table).col(Cols::CreatedBy).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("idx_users_created_by").table(Users::Table).to_owned()).await?;
        manager.alter_table(Table::alter().table(Users::Table).drop_column(Cols::CreatedBy).to_owned()).await
    }
}
