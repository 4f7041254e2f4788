//! On MySQL/MariaDB, client message ids and API keys compare byte for byte (`utf8mb4_bin`), as they do on SQLite.
//! Under the default case-insensitive collation `CaseId-x` and `caseid-x` were the same key of the unique
//! `(chat_id, client_msg_id)` index while the message writer, which compares exactly, saw two messages: the second
//! was refused with a duplicate key on every retry, forever. An API key typed in another case found its website on
//! MySQL and not on SQLite. SQLite compares bytes already and needs nothing.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

async fn set_collation(manager: &SchemaManager<'_>, collation: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::MySql {
        return Ok(());
    }
    let db = manager.get_connection();
    db.execute_unprepared(&format!(
        "ALTER TABLE `messages` MODIFY `client_msg_id` VARCHAR(64) CHARACTER SET utf8mb4 COLLATE {collation} NULL"
    ))
    .await?;
    db.execute_unprepared(&format!(
        "ALTER TABLE `websites` MODIFY `api_key` VARCHAR(64) CHARACTER SET utf8mb4 COLLATE {collation} NOT NULL"
    ))
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_collation(manager, "utf8mb4_bin").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        set_collation(manager, "utf8mb4_general_ci").await
    }
}
