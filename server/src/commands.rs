//! The commands besides serving: `helpdesk demo` fills the configured database with demo data, and
//! `helpdesk analytics-rebuild` recomputes the analytics rollups from the raw rows. Both read the same
//! configuration as the server (migrating the database first).

use crate::Config;

/// What `helpdesk help` prints.
pub const USAGE: &str = "usage: helpdesk [COMMAND]

  (none)              serve Helpdesk (configured by the environment; see the README)
  demo [--messages N] [--days D] [--seed S]
                      fill the configured database with demo websites, agents and about N messages
                      (default 1000000) over the last D days (default 90)
  analytics-rebuild   recompute the analytics rollups from the chats, messages and page views
  help                show this";

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Start(#[from] crate::StartupError),
    #[error("{0}")]
    Domain(#[from] protocol::AppError),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
}

fn number<T: std::str::FromStr>(flag: &str, value: Option<String>) -> Result<T, CommandError> {
    value
        .as_deref()
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| CommandError::Usage(format!("{flag} takes a whole number\n\n{USAGE}")))
}

/// `helpdesk demo …`: prints what it made.
pub async fn demo(config: &Config, args: impl IntoIterator<Item = String>) -> Result<(), CommandError> {
    let (mut messages, mut days, mut seed) = (1_000_000usize, 90i64, 1u64);
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--messages" => messages = number(&flag, args.next())?,
            "--days" => days = number(&flag, args.next())?,
            "--seed" => seed = number(&flag, args.next())?,
            other => return Err(CommandError::Usage(format!("unknown option {other}\n\n{USAGE}"))),
        }
    }
    if !(1..=366).contains(&days) {
        return Err(CommandError::Usage("--days must be between 1 and 366".into()));
    }
    let (state, _) = domain::start(config.domain_settings()).await.map_err(crate::StartupError::from)?;
    let size = domain::demo::DemoSize::for_messages(messages, days);
    println!(
        "Writing {} websites, {} agents and {} chats over {} days…",
        size.websites, size.agents, size.chats, size.days
    );
    let made = domain::demo::fill(&state, &size, seed).await?;
    println!(
        "Done in {:.1} s: {} websites, {} visitors, {} chats, {} messages, {} page views.",
        made.seconds, made.websites, made.visitors, made.chats, made.messages, made.page_views
    );
    println!("Agents (password {}): {}", domain::demo::AGENT_PASSWORD, made.agents.join(", "));
    state.close().await;
    Ok(())
}

/// `helpdesk analytics-rebuild`.
pub async fn analytics_rebuild(config: &Config) -> Result<(), CommandError> {
    let (state, _) = domain::start(config.domain_settings()).await.map_err(crate::StartupError::from)?;
    let started = std::time::Instant::now();
    domain::services::analytics::rebuild_all(&state).await?;
    println!("Analytics rebuilt from the raw rows in {:.1} s.", started.elapsed().as_secs_f64());
    state.close().await;
    Ok(())
}
