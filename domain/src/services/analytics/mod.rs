//! Analytics: a range's figures for the websites the caller sees (definitions in `protocol::analytics` and
//! `docs/analytics.md`). Reads never scan messages: each chat carries its first visitor message and first response
//! (written by the message writer), message counts and visitor activity are kept per quarter hour, and a report
//! reads the range's chats once and two small rollups.

mod digest;
mod range;
pub mod tally;

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use protocol::{
    AgentFigures, AnalyticsQuery, AnalyticsReport, AppError, ChatStatus, DayFigures, Durations, Ratings, StatusCount,
    TodayFigures, MISSED_AFTER_MINUTES,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

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
    let mut report = compute(state, &website_ids, &range, now, Reading::Everything).await?;
    report.website_id = query.website_id.clone().filter(|w| !w.is_empty());
    add_ratings(state, &website_ids, &range, &mut report).await?;
    Ok(report)
}

/// The ratings given in the range, in all and per agent (one grouped read of `chat_ratings` by website and time). An
/// agent rated in the range but without chats or messages in it is listed too.
async fn add_ratings(
    state: &AppState,
    website_ids: &[String],
    range: &Range,
    report: &mut AnalyticsReport,
) -> Result<(), AppError> {
    use crate::entities::chat_ratings;
    if website_ids.is_empty() {
        return Ok(());
    }
    let (Some(from), Some(to)) = (range.starts.first(), range.starts.last()) else { return Ok(()) };
    let rows: Vec<(Option<String>, i32, i64)> = chat_ratings::Entity::find()
        .select_only()
        .column(chat_ratings::Column::AgentId)
        .column(chat_ratings::Column::Rating)
        .column_as(chat_ratings::Column::ChatId.count(), "n")
        .filter(chat_ratings::Column::WebsiteId.is_in(website_ids.iter().map(String::as_str)))
        .filter(chat_ratings::Column::CreatedAt.gte(*from))
        .filter(chat_ratings::Column::CreatedAt.lt(*to))
        .group_by(chat_ratings::Column::AgentId)
        .group_by(chat_ratings::Column::Rating)
        .into_tuple()
        .all(&state.db)
        .await?;
    let mut by_agent: HashMap<String, Ratings> = HashMap::new();
    for (agent, score, n) in rows {
        let n = n.max(0) as u64;
        report.ratings.add(score, n);
        if let Some(agent) = agent {
            by_agent.entry(agent).or_default().add(score, n);
        }
    }
    for figures in &mut report.agents {
        if let Some(r) = by_agent.remove(&figures.user_id) {
            figures.ratings = r;
        }
    }
    if !by_agent.is_empty() {
        let names: HashMap<String, String> = users::Entity::find()
            .select_only()
            .columns([users::Column::Id, users::Column::Name])
            .filter(users::Column::Id.is_in(by_agent.keys().map(String::as_str)))
            .into_tuple()
            .all(&state.db)
            .await?
            .into_iter()
            .collect();
        for (user_id, ratings) in by_agent {
            report.agents.push(AgentFigures {
                name: names.get(&user_id).cloned().unwrap_or_else(|| "Deleted user".into()),
                user_id,
                ratings,
                ..AgentFigures::default()
            });
        }
    }
    Ok(())
}

/// Yesterday and today in `tz` over the websites `ctx` sees, from the chats alone: one indexed query, cheap enough
/// to repeat whenever a chat changes (the live dashboard).
pub async fn today(ctx: &Ctx, state: &AppState, tz: Option<&str>) -> Result<TodayFigures, AppError> {
    let now = crate::services::now_millis();
    let query = AnalyticsQuery { days: Some(2), tz: tz.map(String::from), ..AnalyticsQuery::default() };
    let range = Range::parse(&query, now)?;
    let website_ids = scope(ctx, &state.db, None).await?;
    let mut report = compute(state, &website_ids, &range, now, Reading::ChatsOnly).await?;
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
fn missed(status: ChatStatus, started_ms: i64, answered: bool, now_ms: i64) -> bool {
    if answered {
        return false;
    }
    match status {
        ChatStatus::Closed | ChatStatus::Resolved | ChatStatus::Offline => true,
        ChatStatus::Waiting => now_ms - started_ms > i64::from(MISSED_AFTER_MINUTES) * 60_000,
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

/// Where instants fall in a range: its days and its stretches of one UTC offset, in seconds since 1970.
struct Clock<'a> {
    range: &'a Range,
    /// Each day's first instant, and the end of the last day.
    starts: Vec<i64>,
    offsets: Vec<(i64, i64)>,
}

impl<'a> Clock<'a> {
    fn new(range: &'a Range) -> Self {
        let starts = range.starts.iter().map(|s| s.and_utc().timestamp()).collect();
        Clock { range, starts, offsets: range.offsets() }
    }

    /// The range's day (0-based) of `seconds`, if it is in the range.
    fn day(&self, seconds: i64) -> Option<usize> {
        if seconds < self.starts[0] || seconds >= self.starts[self.starts.len() - 1] {
            return None;
        }
        Some(self.starts.partition_point(|s| *s <= seconds) - 1)
    }

    /// Weekday (Monday 0) and hour of `seconds` in the range's time zone.
    fn weekday_hour(&self, seconds: i64) -> (usize, usize) {
        let i = self.offsets.partition_point(|(from, _)| *from <= seconds).max(1) - 1;
        let local = seconds + self.offsets.get(i).map(|o| o.1).unwrap_or(0);
        let day = local.div_euclid(86_400);
        // 1970-01-01 was a Thursday.
        (((day + 3).rem_euclid(7)) as usize, (local.rem_euclid(86_400) / 3600) as usize)
    }
}

/// The UTC days (since 1970) a range touches.
fn utc_days(range: &Range) -> (i64, i64) {
    let (start, end) = (range.start().and_utc().timestamp(), range.end().and_utc().timestamp());
    (start.div_euclid(86_400), (end - 1).div_euclid(86_400))
}

/// The figures of `range` over `website_ids` at `now`: from the digests of the days it touches, or, for
/// [`Reading::ChatsOnly`] (a day or two), from the chats alone.
pub(crate) async fn compute(
    state: &AppState,
    website_ids: &[String],
    range: &Range,
    now: NaiveDateTime,
    reading: Reading,
) -> Result<AnalyticsReport, AppError> {
    let digests = match (website_ids.is_empty(), reading) {
        (true, _) => Vec::new(),
        (false, Reading::Everything) => {
            digest::gather(&state.db, &state.lane, website_ids, utc_days(range), now).await?
        }
        (false, Reading::ChatsOnly) => {
            let days: Vec<(String, i64)> = {
                let (first, last) = utc_days(range);
                website_ids.iter().flat_map(|w| (first..=last).map(move |d| (w.clone(), d))).collect()
            };
            digest::raw(&state.db, &digest::runs(&days), false)
                .await?
                .into_values()
                .map(digest::Builder::finish)
                .collect()
        }
    };
    let clock = Clock::new(range);
    let now_ms = now.and_utc().timestamp_millis();
    let mut days: Vec<Acc> = (0..range.days()).map(|_| Acc::default()).collect();
    let mut total = Acc::default();
    let mut by_status: HashMap<ChatStatus, u64> = HashMap::new();
    let mut heatmap = vec![vec![0u64; 24]; 7];
    let mut agents: HashMap<&str, AgentAcc> = HashMap::new();
    let mut visitors_by_day: Vec<HashSet<&str>> = (0..range.days()).map(|_| HashSet::new()).collect();
    let mut visitors: HashSet<&str> = HashSet::new();

    for digest in &digests {
        let name = |i: u32| digest.strings[i as usize].as_str();
        for chat in &digest.chats {
            let seconds = chat.started_ms.div_euclid(1000);
            let Some(day) = clock.day(seconds) else { continue };
            let is_missed = missed(chat.status, chat.started_ms, chat.answered, now_ms);
            for acc in [&mut days[day], &mut total] {
                acc.figures.chats += 1;
                acc.figures.missed += u64::from(is_missed);
                acc.figures.resolved += u64::from(chat.status == ChatStatus::Resolved);
                acc.first_response.extend(chat.first_response_ms);
                acc.resolution.extend(chat.resolution_ms);
            }
            *by_status.entry(chat.status).or_default() += 1;
            let (weekday, hour) = clock.weekday_hour(seconds);
            heatmap[weekday][hour] += 1;
            if let Some(agent) = chat.assigned {
                let a = agents.entry(name(agent)).or_default();
                a.chats += 1;
                a.resolution.extend(chat.resolution_ms);
            }
            if let (Some(by), Some(ms)) = (chat.responder, chat.first_response_ms) {
                agents.entry(name(by)).or_default().first_response.push(ms);
            }
        }
        for m in &digest.messages {
            let Some(day) = clock.day(m.bucket) else { continue };
            days[day].figures.messages += m.messages as u64;
            total.figures.messages += m.messages as u64;
            if let Some(agent) = m.agent {
                agents.entry(name(agent)).or_default().messages += m.messages as u64;
            }
        }
        for v in &digest.visits {
            let Some(day) = clock.day(v.bucket) else { continue };
            visitors_by_day[day].insert(name(v.visitor));
            visitors.insert(name(v.visitor));
        }
    }
    for (acc, seen) in days.iter_mut().zip(&visitors_by_day) {
        acc.figures.visitors = seen.len() as u64;
    }
    total.figures.visitors = visitors.len() as u64;

    let names: HashMap<String, String> = match agents.is_empty() {
        true => HashMap::new(),
        false => users::Entity::find()
            .select_only()
            .columns([users::Column::Id, users::Column::Name])
            .filter(users::Column::Id.is_in(agents.keys().copied()))
            .into_tuple()
            .all(&state.db)
            .await?
            .into_iter()
            .collect(),
    };
    let mut agents: Vec<AgentFigures> = agents
        .into_iter()
        .map(|(user_id, mut a)| AgentFigures {
            name: names.get(user_id).cloned().unwrap_or_else(|| "Deleted user".into()),
            user_id: user_id.to_string(),
            chats: a.chats,
            first_response: durations(&mut a.first_response),
            resolution: durations(&mut a.resolution),
            messages: a.messages,
            ratings: Ratings::default(),
        })
        .collect();
    agents.sort_by(|a, b| b.chats.cmp(&a.chats).then(b.messages.cmp(&a.messages)).then(a.name.cmp(&b.name)));
    Ok(finish(clock.range, days, total, by_status, heatmap, agents))
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
        ratings: Ratings::default(),
    }
}

/// [`rebuild`] on the running application's database (the `analytics-rebuild` command), with the counts not yet
/// written flushed first, so none is counted twice or lost; then every past day's digest is taken again.
pub async fn rebuild_all(state: &AppState) -> Result<(), AppError> {
    state.writer.flush_counts().await?;
    {
        let _turn = state.lane.turn().await;
        rebuild(&state.db).await?;
    }
    warm(state).await
}

/// Takes the digest of every past day that has none or a stale one (after a rebuild, or a demo fill), so that the
/// first report reads digests too; a month at a time.
pub async fn warm(state: &AppState) -> Result<(), AppError> {
    let website_ids: Vec<String> =
        websites::Entity::find().select_only().column(websites::Column::Id).into_tuple().all(&state.db).await?;
    let first_chat: Option<Option<NaiveDateTime>> = chats::Entity::find()
        .select_only()
        .column_as(chats::Column::StartedAt.min(), "first")
        .into_tuple()
        .one(&state.db)
        .await?;
    let first_bucket = |bucket: i64| bucket.div_euclid(86_400);
    let first_counts: Option<Option<i64>> = message_counts::Entity::find()
        .select_only()
        .column_as(message_counts::Column::Bucket.min(), "first")
        .into_tuple()
        .one(&state.db)
        .await?;
    let first_visit: Option<Option<i64>> = visitor_activity::Entity::find()
        .select_only()
        .column_as(visitor_activity::Column::Bucket.min(), "first")
        .into_tuple()
        .one(&state.db)
        .await?;
    let first = [
        first_chat.flatten().map(|t| first_bucket(t.and_utc().timestamp())),
        first_counts.flatten().map(first_bucket),
        first_visit.flatten().map(first_bucket),
    ]
    .into_iter()
    .flatten()
    .min();
    let now = crate::services::now_millis();
    let (Some(mut day), false) = (first, website_ids.is_empty()) else { return Ok(()) };
    let last = now.and_utc().timestamp().div_euclid(86_400) - 2;
    while day <= last {
        let end = (day + 30).min(last);
        digest::gather(&state.db, &state.lane, &website_ids, (day, end), now).await?;
        day = end + 1;
    }
    Ok(())
}

/// Recomputes the rollups (chats' first messages, message counts, visitor activity) from the raw rows, in one
/// transaction: after a restore, or to check them.
pub async fn rebuild(db: &sea_orm::DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    let txn = crate::db::begin_write(db).await?;
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
