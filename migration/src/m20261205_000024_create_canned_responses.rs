//! `canned_responses`: replies agents insert by shortcut. A shared one belongs to a website, a personal one to its
//! author. `owner_key` (the website's id, or `user:` and the author's id) makes a shortcut unique within its owner
//! on both databases, where a unique index over two nullable columns would let NULLs collide with nothing.

use crate::cols;
use crate::m20261124_000002_create_users::Users;
use crate::m20261124_000003_create_websites::Websites;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum CannedResponses {
    Table,
    Id,
    WebsiteId,
    UserId,
    OwnerKey,
    Shortcut,
    Content,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CannedResponses::Table)
                    .col(cols::id(CannedResponses::Id))
                    .col(cols::fk_null(CannedResponses::WebsiteId))
                    .col(cols::fk_null(CannedResponses::UserId))
                    .col(string_len(CannedResponses::OwnerKey, 48))
                    .col(string_len(CannedResponses::Shortcut, 32))
                    .col(text(CannedResponses::Content))
                    .col(cols::fk_null(CannedResponses::CreatedBy))
                    .col(date_time(CannedResponses::CreatedAt))
                    .col(date_time(CannedResponses::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_canned_responses_website")
                            .from(CannedResponses::Table, CannedResponses::WebsiteId)
                            .to(Websites::Table, Websites::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_canned_responses_user")
                            .from(CannedResponses::Table, CannedResponses::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_canned_responses_owner_shortcut")
                    .table(CannedResponses::Table)
                    .col(CannedResponses::OwnerKey)
                    .col(CannedResponses::Shortcut)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(CannedResponses::Table).to_owned()).await
    }
}
