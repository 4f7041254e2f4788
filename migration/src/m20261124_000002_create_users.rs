//! `users`: dashboard accounts. `role` references `roles.name`; `token_version` is bumped to revoke every token
//! a user holds (deactivation, password change).

use crate::cols;
use crate::m20261124_000001_create_roles::Roles;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Users {
    Table,
    Id,
    Email,
    PasswordHash,
    Name,
    Role,
    IsActive,
    TokenVersion,
    LastLoginAt,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(cols::id(Users::Id))
                    // Stored lower-cased by the application: MySQL compares case-insensitively, SQLite does not.
                    .col(string_len_uniq(Users::Email, 255))
                    .col(string_len(Users::PasswordHash, 255))
                    .col(string_len(Users::Name, 100))
                    .col(string_len(Users::Role, 32).default("agent"))
                    .col(boolean(Users::IsActive).default(true))
                    .col(integer(Users::TokenVersion).default(0))
                    .col(date_time_null(Users::LastLoginAt))
                    .col(cols::now(Users::CreatedAt))
                    .col(cols::now(Users::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_users_role")
                            .from(Users::Table, Users::Role)
                            .to(Roles::Table, Roles::Name)
                            .on_delete(ForeignKeyAction::Restrict)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("idx_users_role").table(Users::Table).col(Users::Role).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Users::Table).to_owned()).await
    }
}
