//! What analytics read instead of scanning every message: on each chat, when the visitor first wrote and when an
//! agent first answered after that (and who); message counts per website, quarter hour and sender; and which
//! visitors were on a website in each quarter hour. Quarter hours (UTC) fit every time zone in use, so a day in
//! any of them is a whole number of buckets. [`rebuild_statements`] recompute all of it from the raw rows: this migration runs
//! it once for the data already stored, and `helpdesk analytics-rebuild` runs it again on demand.

use crate::m20261124_000003_create_websites::Websites;
use crate::m20261124_000006_create_chats::Chats;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
#[allow(clippy::enum_variant_names)] // the column names
enum Added {
    FirstVisitorAt,
    FirstResponseAt,
    FirstResponseBy,
}

#[derive(DeriveIden)]
pub enum MessageCounts {
    Table,
    WebsiteId,
    Bucket,
    SenderType,
    SenderId,
    Messages,
}

#[derive(DeriveIden)]
pub enum VisitorActivity {
    Table,
    WebsiteId,
    Bucket,
    VisitorId,
}

/// Seconds in one bucket of the rollups.
pub const BUCKET_SECONDS: i64 = 900;

const CHATS_INDEX: &str = "idx_chats_website_started";

/// `column`'s time as the start of its bucket, in seconds since 1970 (UTC).
fn bucket_of(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::MySql => {
            format!("(TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', {column}) DIV {BUCKET_SECONDS}) * {BUCKET_SECONDS}")
        }
        _ => format!("(CAST(strftime('%s', {column}) AS INTEGER) / {BUCKET_SECONDS}) * {BUCKET_SECONDS}"),
    }
}

/// The statements that recompute the rollups from the raw rows, in order.
pub fn rebuild_statements(backend: DbBackend) -> Vec<String> {
    let message_bucket = bucket_of(backend, "m.created_at");
    let page_bucket = bucket_of(backend, "p.created_at");
    // The first visitor message by seq, and the first agent message after it (notes and system lines are neither
    // counted nor answers).
    let first_visitor_seq =
        "(SELECT MIN(v.seq) FROM messages v WHERE v.chat_id = chats.id AND v.sender_type = 'visitor')";
    let first_response = |column: &str| {
        format!(
            "(SELECT m.{column} FROM messages m WHERE m.chat_id = chats.id AND m.sender_type = 'admin' \
             AND m.type <> 'note' AND m.seq > {first_visitor_seq} ORDER BY m.seq LIMIT 1)"
        )
    };
    vec![
        "DELETE FROM message_counts".into(),
        format!(
            "INSERT INTO message_counts (website_id, bucket, sender_type, sender_id, messages) \
             SELECT c.website_id, {message_bucket}, m.sender_type, \
             CASE WHEN m.sender_type = 'admin' THEN COALESCE(m.sender_id, '') ELSE '' END, COUNT(*) \
             FROM messages m JOIN chats c ON c.id = m.chat_id \
             WHERE m.sender_type IN ('admin', 'visitor') AND m.type <> 'note' GROUP BY 1, 2, 3, 4"
        ),
        "DELETE FROM visitor_activity".into(),
        format!(
            "INSERT INTO visitor_activity (website_id, bucket, visitor_id) \
             SELECT DISTINCT v.website_id, {page_bucket}, p.visitor_id \
             FROM visitor_pages p JOIN visitors v ON v.id = p.visitor_id"
        ),
        format!(
            "UPDATE chats SET first_visitor_at = (SELECT m.created_at FROM messages m WHERE m.chat_id = chats.id \
             AND m.seq = {first_visitor_seq})"
        ),
        format!(
            "UPDATE chats SET first_response_at = {}, first_response_by = {}",
            first_response("created_at"),
            first_response("sender_id")
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mysql = manager.get_database_backend() == DbBackend::MySql;
        for column in [Added::FirstVisitorAt, Added::FirstResponseAt] {
            manager
                .alter_table(Table::alter().table(Chats::Table).add_column(date_time_null(column)).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter().table(Chats::Table).add_column(string_len_null(Added::FirstResponseBy, 36)).to_owned(),
            )
            .await?;
        if mysql {
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE `chats` MODIFY `first_visitor_at` DATETIME(3) NULL, \
                     MODIFY `first_response_at` DATETIME(3) NULL",
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name(CHATS_INDEX)
                    .table(Chats::Table)
                    .col(Chats::WebsiteId)
                    .col(Chats::StartedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MessageCounts::Table)
                    .col(crate::cols::fk(MessageCounts::WebsiteId))
                    .col(big_integer(MessageCounts::Bucket))
                    .col(string_len(MessageCounts::SenderType, 16))
                    .col(string_len(MessageCounts::SenderId, 36))
                    .col(big_integer(MessageCounts::Messages))
                    .primary_key(
                        Index::create()
                            .col(MessageCounts::WebsiteId)
                            .col(MessageCounts::Bucket)
                            .col(MessageCounts::SenderType)
                            .col(MessageCounts::SenderId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_message_counts_website")
                            .from(MessageCounts::Table, MessageCounts::WebsiteId)
                            .to(Websites::Table, Websites::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(VisitorActivity::Table)
                    .col(crate::cols::fk(VisitorActivity::WebsiteId))
                    .col(big_integer(VisitorActivity::Bucket))
                    .col(crate::cols::fk(VisitorActivity::VisitorId))
                    .primary_key(
                        Index::create()
                            .col(VisitorActivity::WebsiteId)
                            .col(VisitorActivity::Bucket)
                            .col(VisitorActivity::VisitorId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_visitor_activity_website")
                            .from(VisitorActivity::Table, VisitorActivity::WebsiteId)
                            .to(Websites::Table, Websites::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for sql in rebuild_statements(db.get_database_backend()) {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(VisitorActivity::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(MessageCounts::Table).to_owned()).await?;
        manager.drop_index(Index::drop().name(CHATS_INDEX).table(Chats::Table).to_owned()).await?;
        for column in [Added::FirstVisitorAt, Added::FirstResponseAt, Added::FirstResponseBy] {
            manager.alter_table(Table::alter().table(Chats::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
