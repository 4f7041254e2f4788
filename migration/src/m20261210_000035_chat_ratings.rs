//! CSAT: a visitor's rating of a chat once it has ended (1–5, an optional comment), one per chat (the visitor may
//! change it), with the agent who had the chat then, read per website and per agent over a range.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::cols;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChatRatings {
    Table,
    ChatId,
    WebsiteId,
    AgentId,
    Rating,
    Comment,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Chats {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Websites {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChatRatings::Table)
                    .col(cols::id(ChatRatings::ChatId))
                    .col(cols::fk(ChatRatings::WebsiteId))
                    .col(cols::fk_null(ChatRatings::AgentId))
                    .col(integer(ChatRatings::Rating))
                    .col(string_len_null(ChatRatings::Comment, 1000))
                    .col(date_time(ChatRatings::CreatedAt))
                    .col(date_time(ChatRatings::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_chat_ratings_chat")
                            .from(ChatRatings::Table, ChatRatings::ChatId)
                            .to(Chats::Table, Chats::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_chat_ratings_website")
                            .from(ChatRatings::Table, ChatRatings::WebsiteId)
                            .to(Websites::Table, Websites::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_chat_ratings_agent")
                            .from(ChatRatings::Table, ChatRatings::AgentId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // A range's ratings per website: the analytics report reads them by (website, time).
        manager
            .create_index(
                Index::create()
                    .name("idx_chat_ratings_website_created")
                    .table(ChatRatings::Table)
                    .col(ChatRatings::WebsiteId)
                    .col(ChatRatings::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_chat_ratings_agent")
                    .table(ChatRatings::Table)
                    .col(ChatRatings::AgentId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ChatRatings::Table).to_owned()).await
    }
}
