//! `website_members`: which agents work on which website. An agent sees only these websites' chats.

use crate::cols;
use crate::m20261124_000002_create_users::Users;
use crate::m20261124_000003_create_websites::Websites;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum WebsiteMembers {
    Table,
    WebsiteId,
    UserId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebsiteMembers::Table)
                    .col(cols::fk(WebsiteMembers::WebsiteId))
                    .col(cols::fk(WebsiteMembers::UserId))
                    .col(cols::now(WebsiteMembers::CreatedAt))
                    .primary_key(Index::create().col(WebsiteMembers::WebsiteId).col(WebsiteMembers::UserId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_website_members_website")
                            .from(WebsiteMembers::Table, WebsiteMembers::WebsiteId)
                            .to(Websites::Table, Websites::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_website_members_user")
                            .from(WebsiteMembers::Table, WebsiteMembers::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_website_members_user")
                    .table(WebsiteMembers::Table)
                    .col(WebsiteMembers::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(WebsiteMembers::Table).to_owned()).await
    }
}
