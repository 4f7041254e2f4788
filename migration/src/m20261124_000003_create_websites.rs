//! `websites`: the sites that embed the widget. `user_id` is the owning admin; `domain` holds the allowed
//! domains (comma separated, each an exact host or `*.example.com`); `api_key` is the widget's public key.

use crate::cols;
use crate::m20261124_000002_create_users::Users;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Websites {
    Table,
    Id,
    UserId,
    Name,
    Domain,
    Description,
    ApiKey,
    IsActive,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Websites::Table)
                    .col(cols::id(Websites::Id))
                    .col(cols::fk(Websites::UserId))
                    .col(string_len(Websites::Name, 255))
                    .col(string_len(Websites::Domain, 255))
                    .col(text_null(Websites::Description))
                    .col(string_len_uniq(Websites::ApiKey, 64))
                    .col(boolean(Websites::IsActive).default(true))
                    .col(cols::now(Websites::CreatedAt))
                    .col(cols::now(Websites::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_websites_user")
                            .from(Websites::Table, Websites::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [("idx_websites_domain", Websites::Domain), ("idx_websites_user", Websites::UserId)] {
            manager.create_index(Index::create().name(name).table(Websites::Table).col(col).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Websites::Table).to_owned()).await
    }
}
