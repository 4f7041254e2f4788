//! A report's figures come from whole UTC days of a website's chats, message counts and visitor activity; a past
//! day's rows are kept in `analytics_days` as one compact digest, so a report over months reads one row per website
//! and day instead of every chat. A digest is valid while its `digest_version` equals the day's `version`, and
//! triggers on the three tables bump `version` whenever a row of a past day is written, whatever code writes it.
//! Today's rows are never digested, so writes of today (the message path) bump nothing.

use crate::m20261124_000003_create_websites::Websites;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum AnalyticsDays {
    Table,
    WebsiteId,
    Day,
    Version,
    DigestVersion,
    Digest,
}

/// The chats' columns a digest holds: a change to any of them makes the day's digest stale.
const CHAT_COLUMNS: [&str; 8] = [
    "website_id",
    "started_at",
    "status",
    "assigned_to",
    "ended_at",
    "first_visitor_at",
    "first_response_at",
    "first_response_by",
];

/// The UTC day (days since 1970) of datetime `column`.
fn day_of_time(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::MySql => format!("(TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', {column}) DIV 86400)"),
        _ => format!("(CAST(strftime('%s', {column}) AS INTEGER) / 86400)"),
    }
}

/// The UTC day of `bucket` (seconds since 1970).
fn day_of_bucket(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::MySql => format!("({column} DIV 86400)"),
        _ => format!("({column} / 86400)"),
    }
}

/// The current UTC day.
fn today(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::MySql => "(UNIX_TIMESTAMP() DIV 86400)",
        _ => "(CAST(strftime('%s', 'now') AS INTEGER) / 86400)",
    }
}

/// The statement that marks `website`'s day `day` changed, if it is a past day.
fn bump(backend: DbBackend, website: &str, day: &str) -> String {
    let today = today(backend);
    match backend {
        DbBackend::MySql => format!(
            "INSERT INTO analytics_days (website_id, day, version) SELECT {website}, {day}, 1 FROM DUAL \
             WHERE {day} < {today} ON DUPLICATE KEY UPDATE version = version + 1"
        ),
        _ => format!(
            "INSERT INTO analytics_days (website_id, day, version) SELECT {website}, {day}, 1 \
             WHERE {day} < {today} ON CONFLICT (website_id, day) DO UPDATE SET version = version + 1"
        ),
    }
}

/// One trigger on `table` after `event`, running `statements` (each on NEW or OLD) when `when` holds.
fn trigger(
    backend: DbBackend,
    name: &str,
    event: &str,
    table: &str,
    when: Option<&str>,
    statements: &[String],
) -> String {
    match backend {
        DbBackend::MySql => {
            let body = statements.iter().map(|s| format!("{s};")).collect::<Vec<_>>().join(" ");
            let body = match when {
                Some(when) => format!("IF {when} THEN {body} END IF;"),
                None => body,
            };
            format!("CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW BEGIN {body} END")
        }
        _ => {
            let body = statements.iter().map(|s| format!("{s};")).collect::<Vec<_>>().join(" ");
            let when = when.map(|w| format!(" WHEN {w}")).unwrap_or_default();
            format!("CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when} BEGIN {body} END")
        }
    }
}

/// The triggers' names, for `down`.
const TRIGGERS: [&str; 8] = [
    "analytics_days_chats_insert",
    "analytics_days_chats_update",
    "analytics_days_chats_delete",
    "analytics_days_counts_insert",
    "analytics_days_counts_update",
    "analytics_days_counts_delete",
    "analytics_days_activity_insert",
    "analytics_days_activity_delete",
];

fn triggers(backend: DbBackend) -> Vec<String> {
    let chat_day = |row: &str| day_of_time(backend, &format!("{row}.started_at"));
    let bucket_day = |row: &str| day_of_bucket(backend, &format!("{row}.bucket"));
    let changed = CHAT_COLUMNS
        .iter()
        .map(|c| match backend {
            DbBackend::MySql => format!("NOT (NEW.{c} <=> OLD.{c})"),
            _ => format!("NEW.{c} IS NOT OLD.{c}"),
        })
        .collect::<Vec<_>>()
        .join(" OR ");
    let both = |day: &dyn Fn(&str) -> String| {
        vec![bump(backend, "NEW.website_id", &day("NEW")), bump(backend, "OLD.website_id", &day("OLD"))]
    };
    vec![
        trigger(backend, TRIGGERS[0], "INSERT", "chats", None, &[bump(backend, "NEW.website_id", &chat_day("NEW"))]),
        trigger(backend, TRIGGERS[1], "UPDATE", "chats", Some(&changed), &both(&chat_day)),
        trigger(backend, TRIGGERS[2], "DELETE", "chats", None, &[bump(backend, "OLD.website_id", &chat_day("OLD"))]),
        trigger(
            backend,
            TRIGGERS[3],
            "INSERT",
            "message_counts",
            None,
            &[bump(backend, "NEW.website_id", &bucket_day("NEW"))],
        ),
        trigger(backend, TRIGGERS[4], "UPDATE", "message_counts", None, &both(&bucket_day)),
        trigger(
            backend,
            TRIGGERS[5],
            "DELETE",
            "message_counts",
            None,
            &[bump(backend, "OLD.website_id", &bucket_day("OLD"))],
        ),
        trigger(
            backend,
            TRIGGERS[6],
            "INSERT",
            "visitor_activity",
            None,
            &[bump(backend, "NEW.website_id", &bucket_day("NEW"))],
        ),
        trigger(
            backend,
            TRIGGERS[7],
            "DELETE",
            "visitor_activity",
            None,
            &[bump(backend, "OLD.website_id", &bucket_day("OLD"))],
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(AnalyticsDays::Table)
                    .col(crate::cols::fk(AnalyticsDays::WebsiteId))
                    .col(big_integer(AnalyticsDays::Day))
                    .col(big_integer(AnalyticsDays::Version))
                    .col(big_integer_null(AnalyticsDays::DigestVersion))
                    .col(blob_null(AnalyticsDays::Digest))
                    .primary_key(Index::create().col(AnalyticsDays::WebsiteId).col(AnalyticsDays::Day))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_analytics_days_website")
                            .from(AnalyticsDays::Table, AnalyticsDays::WebsiteId)
                            .to(Websites::Table, Websites::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        if backend == DbBackend::MySql {
            // A busy website's day can outgrow BLOB's 64 KiB.
            db.execute_unprepared("ALTER TABLE `analytics_days` MODIFY `digest` LONGBLOB NULL").await?;
        }
        for sql in triggers(backend) {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for name in TRIGGERS {
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {name}")).await?;
        }
        manager.drop_table(Table::drop().table(AnalyticsDays::Table).to_owned()).await
    }
}
