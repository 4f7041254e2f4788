//! Search: message text (and internal notes) and the visitor's name and email, through each database's own
//! full-text index (SQLite FTS5, MariaDB/MySQL FULLTEXT; migration 26), within the websites the agent sees.
//!
//! Both engines are asked the same thing: every word, each also as a prefix. Message hits come newest first — the
//! FTS5 rowid order SQLite walks without sorting, `created_at` on MySQL — so a common word costs one page of
//! index, not every match. Snippets are cut and marked here, alike for both engines.

use std::collections::HashMap;

use protocol::{
    search_words, snippet, AppError, ChatSummary, MessageKind, SearchField, SearchHit, SearchQuery, SearchResults,
    SenderType, SEARCH_MAX_LEN, SEARCH_PAGE,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
    Statement, Value,
};

use crate::ctx::Ctx;
use crate::db::WriteLane;
use crate::entities::{chats, websites};
use crate::services::chats::{summaries, with_read_seqs};
use crate::services::websites::{find_visible, visible as visible_websites};
use crate::AppState;

/// Characters of text a snippet shows.
const SNIPPET_CHARS: usize = 160;
/// Visitors (by name or email) on a first page.
const VISITOR_HITS: usize = 5;

#[derive(Debug, FromQueryResult)]
struct MessageRow {
    chat_id: String,
    seq: i64,
    sender_type: String,
    kind: String,
    content: String,
    created_at: chrono::NaiveDateTime,
}

#[derive(Debug, FromQueryResult)]
struct VisitorRow {
    id: String,
    name: Option<String>,
    email: Option<String>,
}

fn time(t: chrono::NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Search what `ctx` may see.
pub async fn search(ctx: &Ctx, state: &AppState, query: SearchQuery) -> Result<SearchResults, AppError> {
    let q = query.q.trim();
    if q.chars().count() > SEARCH_MAX_LEN {
        return Err(AppError::validation("q", format!("At most {SEARCH_MAX_LEN} characters.")));
    }
    let words = search_words(q);
    if words.is_empty() {
        return Err(AppError::validation("q", "Type a word of at least 3 letters or digits."));
    }
    let db = &state.db;
    // The websites searched: one the agent sees, or all of them (None: every website, for super admins).
    let sites: Option<Vec<String>> = match query.website_id.as_deref().filter(|w| !w.is_empty()) {
        Some(id) => Some(vec![find_visible(ctx, db, id).await?.id]),
        None if ctx.is_super_admin() => None,
        None => {
            Some(visible_websites(ctx).select_only().column(websites::Column::Id).into_tuple::<String>().all(db).await?)
        }
    };
    if sites.as_ref().is_some_and(|s| s.is_empty()) {
        return Ok(SearchResults::default());
    }
    let page = query.page.unwrap_or(1).max(1);
    let backend = db.get_database_backend();
    // What was said a moment ago is found too.
    index_waiting(&state.lane).await?;

    let mut hits = Vec::new();
    if page == 1 {
        hits.extend(visitor_hits(ctx, db, backend, &words, sites.as_deref()).await?);
    }
    let rows = message_rows(db, backend, &words, sites.as_deref(), page).await?;
    let more = rows.len() as u64 > SEARCH_PAGE;
    let rows: Vec<MessageRow> = rows.into_iter().take(SEARCH_PAGE as usize).collect();
    let chat_ids: Vec<&str> = rows.iter().map(|r| r.chat_id.as_str()).collect();
    let chats = chat_summaries(ctx, db, &chat_ids).await?;
    for row in &rows {
        let Some(chat) = chats.get(&row.chat_id) else { continue };
        hits.push(SearchHit {
            chat: chat.clone(),
            field: SearchField::Message,
            seq: Some(row.seq),
            sender_type: SenderType::parse(&row.sender_type),
            note: MessageKind::parse(&row.kind) == Some(MessageKind::Note),
            at: time(row.created_at),
            snippet: snippet(&row.content, &words, SNIPPET_CHARS),
        });
    }
    Ok(SearchResults { hits, more })
}

/// Messages indexed in one turn of the write lane: about 150 ms of FTS5 work on this machine once the index holds a
/// million messages (2 000 took 550 ms, the message writer's wait behind one turn).
const INDEX_CHUNK: i64 = 500;
/// The background indexer's pause between chunks while a backlog lasts: longer than SQLite's longest busy-handler
/// sleep (100 ms), so a writer outside the lane that is waiting for the lock gets it instead of losing every race.
const INDEX_PAUSE: std::time::Duration = std::time::Duration::from_millis(120);

/// SQLite: indexes the messages waiting in `messages_fts_waiting` (queued by migration 26's trigger), a chunk per
/// turn of the write lane so the message writer is never held up for long. Nothing to do on MySQL/MariaDB, whose
/// FULLTEXT index InnoDB keeps itself.
pub async fn index_waiting(lane: &WriteLane) -> Result<(), sea_orm::DbErr> {
    if lane.db().get_database_backend() != DbBackend::Sqlite {
        return Ok(());
    }
    loop {
        let turn = lane.turn().await;
        let indexed = index_chunk(turn.db()).await?;
        drop(turn);
        if indexed < INDEX_CHUNK {
            return Ok(());
        }
    }
}

/// Indexes up to [`INDEX_CHUNK`] waiting messages in one transaction; returns how many were taken.
async fn index_chunk(db: &sea_orm::DatabaseConnection) -> Result<i64, sea_orm::DbErr> {
    #[derive(FromQueryResult)]
    struct Upto {
        upto: Option<i64>,
        n: i64,
    }
    let sql = "SELECT max(id) AS upto, count(*) AS n FROM (SELECT id FROM messages_fts_waiting ORDER BY id LIMIT ?)";
    let statement = Statement::from_sql_and_values(DbBackend::Sqlite, sql, [INDEX_CHUNK.into()]);
    let Some(Upto { upto: Some(upto), n }) = Upto::find_by_statement(statement).one(db).await? else {
        return Ok(0);
    };
    let txn = crate::db::begin_write(db).await?;
    for sql in [
        "INSERT INTO messages_fts(rowid, content) SELECT m.rowid, m.content FROM messages_fts_waiting w \
         JOIN messages m ON m.rowid = w.id WHERE w.id <= ?",
        "DELETE FROM messages_fts_waiting WHERE id <= ?",
    ] {
        txn.execute_raw(Statement::from_sql_and_values(DbBackend::Sqlite, sql, [upto.into()])).await?;
    }
    txn.commit().await?;
    Ok(n)
}

/// Indexes waiting messages every `period` until the process ends, so the queue stays short between searches; while
/// a backlog lasts, chunk after chunk with [`INDEX_PAUSE`] between them.
pub(crate) fn index_in_background(lane: WriteLane, period: std::time::Duration) {
    if lane.db().get_database_backend() != DbBackend::Sqlite {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            loop {
                let turn = lane.turn().await;
                let indexed = index_chunk(turn.db()).await;
                drop(turn);
                match indexed {
                    Ok(n) if n == INDEX_CHUNK => tokio::time::sleep(INDEX_PAUSE).await,
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "messages not indexed for search yet; retrying");
                        break;
                    }
                }
            }
        }
    });
}

/// Summaries of the chats, keyed by id, as the inbox shows them to `ctx`.
async fn chat_summaries(
    ctx: &Ctx,
    db: &impl ConnectionTrait,
    ids: &[&str],
) -> Result<HashMap<String, ChatSummary>, AppError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut unique: Vec<&str> = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let models = chats::Entity::find().filter(chats::Column::Id.is_in(unique)).all(db).await?;
    let mut list = summaries(db, &models).await?;
    with_read_seqs(ctx, db, &mut list).await?;
    Ok(list.into_iter().map(|s| (s.id.clone(), s)).collect())
}

/// The full-text query for `words` (letters and digits only, from `search_words`): every word, each as a prefix.
fn match_expression(backend: DbBackend, words: &[String]) -> String {
    let term = |w: &String| match backend {
        DbBackend::Sqlite => format!("\"{w}\"*"),
        _ => format!("+{w}*"),
    };
    words.iter().map(term).collect::<Vec<_>>().join(" ")
}

/// `?, ?, …` for `n` values.
fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// The messages matching every word, newest first: one page and one more row (to tell whether there is more).
async fn message_rows(
    db: &impl ConnectionTrait,
    backend: DbBackend,
    words: &[String],
    sites: Option<&[String]>,
    page: u64,
) -> Result<Vec<MessageRow>, AppError> {
    let mut values: Vec<Value> = vec![match_expression(backend, words).into()];
    let (from, matching, order) = match backend {
        // CROSS JOIN fixes SQLite's join order: the match first, newest first, each row's website checked after
        // (see `visitor_hits`).
        DbBackend::Sqlite => (
            "messages_fts f CROSS JOIN messages m ON m.rowid = f.rowid CROSS JOIN chats c ON c.id = m.chat_id",
            "messages_fts MATCH ?",
            "f.rowid DESC",
        ),
        _ => (
            "messages m JOIN chats c ON c.id = m.chat_id",
            "MATCH(m.content) AGAINST (? IN BOOLEAN MODE)",
            "m.created_at DESC, m.id DESC",
        ),
    };
    let scope = match sites {
        Some(sites) => {
            values.extend(sites.iter().map(|s| Value::from(s.as_str())));
            format!("AND c.website_id IN ({})", marks(sites.len()))
        }
        None => String::new(),
    };
    values.push(((SEARCH_PAGE + 1) as i64).into());
    values.push((((page - 1).saturating_mul(SEARCH_PAGE)).min(i64::MAX as u64) as i64).into());
    let sql = format!(
        "SELECT m.chat_id, m.seq, m.sender_type, m.type AS kind, m.content, m.created_at FROM {from} \
         WHERE {matching} AND m.sender_type <> 'system' AND m.type IN ('text', 'note') {scope} \
         ORDER BY {order} LIMIT ? OFFSET ?"
    );
    Ok(MessageRow::find_by_statement(Statement::from_sql_and_values(backend, sql, values)).all(db).await?)
}

/// Visitors whose name or email holds every word, each with their latest chat (visitors who never chatted are
/// not hits: a hit opens a chat).
async fn visitor_hits(
    ctx: &Ctx,
    db: &impl ConnectionTrait,
    backend: DbBackend,
    words: &[String],
    sites: Option<&[String]>,
) -> Result<Vec<SearchHit>, AppError> {
    let mut values: Vec<Value> = vec![match_expression(backend, words).into()];
    let (from, matching, order) = match backend {
        // CROSS JOIN makes SQLite walk the match first (newest first, stopping at the page): left to choose, its
        // planner (3.51) starts from the visitors of the searched websites by their index and runs the match for
        // each, which took 335 ms for two of five websites at 300 000 messages instead of 0.3 ms.
        DbBackend::Sqlite => {
            ("visitors_fts f CROSS JOIN visitors v ON v.rowid = f.rowid", "visitors_fts MATCH ?", "f.rowid DESC")
        }
        _ => ("visitors v", "MATCH(v.name, v.email) AGAINST (? IN BOOLEAN MODE)", "v.last_seen DESC, v.id DESC"),
    };
    let scope = match sites {
        Some(sites) => {
            values.extend(sites.iter().map(|s| Value::from(s.as_str())));
            format!("AND v.website_id IN ({})", marks(sites.len()))
        }
        None => String::new(),
    };
    // Visitors with a chat only: the EXISTS reads the chats' (visitor_id) index.
    let sql = format!(
        "SELECT v.id, v.name, v.email FROM {from} WHERE {matching} {scope} \
         AND EXISTS (SELECT 1 FROM chats c WHERE c.visitor_id = v.id) ORDER BY {order} LIMIT {VISITOR_HITS}"
    );
    let visitors = VisitorRow::find_by_statement(Statement::from_sql_and_values(backend, sql, values)).all(db).await?;
    if visitors.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<&str> = visitors.iter().map(|v| v.id.as_str()).collect();
    let mut latest: HashMap<String, chats::Model> = HashMap::new();
    for chat in chats::Entity::find()
        .filter(chats::Column::VisitorId.is_in(ids.iter().copied()))
        .order_by_desc(chats::Column::CreatedAt)
        .all(db)
        .await?
    {
        latest.entry(chat.visitor_id.clone()).or_insert(chat);
    }
    let models: Vec<chats::Model> = visitors.iter().filter_map(|v| latest.remove(&v.id)).collect();
    let mut list = summaries(db, &models).await?;
    with_read_seqs(ctx, db, &mut list).await?;
    let by_visitor: HashMap<&str, &ChatSummary> = list.iter().map(|s| (s.visitor_id.as_str(), s)).collect();
    Ok(visitors
        .iter()
        .filter_map(|v| {
            let chat = by_visitor.get(v.id.as_str())?;
            let contact = [v.name.as_deref(), v.email.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" · ");
            Some(SearchHit {
                chat: (*chat).clone(),
                field: SearchField::Visitor,
                seq: None,
                sender_type: None,
                note: false,
                at: chat.started_at.clone(),
                snippet: snippet(&contact, words, SNIPPET_CHARS),
            })
        })
        .collect())
}
