//! Analytics figures as `GET /api/analytics` and the dashboard carry them. What each figure means is written once,
//! here, and in `docs/analytics.md`:
//!
//! - A chat belongs to the day it started, in the chosen IANA time zone (a DST day has 23 or 25 hours).
//! - **First response**: from the visitor's first message of a chat to the first agent message after it.
//! - **Resolution time**: from the chat's start to its resolution, for chats now resolved.
//! - **Missed**: a chat with no agent message after the visitor's first that is closed, resolved, left through the
//!   offline form, or still waiting longer than [`MISSED_AFTER_MINUTES`].
//! - **Median**: the middle value, or the mean of the two middle ones; **p90**: the smallest value at least 90 % of
//!   the values are at or under (nearest rank).
//! - Messages and visitors count on the day they were sent or seen; a visitor seen on a website counts once per
//!   day however many pages they open, and once in a range's total.

use serde::{Deserialize, Serialize};

use crate::ChatStatus;

/// A waiting chat with no agent message counts as missed after this long.
pub const MISSED_AFTER_MINUTES: u32 = 10;
/// The longest range one report covers, in days.
pub const MAX_RANGE_DAYS: i64 = 366;

/// `GET /api/analytics`'s query: the last `days` days up to today, or dates as `YYYY-MM-DD` (both included; default
/// the last 7 days up to today); one website or all the caller sees; an IANA time zone (default `UTC`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[serde(rename_all = "camelCase")]
pub struct AnalyticsQuery {
    /// The last this many days, today included (`from` and `to` are then ignored).
    pub days: Option<u32>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub website_id: Option<String>,
    pub tz: Option<String>,
}

/// How long something took, over a set of chats: how many, the median and the p90, in milliseconds (none when
/// there are no chats to measure).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Durations {
    pub count: u64,
    pub median_ms: Option<u64>,
    pub p90_ms: Option<u64>,
}

/// One day's figures (or a range's totals, where `date` is empty).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DayFigures {
    pub date: String,
    pub chats: u64,
    pub messages: u64,
    pub visitors: u64,
    pub missed: u64,
    pub resolved: u64,
    pub first_response: Durations,
    pub resolution: Durations,
}

impl DayFigures {
    /// Resolved chats per chat started, 0–1 (none without chats).
    pub fn resolution_rate(&self) -> Option<f64> {
        (self.chats > 0).then(|| self.resolved as f64 / self.chats as f64)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StatusCount {
    pub status: ChatStatus,
    pub chats: u64,
}

/// One agent over the range: chats assigned to them, their first responses, the resolution time of their chats
/// that are resolved, and the messages they sent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AgentFigures {
    pub user_id: String,
    pub name: String,
    pub chats: u64,
    pub first_response: Durations,
    pub resolution: Durations,
    pub messages: u64,
    /// Ratings of the agent's chats given in the range.
    #[serde(default)]
    pub ratings: Ratings,
}

/// Visitors' ratings (CSAT) given in a range: how many of each score, 1 to 5. The average is
/// `sum / count`, and the satisfaction score (CSAT %) the share of 4 and 5.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Ratings {
    pub count: u64,
    pub sum: u64,
    /// Ratings of 1, 2, 3, 4 and 5, in that order.
    pub by_score: [u64; 5],
}

impl Ratings {
    pub fn add(&mut self, score: i32, n: u64) {
        if let Some(slot) = usize::try_from(score - 1).ok().and_then(|i| self.by_score.get_mut(i)) {
            *slot += n;
            self.count += n;
            self.sum += n * score as u64;
        }
    }

    /// The mean score with one decimal ("4.3"), or none without ratings.
    pub fn average(&self) -> Option<String> {
        (self.count > 0).then(|| {
            let tenths = (self.sum * 10 + self.count / 2) / self.count;
            format!("{}.{}", tenths / 10, tenths % 10)
        })
    }

    /// The share of 4 and 5, in whole percent, or none without ratings.
    pub fn satisfied_percent(&self) -> Option<u64> {
        (self.count > 0).then(|| ((self.by_score[3] + self.by_score[4]) * 100 + self.count / 2) / self.count)
    }
}

/// A range's analytics for the websites the caller sees (or one of them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AnalyticsReport {
    pub from: String,
    pub to: String,
    pub tz: String,
    pub website_id: Option<String>,
    /// Every day of the range, in order, empty days included.
    pub days: Vec<DayFigures>,
    /// The whole range (`date` empty): visitors are counted once however many days they came.
    pub totals: DayFigures,
    /// Chats started in the range, by their status now; every status is listed.
    pub by_status: Vec<StatusCount>,
    /// Chats started, by local weekday (Monday first) and hour: 7 rows of 24.
    pub heatmap: Vec<Vec<u64>>,
    /// Agents with chats or messages in the range, most chats first.
    pub agents: Vec<AgentFigures>,
    pub missed_after_minutes: u32,
    /// Ratings visitors gave in the range.
    #[serde(default)]
    pub ratings: Ratings,
}

/// Today and yesterday in a time zone, for the live dashboard: chats, missed, resolved and first response (chat
/// figures only; messages and visitors are left at 0).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TodayFigures {
    pub tz: String,
    pub today: DayFigures,
    pub yesterday: DayFigures,
}

/// A visitor on one of the websites now, and the page they are on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OnlineVisitor {
    pub website_id: String,
    pub visitor_id: String,
    pub url: Option<String>,
    pub title: Option<String>,
    /// When their first open socket connected (RFC 3339).
    pub since: String,
}

/// An agent with the dashboard open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OnlineAgent {
    pub user_id: String,
    pub name: String,
    pub status: crate::Availability,
}

/// What the live dashboard shows on opening; after that it follows the socket's events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DashboardSnapshot {
    /// (id, name) of the websites the viewer sees.
    pub websites: Vec<(String, String)>,
    /// Waiting and ongoing chats, oldest first (at most [`DASHBOARD_OPEN_CHATS`]).
    pub open_chats: Vec<crate::ChatSummary>,
    pub visitors: Vec<OnlineVisitor>,
    pub agents: Vec<OnlineAgent>,
    pub figures: TodayFigures,
}

/// Most open chats the dashboard lists.
pub const DASHBOARD_OPEN_CHATS: u64 = 500;
