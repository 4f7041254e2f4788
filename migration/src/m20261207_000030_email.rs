//! Email: the outbox (`emails`: one row per message to send, kept after it is sent so admins can see what went out
//! and what failed; a unique `dedupe_key` so the same alert is never queued twice), and what each website asks for
//! (`websites.missed_chat_minutes`: how long a chat may wait before its agents are emailed, 0 = never;
//! `websites.transcript_on_resolve`: email the visitor their transcript when a chat is resolved).

use crate::cols;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Emails {
    Table,
    Id,
    Kind,
    WebsiteId,
    ChatId,
    Recipient,
    ReplyTo,
    Subject,
    Body,
    DedupeKey,
    Status,
    Attempts,
    NextAttemptAt,
    LastError,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum Websites {
    Table,
    Id,
    MissedChatMinutes,
    TranscriptOnResolve,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Emails::Table)
                    .col(cols::id(Emails::Id))
                    .col(string_len(Emails::Kind, 16))
                    .col(cols::fk_null(Emails::WebsiteId))
                    .col(cols::fk_null(Emails::ChatId))
                    .col(string_len(Emails::Recipient, 320))
                    .col(string_len_null(Emails::ReplyTo, 320))
                    .col(string_len(Emails::Subject, 255))
                    .col(text(Emails::Body))
                    // 191 characters: the longest a unique index may be on utf8mb4 with older InnoDB row formats.
                    .col(string_len_uniq(Emails::DedupeKey, 191))
                    .col(string_len(Emails::Status, 8).default("pending"))
                    .col(integer(Emails::Attempts).default(0))
                    .col(date_time(Emails::NextAttemptAt))
                    .col(string_len_null(Emails::LastError, 500))
                    .col(date_time(Emails::CreatedAt))
                    .col(date_time_null(Emails::SentAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_emails_website")
                            .from(Emails::Table, Emails::WebsiteId)
                            .to(Websites::Table, Websites::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The sender's question: what is due now.
        manager
            .create_index(
                Index::create()
                    .name("idx_emails_due")
                    .table(Emails::Table)
                    .col(Emails::Status)
                    .col(Emails::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        // The admins' list: a website's mail, newest first.
        manager
            .create_index(
                Index::create()
                    .name("idx_emails_website")
                    .table(Emails::Table)
                    .col(Emails::WebsiteId)
                    .col(Emails::CreatedAt)
                    .to_owned(),
            )
            .await?;
        // One column a statement: SQLite adds one at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Websites::Table)
                    .add_column(integer(Websites::MissedChatMinutes).default(10))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Websites::Table)
                    .add_column(boolean(Websites::TranscriptOnResolve).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Websites::Table).drop_column(Websites::TranscriptOnResolve).to_owned())
            .await?;
        manager
            .alter_table(Table::alter().table(Websites::Table).drop_column(Websites::MissedChatMinutes).to_owned())
            .await?;
        manager.drop_table(Table::drop().table(Emails::Table).to_owned()).await
    }
}
