//! Services: the only code that touches the database. Each call takes the acting `Ctx` (or, for sign-in and
//! bootstrap, the credentials that will produce one) and scopes its queries to it.

pub mod activity;
pub mod analytics;
pub mod attachments;
pub mod auth;
pub mod availability;
pub mod canned;
pub mod chats;
pub mod dashboard;
pub mod emails;
pub mod identity;
pub mod labels;
pub mod messages;
pub mod notification_settings;
pub mod privacy;
pub mod ratings;
pub mod routing;
pub mod search;
pub mod users;
pub mod visitors;
pub mod webhooks;
pub mod websites;
pub mod widget_settings;

/// UTC now at millisecond precision, the precision chat and message times are stored with on both databases
/// (`DATETIME(3)` on MySQL/MariaDB, migration 17): an event announcing a chat or message carries exactly the time
/// that is read back later.
pub fn now_millis() -> chrono::NaiveDateTime {
    use chrono::SubsecRound;
    chrono::Utc::now().naive_utc().trunc_subsecs(3)
}
