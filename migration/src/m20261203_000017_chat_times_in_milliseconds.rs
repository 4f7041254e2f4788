//! On MySQL/MariaDB, chat and message times keep milliseconds (`DATETIME(3)`). Realtime events carry times from
//! the stored row's in-memory copy (`chat-created`, `new-message`, `ack`), with milliseconds; a plain `DATETIME`
//! stored whole seconds (MariaDB truncates, MySQL rounds, possibly to the next second), so a chat or message read
//! back later showed another time than the event that announced it. SQLite stores the text it is given and needs
//! nothing. The application writes these times at millisecond precision (`services::now_millis`), so what an event
//! says is exactly what is stored.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `(table, column, NOT NULL with a default of now)`.
const COLUMNS: [(&str, &str, bool); 5] = [
    ("chats", "started_at", true),
    ("chats", "ended_at", false),
    ("chats", "created_at", true),
    ("chats", "updated_at", true),
    ("messages", "created_at", true),
];

async fn set_precision(manager: &SchemaManager<'_>, digits: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::MySql {
        return Ok(());
    }
    for table in ["chats", "messages"] {
        let changes: Vec<String> = COLUMNS
            .iter()
            .filter(|(t, _, _)| *t == table)
            .map(|(_, column, now)| match now {
                true => format!("MODIFY `{column}` DATETIME{digits} NOT NULL DEFAULT CURRENT_TIMESTAMP{digits}"),
                false => format!("MODIFY `{column}` DATETIME{digits} NULL"),
            })
            .collect();
        let sql = format!("ALTER TABLE `{table}` {}", changes.join(", "));
        manager.get_connection().execute_unprepared(&sql).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_precision(manager, "(3)").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_precision(manager, "").await
    }
}
