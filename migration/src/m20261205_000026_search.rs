//! Full-text search over what agents search for: message text (messages and notes, not system lines or files)
//! and the visitor's name and email.
//!
//! SQLite: FTS5 tables over `messages` and `visitors` (external content, keyed by the tables' rowids), kept by
//! triggers, so every write path — the message writer, the demo, a restore by SQL — indexes without knowing it. A new
//! message is only queued by its trigger (`messages_fts_waiting`) and indexed soon after in batches
//! (`domain::services::search`): an FTS5 write in every commit of the message writer cost its p50 a third.
//! (VACUUM copies the rowids of tables that have an index, as both have for their text primary keys; SQLite's
//! documentation does not promise it; docs/deploy.md gives the `rebuild` that repairs the index.) Tokens are
//! unicode61 with diacritics removed, as MariaDB's collation compares them.
//!
//! MySQL/MariaDB: InnoDB FULLTEXT indexes, created with stopwords off (the session setting is read when the index
//! is made), so "about", "com" or "www" are found like any other word. Both engines index words of 3 characters
//! or more for the search to behave the same (InnoDB's `innodb_ft_min_token_size` is 3; shorter words are left out
//! of queries on both).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DbBackend, TransactionTrait};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Which messages are searchable, in SQL over a row called `r`.
const SEARCHABLE: &str = "r.sender_type <> 'system' AND r.type IN ('text', 'note')";

/// The new row's website exists: its foreign key will hold, so the statement cannot fail after the trigger wrote to
/// the index. (SQLite checks foreign keys when the statement ends, after the triggers. An FTS5 write in a statement
/// that then fails outside a transaction leaves that connection on a stale snapshot, and its next write fails with
/// "database is locked" if another connection wrote meanwhile — seen on SQLite 3.40 and 3.50.)
const WEBSITE_EXISTS: &str = "EXISTS (SELECT 1 FROM websites WHERE id = new.website_id)";

/// A message that is no longer as indexed leaves the index, unless it was still waiting to be indexed.
const UNINDEX_OLD: &str =
    "INSERT INTO messages_fts(messages_fts, rowid, content) SELECT 'delete', old.rowid, old.content \
     WHERE {old} AND NOT EXISTS (SELECT 1 FROM messages_fts_waiting WHERE id = old.rowid); \
     DELETE FROM messages_fts_waiting WHERE id = old.rowid;";

fn sqlite_up() -> Vec<String> {
    let message = |r: &str| SEARCHABLE.replace("r.", &format!("{r}."));
    let unindex_old = UNINDEX_OLD.replace("{old}", &message("old"));
    vec![
        // `columnsize=0`: hits are ordered by time, never by rank, so the per-row sizes bm25 reads are not kept.
        "CREATE VIRTUAL TABLE messages_fts USING fts5(content, content='messages', content_rowid='rowid', \
         columnsize=0, tokenize='unicode61 remove_diacritics 2')"
            .into(),
        format!(
            "INSERT INTO messages_fts(rowid, content) SELECT r.rowid, r.content FROM messages r WHERE {}",
            message("r")
        ),
        // New messages wait here (a row in a small table on the message path) until the search service indexes
        // them: in the background every second, and before every search.
        "CREATE TABLE messages_fts_waiting (id INTEGER PRIMARY KEY)".into(),
        format!(
            "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN {} BEGIN \
             INSERT OR IGNORE INTO messages_fts_waiting(id) VALUES (new.rowid); END",
            message("new")
        ),
        format!("CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN {unindex_old} END"),
        format!(
            "CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, type, sender_type ON messages BEGIN \
             {unindex_old} INSERT OR IGNORE INTO messages_fts_waiting(id) SELECT new.rowid WHERE {}; END",
            message("new")
        ),
        "CREATE VIRTUAL TABLE visitors_fts USING fts5(name, email, content='visitors', content_rowid='rowid', \
         columnsize=0, tokenize='unicode61 remove_diacritics 2')"
            .into(),
        "INSERT INTO visitors_fts(rowid, name, email) SELECT rowid, coalesce(name, ''), coalesce(email, '') \
         FROM visitors WHERE name IS NOT NULL OR email IS NOT NULL"
            .into(),
        // Visitors are indexed as they are written: a named visitor is rare on the chat path.
        format!(
            "CREATE TRIGGER visitors_fts_insert AFTER INSERT ON visitors \
             WHEN (new.name IS NOT NULL OR new.email IS NOT NULL) AND {WEBSITE_EXISTS} BEGIN \
             INSERT INTO visitors_fts(rowid, name, email) \
             VALUES (new.rowid, coalesce(new.name, ''), coalesce(new.email, '')); END"
        ),
        "CREATE TRIGGER visitors_fts_delete AFTER DELETE ON visitors \
         WHEN old.name IS NOT NULL OR old.email IS NOT NULL BEGIN \
         INSERT INTO visitors_fts(visitors_fts, rowid, name, email) \
         VALUES ('delete', old.rowid, coalesce(old.name, ''), coalesce(old.email, '')); END"
            .into(),
        format!(
            "CREATE TRIGGER visitors_fts_update AFTER UPDATE OF name, email ON visitors BEGIN \
             INSERT INTO visitors_fts(visitors_fts, rowid, name, email) \
             SELECT 'delete', old.rowid, coalesce(old.name, ''), coalesce(old.email, '') \
             WHERE old.name IS NOT NULL OR old.email IS NOT NULL; \
             INSERT INTO visitors_fts(rowid, name, email) \
             SELECT new.rowid, coalesce(new.name, ''), coalesce(new.email, '') \
             WHERE (new.name IS NOT NULL OR new.email IS NOT NULL) AND {WEBSITE_EXISTS}; END"
        ),
    ]
}

const SQLITE_DOWN: [&str; 9] = [
    "DROP TRIGGER IF EXISTS messages_fts_insert",
    "DROP TRIGGER IF EXISTS messages_fts_delete",
    "DROP TRIGGER IF EXISTS messages_fts_update",
    "DROP TABLE IF EXISTS messages_fts_waiting",
    "DROP TABLE IF EXISTS messages_fts",
    "DROP TRIGGER IF EXISTS visitors_fts_insert",
    "DROP TRIGGER IF EXISTS visitors_fts_delete",
    "DROP TRIGGER IF EXISTS visitors_fts_update",
    "DROP TABLE IF EXISTS visitors_fts",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Sqlite => {
                for statement in sqlite_up() {
                    db.execute_unprepared(&statement).await?;
                }
            }
            DbBackend::MySql => {
                // One connection for the session setting and the DDL it must apply to (DDL commits implicitly;
                // the transaction only pins the connection).
                let txn = db.begin().await?;
                txn.execute_unprepared("SET SESSION innodb_ft_enable_stopword = OFF").await?;
                txn.execute_unprepared("ALTER TABLE `messages` ADD FULLTEXT INDEX `ft_messages_content` (`content`)")
                    .await?;
                txn.execute_unprepared(
                    "ALTER TABLE `visitors` ADD FULLTEXT INDEX `ft_visitors_contact` (`name`, `email`)",
                )
                .await?;
                txn.execute_unprepared("SET SESSION innodb_ft_enable_stopword = ON").await?;
                txn.commit().await?;
            }
            _ => {}
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Sqlite => {
                for statement in SQLITE_DOWN {
                    db.execute_unprepared(statement).await?;
                }
            }
            DbBackend::MySql => {
                db.execute_unprepared("ALTER TABLE `messages` DROP INDEX `ft_messages_content`").await?;
                db.execute_unprepared("ALTER TABLE `visitors` DROP INDEX `ft_visitors_contact`").await?;
            }
            _ => {}
        }
        Ok(())
    }
}
