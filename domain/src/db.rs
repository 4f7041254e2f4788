//! Connecting to the database (SQLite file by default, MySQL/MariaDB by URL) and migrating it at start-up.

use std::sync::Arc;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

/// Opens a pool. For a SQLite file the missing directories are created, and the file (with its log and shared
/// memory file, which SQLite creates with the database's permissions) is private to this user; WAL journaling lets
/// readers proceed during writes, and a busy timeout turns lock contention into waiting rather than errors.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    if let Some(path) = sqlite_file_path(url) {
        let path = std::path::Path::new(&path);
        let fail = |what: &std::path::Path, e: std::io::Error| DbErr::Custom(format!("{}: {e}", what.display()));
        if let Some(parent) = path.parent() {
            crate::files::create_dirs(parent).map_err(|e| fail(parent, e))?;
        }
        crate::files::private_file(path, true).map_err(|e| fail(path, e))?;
        for suffix in ["-wal", "-shm"] {
            let mut side = path.as_os_str().to_owned();
            side.push(suffix);
            let side = std::path::PathBuf::from(side);
            crate::files::private_file(&side, false).map_err(|e| fail(&side, e))?;
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
                // Statement journals (a multi-row write inside a transaction keeps one, to undo just that
                // statement) and sort spills in memory, not in a temporary file opened and closed each time.
                .pragma("temp_store", "memory")
                .foreign_keys(true)
                .create_if_missing(true)
        });
    Database::connect(opts).await
}

/// On SQLite, copies the write-ahead log back into the database every second, so the log stays small and no
/// commit pays for a checkpoint. Most of the copying runs beside the writers (`PASSIVE`); once the log is large,
/// the last frames are copied during a write turn (`turns`, see `MessageWriter::turn`), which is short and lets the
/// next commit start the log again from its beginning. Without
/// it a log under constant writes is never fully copied, so it is never restarted and grows without end, and every
/// commit then writes into new file blocks (the kernel zeroes each one first).
pub fn checkpoint_in_background(db: &DatabaseConnection, turns: std::sync::Arc<tokio::sync::Mutex<()>>) {
    if db.get_database_backend() != sea_orm::DbBackend::Sqlite {
        return;
    }
    let db = db.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(1));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            // Twice beside the writers: the second copies only what was written during the first, so what is
            // left for the turn is small.
            let r = match checkpoint(&db).await {
                Ok(_) => checkpoint(&db).await,
                Err(e) => Err(e),
            };
            match r {
                // Under steady writes the log is never empty at a moment a commit could restart it: once it is
                // large, finish the copy during a turn (a short pause for chat writes, mostly two fsyncs).
                Ok((log, _)) if log > RESTART_LOG_AT => {
                    let _turn = turns.lock().await;
                    if let Err(e) = checkpoint(&db).await {
                        tracing::warn!(error = %e, "WAL checkpoint failed");
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
            }
        }
    });
}

/// Frames (pages) in the write-ahead log above which a checkpoint pauses chat writes to let the log restart: 64 MB,
/// a few seconds of a busy site's writes, so the pause is rare at ordinary rates.
const RESTART_LOG_AT: i64 = 16 * 1024;

/// One `PASSIVE` checkpoint: the frames in the log, and how many of them are now in the database.
async fn checkpoint(db: &DatabaseConnection) -> Result<(i64, i64), DbErr> {
    use sea_orm::ConnectionTrait;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), "PRAGMA wal_checkpoint(PASSIVE)"))
        .await?
        .ok_or_else(|| DbErr::Custom("wal_checkpoint returned nothing".into()))?;
    Ok((row.try_get_by_index(1)?, row.try_get_by_index(2)?))
}

/// The chat path's write lane. SQLite has one writer at a time, and a write that finds the lock taken sleeps in
/// SQLite's busy handler (1, 2, 5, 10 … 100 ms) instead of queueing: writes on the chat path (the message writer's
/// batches, opening a chat, a page view, a read position) take turns here instead, first come first served, so a
/// chat message never waits out a sleep, and write through the lane's own connection ([`dedicated_writer`]). On
/// MySQL/MariaDB a turn is no wait and the pool's connection.
#[derive(Clone)]
pub struct WriteLane {
    turns: Option<Arc<tokio::sync::Mutex<()>>>,
    db: DatabaseConnection,
}

impl WriteLane {
    /// The lane for `db`; on SQLite it also starts the background checkpoints, which take their turns here.
    pub fn new(db: &DatabaseConnection) -> Self {
        let sqlite = db.get_database_backend() == sea_orm::DbBackend::Sqlite;
        let turns: Option<Arc<tokio::sync::Mutex<()>>> = sqlite.then(Arc::default);
        if let Some(turns) = &turns {
            checkpoint_in_background(db, turns.clone());
        }
        WriteLane { turns, db: dedicated_writer(db) }
    }

    /// Waits for this task's turn to write (on SQLite; no wait elsewhere).
    pub async fn turn(&self) -> Turn<'_> {
        let guard = match &self.turns {
            Some(turns) => Some(turns.lock().await),
            None => None,
        };
        Turn { _guard: guard, db: &self.db }
    }

    /// The turns' lock, on SQLite: the message writer holds it for each batch.
    pub(crate) fn turns(&self) -> Option<Arc<tokio::sync::Mutex<()>>> {
        self.turns.clone()
    }

    pub(crate) fn db(&self) -> &DatabaseConnection {
        &self.db
    }
}

/// A turn to write on the chat path: hold it for the writes, and write through [`Turn::db`].
pub struct Turn<'a> {
    _guard: Option<tokio::sync::MutexGuard<'a, ()>>,
    db: &'a DatabaseConnection,
}

impl Turn<'_> {
    /// The connection to write with: on SQLite the lane's own, so its page cache stays valid (SQLite drops a
    /// connection's cache whenever another connection has written).
    pub fn db(&self) -> &DatabaseConnection {
        self.db
    }
}

/// The connection the SQLite message writer keeps to itself: a pool of one, with the same options as `db`. SQLite
/// drops a connection's page cache whenever another connection has written since it last ran, so a writer that took
/// whichever pooled connection was free re-read its B-tree pages on every batch; its own connection keeps them.
/// Other backends (and in-memory SQLite) get `db` itself.
pub fn dedicated_writer(db: &DatabaseConnection) -> DatabaseConnection {
    use sea_orm::sqlx::sqlite::SqlitePoolOptions;
    if db.get_database_backend() != sea_orm::DbBackend::Sqlite {
        return db.clone();
    }
    let options = db.get_sqlite_connection_pool().connect_options();
    let file = options.get_filename().to_string_lossy();
    if file == ":memory:" || file.starts_with("file:sqlx-in-memory") {
        return db.clone();
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .idle_timeout(None)
        .max_lifetime(None)
        // Not pinged on every checkout: each ping is a round trip to sqlx's thread for this connection, and the
        // writer checks it out once per batch. A broken connection still fails the batch's first statement.
        .test_before_acquire(false)
        // The pages a burst of chats touches (their rows and index leaves) stay in memory: 64 MB at most.
        .connect_lazy_with((*options).clone().pragma("cache_size", "-65536"));
    sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool)
}

/// Starts a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`, which takes the write lock at once
/// (waiting in the busy handler like any write): an ordinary, deferred `BEGIN` that reads first holds a snapshot,
/// and if another connection commits before its first write, that write fails at once with "database is locked"
/// (the busy handler cannot help: its snapshot is stale). Other backends get an ordinary `BEGIN`.
pub async fn begin_write<C: sea_orm::TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    db.begin_with_options(sea_orm::TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
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
