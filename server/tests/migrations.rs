//! The migrations on both databases: up, down and up again; the seeded roles; and the keys the data model relies
//! on (per-chat seq uniqueness, client message id uniqueness on MySQL/MariaDB, ON DELETE rules).

mod common;

use common::{Backend, TestDb};
use migration::{Migrator, MigratorTrait, SchemaManager};
use protocol::{ChatStatus, MessageKind, Role, SenderType};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, Set};

use domain::db;
use domain::entities::{chats, messages, roles, users, visitors, websites};

const TABLES: [&str; 15] = [
    "roles",
    "users",
    "websites",
    "website_members",
    "visitors",
    "chats",
    "messages",
    "widget_settings",
    "activity_logs",
    "chat_reads",
    "revoked_tokens",
    "message_counts",
    "visitor_activity",
    "analytics_days",
    "emails",
];

per_backend!(
    migrations_run_up_down_and_up_again,
    keys_and_delete_rules_hold,
    entities_match_the_migrated_schema,
    an_unknown_value_in_a_typed_column_is_an_error,
);

async fn tables_present(conn: &DatabaseConnection) -> Vec<&'static str> {
    let manager = SchemaManager::new(conn);
    let mut present = Vec::new();
    for table in TABLES {
        if manager.has_table(table).await.expect("has_table") {
            present.push(table);
        }
    }
    present
}

async fn migrations_run_up_down_and_up_again(backend: Backend) {
    let test_db = TestDb::create(backend).await;
    let conn = db::connect(&test_db.url).await.expect("connect");

    Migrator::up(&conn, None).await.expect("up");
    assert_eq!(tables_present(&conn).await, TABLES.to_vec());
    let mut names: Vec<&str> =
        roles::Entity::find().all(&conn).await.expect("roles").into_iter().map(|r| r.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["admin", "agent", "super_admin"]);

    Migrator::down(&conn, None).await.expect("down");
    assert!(tables_present(&conn).await.is_empty());

    Migrator::up(&conn, None).await.expect("up again");
    assert_eq!(tables_present(&conn).await.len(), TABLES.len());
    // Running again is a no-op (every node runs migrations at start-up).
    Migrator::up(&conn, None).await.expect("idempotent");

    conn.close().await.ok();
    test_db.drop_db().await;
}

fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

fn id() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn message(
    conn: &DatabaseConnection,
    chat: &str,
    seq: i64,
    client_msg_id: Option<&str>,
) -> Result<(), sea_orm::DbErr> {
    messages::ActiveModel {
        id: Set(id()),
        chat_id: Set(chat.into()),
        seq: Set(seq),
        client_msg_id: Set(client_msg_id.map(String::from)),
        sender_type: Set(SenderType::Visitor),
        sender_id: Set(None),
        content: Set("hello".into()),
        kind: Set(MessageKind::Text),
        metadata: Set(None),
        created_at: Set(now()),
    }
    .insert(conn)
    .await
    .map(|_| ())
}

async fn keys_and_delete_rules_hold(backend: Backend) {
    let test_db = TestDb::create(backend).await;
    let conn = db::connect(&test_db.url).await.expect("connect");
    db::migrate(&conn).await.expect("migrate");

    let user = users::ActiveModel {
        id: Set(id()),
        email: Set("agent@helpdesk.test".into()),
        password_hash: Set("x".into()),
        name: Set("Agent".into()),
        role: Set(Role::Agent),
        is_active: Set(true),
        token_version: Set(0),
        last_login_at: Set(None),
        created_by: Set(None),
        created_at: Set(now()),
        updated_at: Set(now()),
    }
    .insert(&conn)
    .await
    .expect("user");
    let bad_role = format!("UPDATE users SET role = 'root' WHERE id = '{}'", user.id);
    assert!(conn.execute_unprepared(&bad_role).await.is_err(), "a role that is not in `roles` is refused");

    let website = websites::ActiveModel {
        id: Set(id()),
        user_id: Set(user.id.clone()),
        name: Set("Site".into()),
        domain: Set("example.com".into()),
        description: Set(None),
        api_key: Set(id()),
        is_active: Set(true),
        routing: Set(protocol::Routing::Manual),
        agent_capacity: Set(5),
        typing_preview: Set(true),
        missed_chat_minutes: Set(10),
        transcript_on_resolve: Set(false),
        retention_days: Set(0),
        identity_secret: Set(None),
        identity_required: Set(false),
        created_at: Set(now()),
        updated_at: Set(now()),
    }
    .insert(&conn)
    .await
    .expect("website");
    let visitor = visitors::ActiveModel {
        id: Set(id()),
        website_id: Set(website.id.clone()),
        session_id: Set(id()),
        ip_address: Set(None),
        user_agent: Set(None),
        country: Set(None),
        name: Set(None),
        email: Set(None),
        external_id: Set(None),
        consent_text: Set(None),
        consented_at: Set(None),
        last_seen: Set(now()),
        created_at: Set(now()),
    }
    .insert(&conn)
    .await
    .expect("visitor");
    let chat = chats::ActiveModel {
        id: Set(id()),
        website_id: Set(website.id.clone()),
        visitor_id: Set(visitor.id.clone()),
        assigned_to: Set(Some(user.id.clone())),
        status: Set(ChatStatus::Ongoing),
        resolution: Set(None),
        started_at: Set(now()),
        ended_at: Set(None),
        created_at: Set(now()),
        updated_at: Set(now()),
        first_visitor_at: Set(None),
        first_response_at: Set(None),
        first_response_by: Set(None),
        visitor_read_seq: Set(0),
    }
    .insert(&conn)
    .await
    .expect("chat");

    message(&conn, &chat.id, 1, Some("c-1")).await.expect("first");
    message(&conn, &chat.id, 2, None).await.expect("second");
    message(&conn, &chat.id, 3, None).await.expect("two NULL client ids do not collide");
    assert!(message(&conn, &chat.id, 2, None).await.is_err(), "seq is unique per chat");
    // On SQLite the message writer finds retries itself (it is the only writer there; tested in realtime.rs), so
    // the index that cost every message a page is gone there; MySQL/MariaDB, written by several nodes, keep it.
    let repeat = message(&conn, &chat.id, 4, Some("c-1")).await;
    match backend {
        Backend::Mysql => assert!(repeat.is_err(), "client message id is unique per chat"),
        Backend::Sqlite => assert!(repeat.is_ok(), "no client message id index on SQLite"),
    }
    assert!(message(&conn, "no-such-chat", 1, None).await.is_err(), "messages need their chat");

    // Deleting the assigned agent un-assigns the chat; deleting the website removes its chats and messages.
    let other_owner =
        users::ActiveModel { id: Set(id()), email: Set("owner@helpdesk.test".into()), ..user.clone().into() };
    let other_owner = other_owner.insert(&conn).await.expect("owner");
    let mut moved: websites::ActiveModel = website.clone().into();
    moved.user_id = Set(other_owner.id.clone());
    moved.update(&conn).await.expect("re-own website");
    users::Entity::delete_by_id(user.id.clone()).exec(&conn).await.expect("delete agent");
    let chat_now = chats::Entity::find_by_id(chat.id.clone()).one(&conn).await.expect("query").expect("chat stays");
    assert_eq!(chat_now.assigned_to, None);

    websites::Entity::delete_by_id(website.id.clone()).exec(&conn).await.expect("delete website");
    assert!(chats::Entity::find_by_id(chat.id.clone()).one(&conn).await.expect("query").is_none());
    assert!(messages::Entity::find().all(&conn).await.expect("query").is_empty());
    assert!(visitors::Entity::find().all(&conn).await.expect("query").is_empty());

    conn.close().await.ok();
    test_db.drop_db().await;
}

/// The columns of `table` in the migrated database.
async fn db_columns(conn: &DatabaseConnection, table: &str) -> Vec<String> {
    let sql = match conn.get_database_backend() {
        sea_orm::DbBackend::Sqlite => format!("SELECT name FROM pragma_table_info('{table}')"),
        _ => format!(
            "SELECT column_name AS name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = '{table}'"
        ),
    };
    let rows =
        conn.query_all_raw(sea_orm::Statement::from_string(conn.get_database_backend(), sql)).await.expect("columns");
    let mut names: Vec<String> = rows.iter().map(|r| r.try_get::<String>("", "name").expect("name")).collect();
    names.sort();
    names
}

fn entity_columns<E: EntityTrait>() -> Vec<String> {
    use sea_orm::{IdenStatic, Iterable};
    let mut names: Vec<String> = E::Column::iter().map(|c| c.as_str().to_string()).collect();
    names.sort();
    names
}

/// Every entity has exactly the columns its table has after the migrations, on both databases: a column added to
/// one and not the other fails here, not in production.
async fn entities_match_the_migrated_schema(backend: Backend) {
    use domain::entities::*;
    let test_db = TestDb::create(backend).await;
    let conn = db::connect(&test_db.url).await.expect("connect");
    Migrator::up(&conn, None).await.expect("up");
    let expected: Vec<(&str, Vec<String>)> = vec![
        ("activity_logs", entity_columns::<activity_logs::Entity>()),
        ("analytics_days", entity_columns::<analytics_days::Entity>()),
        ("attachments", entity_columns::<attachments::Entity>()),
        ("chat_reads", entity_columns::<chat_reads::Entity>()),
        ("chats", entity_columns::<chats::Entity>()),
        ("emails", entity_columns::<emails::Entity>()),
        ("message_counts", entity_columns::<message_counts::Entity>()),
        ("messages", entity_columns::<messages::Entity>()),
        ("revoked_tokens", entity_columns::<revoked_tokens::Entity>()),
        ("roles", entity_columns::<roles::Entity>()),
        ("users", entity_columns::<users::Entity>()),
        ("visitor_activity", entity_columns::<visitor_activity::Entity>()),
        ("visitor_pages", entity_columns::<visitor_pages::Entity>()),
        ("visitors", entity_columns::<visitors::Entity>()),
        ("website_members", entity_columns::<website_members::Entity>()),
        ("websites", entity_columns::<websites::Entity>()),
        ("widget_settings", entity_columns::<widget_settings::Entity>()),
    ];
    for (table, columns) in expected {
        assert_eq!(db_columns(&conn, table).await, columns, "{table} on {backend:?}");
    }
    conn.close().await.ok();
    test_db.drop_db().await;
}

/// A string column holding a value its enum does not have (written by hand, or by a newer version) is an error when
/// read, never quietly taken for some default status.
async fn an_unknown_value_in_a_typed_column_is_an_error(backend: Backend) {
    let test_db = TestDb::create(backend).await;
    let conn = db::connect(&test_db.url).await.expect("connect");
    Migrator::up(&conn, None).await.expect("up");
    let (user, website, visitor) = (id(), id(), id());
    for sql in [
        format!("INSERT INTO users (id, email, password_hash, name, role, is_active, token_version, created_at, updated_at) VALUES ('{user}', 'a@b.test', 'x', 'A', 'agent', 1, 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"),
        format!("INSERT INTO websites (id, user_id, name, domain, api_key, is_active, created_at, updated_at) VALUES ('{website}', '{user}', 'S', 'example.com', 'k', 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"),
        format!("INSERT INTO visitors (id, website_id, session_id, last_seen, created_at) VALUES ('{visitor}', '{website}', 's', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"),
        format!("INSERT INTO chats (id, website_id, visitor_id, status, started_at, created_at, updated_at) VALUES ('c1', '{website}', '{visitor}', 'archived', '2026-01-01 00:00:00', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"),
    ] {
        conn.execute_unprepared(&sql).await.expect(&sql);
    }
    let read = chats::Entity::find_by_id("c1").one(&conn).await;
    assert!(read.is_err(), "an unknown status was read as {read:?}");
    conn.execute_unprepared("UPDATE chats SET status = 'waiting' WHERE id = 'c1'").await.expect("fix");
    let chat = chats::Entity::find_by_id("c1").one(&conn).await.expect("read").expect("chat");
    assert_eq!(chat.status, ChatStatus::Waiting);
    conn.close().await.ok();
    test_db.drop_db().await;
}

/// SQLite's full-text indexes are written by triggers. A row refused by its foreign key (checked when the statement
/// ends, after the triggers) must not have touched FTS5: an FTS5 write in a failed statement outside a transaction
/// leaves that connection on a stale snapshot, and its next write would fail with "database is locked" once another
/// connection has written (migration 26 explains the guards). Two connections of one each, so the writes land where
/// this test says.
#[tokio::test]
async fn sqlite_a_refused_row_leaves_its_connection_writable() {
    let test_db = TestDb::create(Backend::Sqlite).await;
    let conn = db::connect(&test_db.url).await.expect("connect");
    db::migrate(&conn).await.expect("migrate");
    let single = || async {
        let mut opts = sea_orm::ConnectOptions::new(test_db.url.clone());
        opts.max_connections(1).min_connections(1).sqlx_logging(false).map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(std::time::Duration::from_secs(5))
        });
        sea_orm::Database::connect(opts).await.expect("connect one")
    };
    let (a, b) = (single().await, single().await);
    let seed = format!(
        "INSERT INTO users (id, email, password_hash, name, role) VALUES ('u', 'u@helpdesk.test', 'x', 'U', 'agent');
         INSERT INTO websites (id, user_id, name, domain, api_key) VALUES ('w', 'u', 'Site', 'example.com', 'k');
         INSERT INTO visitors (id, website_id, session_id, last_seen) VALUES ('v', 'w', 's', '{0}');
         INSERT INTO chats (id, website_id, visitor_id, status, started_at) VALUES ('c', 'w', 'v', 'ongoing', '{0}');",
        "2026-12-05 00:00:00"
    );
    conn.execute_unprepared(&seed).await.expect("seed");
    let named = |id: &str, website: &str| {
        format!(
            "INSERT INTO visitors (id, website_id, session_id, name, last_seen) \
             VALUES ('{id}', '{website}', '{id}', 'Hello Visitor', '2026-12-05 00:00:00')"
        )
    };

    for round in 0..3 {
        assert!(message(&a, "no-such-chat", 1, None).await.is_err(), "messages need their chat");
        message(&b, "c", 2 * round + 1, None).await.expect("another connection writes");
        message(&a, "c", 2 * round + 2, None).await.expect("the refused connection writes next");

        let refused = a.execute_unprepared(&named(&format!("x{round}"), "no-such-website")).await;
        assert!(refused.is_err(), "visitors need their website");
        b.execute_unprepared(&named(&format!("b{round}"), "w")).await.expect("another connection writes");
        a.execute_unprepared(&named(&format!("a{round}"), "w")).await.expect("the refused connection writes next");
    }
    #[derive(FromQueryResult)]
    struct Count {
        n: i64,
    }
    let count = |sql: &'static str| {
        let conn = &conn;
        async move {
            Count::find_by_statement(sea_orm::Statement::from_string(sea_orm::DbBackend::Sqlite, sql))
                .one(conn)
                .await
                .expect("count")
                .map(|c| c.n)
        }
    };
    assert_eq!(count("SELECT count(*) AS n FROM messages_fts_waiting").await, Some(6), "six messages wait");
    assert_eq!(
        count("SELECT count(*) AS n FROM visitors_fts WHERE visitors_fts MATCH 'hello'").await,
        Some(6),
        "the six stored visitors are indexed, the refused ones are not"
    );
    for c in [a, b, conn] {
        c.close().await.ok();
    }
    test_db.drop_db().await;
}
