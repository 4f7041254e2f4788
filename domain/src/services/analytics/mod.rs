//! Analytics: a range's figures for the websites the caller sees (definitions in `protocol::analytics` and
//! `docs/analytics.md`). Reads never scan messages: each chat carries its first visitor message and first response
//! (written by the message writer), message counts and visitor activity are kept per quarter hour, and a report
//! reads the range's chats once and two small rollups.

mod range;
pub mod tally;

use std::collections::HashMap;

use chrono::{Datelike, NaiveDateTime, TimeZone, Timelike};
use protocol::{
    AgentFigures, AnalyticsQuery, AnalyticsReport, AppError, ChatStatus, DayFigures, Durations, SenderType,
    StatusCount, TodayFigures, MISSED_AFTER_MINUTES,
};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect, TransactionTrait};

pub use range::Range;

use crate::ctx::Ctx;
use crate::entities::{chats, message_counts, users, visitor_activity, websites};
use crate::services::websites::visible;
use crate::AppState;

/// The report `query` asks for, over the websites `ctx` sees (or the one it names, if they see it).
pub async fn report(ctx: &Ctx, state: &AppState, query: &AnalyticsQuery) -> Result<AnalyticsReport, AppError> {
    let now = crate::services::now_millis();
    let range = Range::parse(query, now)?;
    let website_ids = scope(ctx, &state.db, query.website_id.as_deref()).await?;
    let mut report = compute(&state.db, &website_ids, &range, now, Reading::Everything).await?;
    report.website_id = query.website_id.clone().filter(|w| !w.is_empty());
    Ok(report)
}

/// Yesterday and today in `tz` over the websites `ctx` sees, from the chats alone: one indexed query, cheap enough
/// to repeat whenever a chat changes (the live dashboard).
pub async fn today(ctx: &Ctx, state: &AppState, tz: Option<&str>) -> Result<TodayFigures, AppError> {
    let now = crate::services::now_millis();
    let query = AnalyticsQuery { days: Some(2), tz: tz.map(String::from), ..AnalyticsQuery::default() };
    let range = Range::parse(&query, now)?;
    let website_ids = scope(ctx, &state.db, None).await?;
    let mut report = compute(&state.db, &website_ids, &range, now, Reading::ChatsOnly).await?;
    let today = report.days.pop().unwrap_or_default();
    let yesterday = report.days.pop().unwrap_or_default();
    Ok(TodayFigures { tz: report.tz, today, yesterday })
}

/// What a report reads: everything, or the chats alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reading {
    Everything,
    ChatsOnly,
}

/// The ids of the websites `ctx` sees, or of the one named (404 when they do not see it).
pub(crate) async fn scope(
    ctx: &Ctx,
    db: &impl ConnectionTrait,
    website_id: Option<&str>,
) -> Result<Vec<String>, AppError> {
    let mut find = visible(ctx).select_only().column(websites::Column::Id);
    if let Some(id) = website_id.filter(|w| !w.is_empty()) {
        find = find.filter(websites::Column::Id.eq(id));
    }
    let ids: Vec<String> = find.into_tuple().all(db).await?;
    if website_id.is_some_and(|w| !w.is_empty()) && ids.is_empty() {
        return Err(AppError::not_found("Website"));
    }
    Ok(ids)
}

/// One chat as a report reads it.
type ChatRow = (
    NaiveDateTime,         // started_at
    ChatStatus,            // status
    Option<String>,        // assigned_to
    Option<NaiveDateTime>, // first_visitor_at
    Option<NaiveDateTime>, // first_response_at
    Option<String>,        // first_response_by
    Option<NaiveDateTime>, // ended_at
);

fn millis(from: NaiveDateTime, to: NaiveDateTime) -> u64 {
    (to - from).num_milliseconds().max(0) as u64
}

/// Median (mean of the two middle values for an even count) and p90 (nearest rank) of `values`.
pub fn durations(values: &mut [u64]) -> Durations {
    if values.is_empty() {
        return Durations::default();
    }
    values.sort_unstable();
    let n = values.len();
    let median = match n % 2 {
        1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2,
    };
    let rank = (n * 9).div_ceil(10).max(1);
    Durations { count: n as u64, median_ms: Some(median), p90_ms: Some(values[rank - 1]) }
}

/// Whether a chat counts as missed at `now`.
fn missed(status: ChatStatus, started: NaiveDateTime, answered: bool, now: NaiveDateTime) -> bool {
    if answered {
        return false;
    }
    match status {
        ChatStatus::Closed | ChatStatus::Resolved | ChatStatus::Offline => true,
        ChatStatus::Waiting => now - started > chrono::Duration::minutes(i64::from(MISSED_AFTER_MINUTES)),
        ChatStatus::Ongoing => false,
    }
}

#[derive(Default)]
struct Acc {
    figures: DayFigures,
    first_response: Vec<u64>,
    resolution: Vec<u64>,
}

impl Acc {
    fn finish(mut self) -> DayFigures {
        self.figures.first_response = durations(&mut self.first_response);
        self.figures.resolution = durations(&mut self.resolution);
        self.figures
    }
}

#[derive(Default)]
struct AgentAcc {
    chats: u64,
    first_response: Vec<u64>,
    resolution: Vec<u64>,
    messages: u64,
}

/// The SQL for a bucket's local day number within `range` (`(bucket + offset) / 86400` with its stretch's offset).
fn local_day_sql(backend: DbBackend, range: &Range) -> String {
    let offsets = range.offsets();
    let offset = match offsets.as_slice() {
        [(_, only)] => only.to_string(),
        _ => {
            let mut case = String::from("CASE");
            for pair in offsets.windows(2) {
                case.push_str(&format!(" WHEN bucket < {} THEN {}", pair[1].0, pair[0].1));
            }
            case.push_str(&format!(" ELSE {} END", offsets.last().map(|o| o.1).unwrap_or(0)));
            case
        }
    };
    let div = if backend == DbBackend::MySql { "DIV" } else { "/" };
    format!("(bucket + ({offset})) {div} 86400")
}

/// The figures of `range` over `website_ids` at `now`.
pub(crate) async fn compute(
    db: &sea_orm::DatabaseConnection,
    website_ids: &[String],
    range: &Range,
    now: NaiveDateTime,
    reading: Reading,
) -> Result<AnalyticsReport, AppError> {
    let mut days: Vec<Acc> = (0..range.days()).map(|_| Acc::default()).collect();
    let mut total = Acc::default();
    let mut by_status: HashMap<ChatStatus, u64> = HashMap::new();
    let mut heatmap = vec![vec![0u64; 24]; 7];
    let mut agents: HashMap<String, AgentAcc> = HashMap::new();

    if !website_ids.is_empty() {
        // One snapshot for the three reads, so the figures agree with each other.
        let txn = db.begin().await?;
        let rows: Vec<ChatRow> = chats::Entity::find()
            .select_only()
            .columns([
                chats::Column::StartedAt,
                chats::Column::Status,
                chats::Column::AssignedTo,
                chats::Column::FirstVisitorAt,
                chats::Column::FirstResponseAt,
                chats::Column::FirstResponseBy,
                chats::Column::EndedAt,
            ])
            .filter(chats::Column::WebsiteId.is_in(website_ids))
            .filter(chats::Column::StartedAt.gte(range.start()))
            .filter(chats::Column::StartedAt.lt(range.end()))
            .into_tuple()
            .all(&txn)
            .await?;
        for (started, status, assigned, first_visitor, first_response, responder, ended) in rows {
            let Some(day) = range.day_of(started) else { continue };
            let response = first_visitor.zip(first_response).map(|(v, r)| millis(v, r));
            let resolution = (status == ChatStatus::Resolved).then_some(ended).flatten().map(|e| millis(started, e));
            let is_missed = missed(status, started, first_response.is_some(), now);
            for acc in [&mut days[day], &mut total] {
                acc.figures.chats += 1;
                acc.figures.missed += u64::from(is_missed);
                acc.figures.resolved += u64::from(status == ChatStatus::Resolved);
                acc.first_response.extend(response);
                acc.resolution.extend(resolution);
            }
            *by_status.entry(status).or_default() += 1;
            let local = range.tz.from_utc_datetime(&started);
            heatmap[local.weekday().num_days_from_monday() as usize][local.hour() as usize] += 1;
            if let Some(agent) = assigned {
                let a = agents.entry(agent).or_default();
                a.chats += 1;
                a.resolution.extend(resolution);
            }
            if let (Some(by), Some(ms)) = (responder, response) {
                agents.entry(by).or_default().first_response.push(ms);
            }
        }

        if reading == Reading::ChatsOnly {
            txn.commit().await?;
            return Ok(finish(range, days, total, by_status, heatmap, Vec::new()));
        }
        let backend = txn.get_database_backend();
        let (first, last) = (range.start().and_utc().timestamp(), range.end().and_utc().timestamp());
        let day_sql = local_day_sql(backend, range);
        let first_day = range.first_day_number();
        let messages: Vec<(i64, i64)> = message_counts::Entity::find()
            .select_only()
            .column_as(Expr::cust(day_sql.clone()), "day")
            .column_as(Expr::cust("CAST(SUM(messages) AS SIGNED)"), "n")
            .filter(message_counts::Column::WebsiteId.is_in(website_ids))
            .filter(message_counts::Column::Bucket.gte(first))
            .filter(message_counts::Column::Bucket.lt(last))
            .group_by(Expr::cust("day"))
            .into_tuple()
            .all(&txn)
            .await?;
        for (day, n) in messages {
            if let Some(acc) = usize::try_from(day - first_day).ok().and_then(|d| days.get_mut(d)) {
                acc.figures.messages += n as u64;
                total.figures.messages += n as u64;
            }
        }
        let sent: Vec<(String, i64)> = message_counts::Entity::find()
            .select_only()
            .column(message_counts::Column::SenderId)
            .column_as(Expr::cust("CAST(SUM(messages) AS SIGNED)"), "n")
            .filter(message_counts::Column::WebsiteId.is_in(website_ids))
            .filter(message_counts::Column::SenderType.eq(SenderType::Admin))
            .filter(message_counts::Column::Bucket.gte(first))
            .filter(message_counts::Column::Bucket.lt(last))
            .group_by(message_counts::Column::SenderId)
            .into_tuple()
            .all(&txn)
            .await?;
        for (agent, n) in sent.into_iter().filter(|(agent, _)| !agent.is_empty()) {
            agents.entry(agent).or_default().messages += n as u64;
        }
        let visitors: Vec<(i64, i64)> = visitor_activity::Entity::find()
            .select_only()
            .column_as(Expr::cust(day_sql.clone()), "day")
            .column_as(Expr::cust("COUNT(DISTINCT visitor_id)"), "n")
            .filter(visitor_activity::Column::WebsiteId.is_in(website_ids))
            .filter(visitor_activity::Column::Bucket.gte(first))
            .filter(visitor_activity::Column::Bucket.lt(last))
            .group_by(Expr::cust("day"))
            .into_tuple()
            .all(&txn)
            .await?;
        for (day, n) in visitors {
            if let Some(acc) = usize::try_from(day - first_day).ok().and_then(|d| days.get_mut(d)) {
                acc.figures.visitors = n as u64;
            }
        }
        let distinct: Option<i64> = visitor_activity::Entity::find()
            .select_only()
            .column_as(Expr::cust("COUNT(DISTINCT visitor_id)"), "n")
            .filter(visitor_activity::Column::WebsiteId.is_in(website_ids))
            .filter(visitor_activity::Column::Bucket.gte(first))
            .filter(visitor_activity::Column::Bucket.lt(last))
            .into_tuple()
            .one(&txn)
            .await?;
        total.figures.visitors = distinct.unwrap_or(0) as u64;
        txn.commit().await?;
    }

    let names: HashMap<String, String> = match agents.is_empty() {
        true => HashMap::new(),
        false => users::Entity::find()
            .select_only()
            .columns([users::Column::Id, users::Column::Name])
            .filter(users::Column::Id.is_in(agents.keys().map(String::as_str)))
            .into_tuple()
            .all(db)
            .await?
            .into_iter()
            .collect(),
    };
    let mut agents: Vec<AgentFigures> = agents
        .into_iter()
        .map(|(user_id, mut a)| AgentFigures {
            name: names.get(&user_id).cloned().unwrap_or_else(|| "Deleted user".into()),
            user_id,
            chats: a.chats,
            first_response: durations(&mut a.first_response),
            resolution: durations(&mut a.resolution),
            messages: a.messages,
        })
        .collect();
    agents.sort_by(|a, b| b.chats.cmp(&a.chats).then(b.messages.cmp(&a.messages)).then(a.name.cmp(&b.name)));
    Ok(finish(range, days, total, by_status, heatmap, agents))
}

fn finish(
    range: &Range,
    days: Vec<Acc>,
    total: Acc,
    by_status: HashMap<ChatStatus, u64>,
    heatmap: Vec<Vec<u64>>,
    agents: Vec<AgentFigures>,
) -> AnalyticsReport {
    let days: Vec<DayFigures> = days
        .into_iter()
        .enumerate()
        .map(|(i, acc)| {
            let mut figures = acc.finish();
            figures.date = range.date(i).to_string();
            figures
        })
        .collect();
    AnalyticsReport {
        from: range.from.to_string(),
        to: range.to.to_string(),
        tz: range.tz.name().to_string(),
        website_id: None,
        days,
        totals: total.finish(),
        by_status: ChatStatus::ALL
            .iter()
            .map(|s| StatusCount { status: *s, chats: by_status.get(s).copied().unwrap_or(0) })
            .collect(),
        heatmap,
        agents,
        missed_after_minutes: MISSED_AFTER_MINUTES,
    }
}

/// [`rebuild`] on the running application's database (the `analytics-rebuild` command), with the counts not yet
/// written flushed first, so none is counted twice or lost.
pub async fn rebuild_all(state: &AppState) -> Result<(), sea_orm::DbErr> {
    state.writer.flush_counts().await?;
    let _turn = state.lane.turn().await;
    rebuild(&state.db).await
}

/// Recomputes the rollups (chats' first messages, message counts, visitor activity) from the raw rows, in one
/// transaction: after a restore, or to check them.
pub async fn rebuild(db: &sea_orm::DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    let txn = db.begin().await?;
    for sql in migration::m20261204_000022_analytics::rebuild_statements(txn.get_database_backend()) {
        txn.execute_unprepared(&sql).await?;
    }
    txn.commit().await
}

#[cfg(test)]
mod tests {
    use super::durations;

    #[test]
    fn median_and_p90_follow_their_definitions() {
        assert_eq!(durations(&mut []).median_ms, None);
        let one = durations(&mut [7]);
        assert_eq!((one.count, one.median_ms, one.p90_ms), (1, Some(7), Some(7)));
        let even = durations(&mut [40, 10, 30, 20]);
        assert_eq!((even.median_ms, even.p90_ms), (Some(25), Some(40)));
        let mut ten: Vec<u64> = (1..=10).rev().collect();
        let ten = durations(&mut ten);
        assert_eq!((ten.median_ms, ten.p90_ms), (Some(5), Some(9)));
        let mut eleven: Vec<u64> = (1..=11).collect();
        assert_eq!(durations(&mut eleven).p90_ms, Some(10));
    }
}
