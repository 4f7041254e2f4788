//! Connecting to the database (SQLite file by default, MySQL/MariaDB by URL) and migrating it at start-up.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

/// Opens a pool. For a SQLite file the parent directory is created, WAL journaling lets readers proceed during
/// writes, and a busy timeout turns lock contention into waiting rather than errors.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    if let Some(path) = sqlite_file_path(url) {
        if let Some(parent) = std::path::Path::new(&path).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", parent.display())))?;
            }
        }
    }
    let mut opts = ConnectOptions::new(url.to_string());
    opts.max_connections(if url.starts_with("sqlite:") { 8 } else { 20 })
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                // Checkpoints run in the background (`checkpoint_in_background`), not inside whichever commit
                // happens to cross the threshold: that commit would stall every chat message behind it.
                .pragma("wal_autocheckpoint", "0")
                .foreign_keys(true)
                .create_if_missing(true)
        });
    Database::connect(opts).await
}

/// On SQLite, copies the write-ahead log back into the database every second from a pool connection, without
/// blocking writers (`PASSIVE`), so the log stays small and no commit pays for a checkpoint.
pub fn checkpoint_in_background(db: &DatabaseConnection) {
    use sea_orm::ConnectionTrait;
    if db.get_database_backend() != sea_orm::DbBackend::Sqlite {
        return;
    }
    let db = db.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(1));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if let Err(e) = db.execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)").await {
                tracing::warn!(error = %e, "WAL checkpoint failed");
            }
        }
    });
}

/// Brings the schema up to date. Safe to run on every start and from several nodes (migrations are recorded).
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// `sqlite://path?...` or `sqlite:path` → `path`; `None` for in-memory databases and other backends.
fn sqlite_file_path(url: &str) -> Option<String> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        None
    } else {
        Some(path.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::sqlite_file_path;

    #[test]
    fn finds_the_file_of_a_sqlite_url() {
        assert_eq!(sqlite_file_path("sqlite://./data/helpdesk.db?mode=rwc").as_deref(), Some("./data/helpdesk.db"));
        assert_eq!(sqlite_file_path("sqlite:data/x.db").as_deref(), Some("data/x.db"));
        assert_eq!(sqlite_file_path("sqlite::memory:"), None);
        assert_eq!(sqlite_file_path("mysql://root@localhost/test"), None);
    }
}
