//! Sending email: the SMTP transport (lettre) and the sender that works through the outbox (`emails`). Whatever the
//! domain wants sent is first a row in the outbox (`services::emails` decides what and to whom), so a restart loses
//! nothing; this module claims each due row with a conditional UPDATE (so two nodes never both take it), sends it,
//! and marks it sent, or schedules the next try with backoff, or gives up and leaves it failed for admins to see.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use protocol::EmailStatus;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::entities::emails;
use crate::services::now_millis;
use crate::AppState;

/// Tries before an email is left failed (with the default 30 s base: about an hour of retries).
pub const MAX_ATTEMPTS: i32 = 8;
/// The longest wait between two tries.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// How often the sender looks for due mail when nothing wakes it (retries fall due without anyone saying so).
const POLL: Duration = Duration::from_secs(5);
/// A row claimed longer ago than this was being sent by a node that stopped mid-send: it is tried again. Far above
/// the transport's own timeouts, so a slow send is never taken twice.
const STALE_CLAIM: Duration = Duration::from_secs(600);
/// How often claims left by a stopped node are looked for.
const STALE_CHECK_EVERY: Duration = Duration::from_secs(60);
/// Rows one pass claims.
const BATCH: u64 = 20;
/// An SMTP conversation step that takes longer than this fails (and is retried later).
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// The operator's email settings (`HELPDESK_SMTP_URL`, `HELPDESK_MAIL_FROM`), already checked by the server's config.
#[derive(Clone)]
pub struct MailSettings {
    /// `smtp://user:pass@host:587?tls=required`, `smtps://…:465`, or `smtp://host:25` (lettre's URL forms).
    pub smtp_url: String,
    /// The sender, `Helpdesk <help@example.com>` or `help@example.com`.
    pub from: String,
    /// The first retry's wait; each later one doubles it (capped at an hour).
    pub retry_base: Duration,
}

impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings")
            .field("server", &server_of(&self.smtp_url))
            .field("from", &self.from)
            .field("retry_base", &self.retry_base)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("HELPDESK_SMTP_URL: {0}")]
    Url(String),
    #[error("HELPDESK_MAIL_FROM: {0}")]
    From(String),
}

/// The transport and the sender's wake-up call. Shared by the whole node.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    retry_base: Duration,
    wake: tokio::sync::Notify,
    /// What admins see as the server: host and port, never the credentials.
    server: String,
}

impl Mailer {
    pub fn new(settings: &MailSettings) -> Result<Mailer, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.smtp_url)
            .map_err(|e| MailError::Url(e.to_string()))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let from = settings.from.parse::<Mailbox>().map_err(|e| MailError::From(e.to_string()))?;
        Ok(Mailer {
            server: server_of(&settings.smtp_url),
            transport,
            from,
            retry_base: settings.retry_base,
            wake: tokio::sync::Notify::new(),
        })
    }

    /// The sender address, as written in every email's `From`.
    pub fn from(&self) -> String {
        self.from.to_string()
    }

    /// `host:port` of the SMTP server.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Something was queued: the sender looks now rather than at its next poll.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    async fn send(&self, row: &emails::Model) -> Result<(), SendError> {
        let to = row.recipient.parse::<Mailbox>().map_err(|e| SendError::permanent(format!("recipient: {e}")))?;
        let mut message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(row.subject.clone())
            // One id per outbox row: a receiver that sees it twice (a node stopped between sending and marking it
            // sent) can tell it is the same email.
            .message_id(Some(format!("<{}@helpdesk>", row.id)))
            .header(ContentType::TEXT_PLAIN);
        if let Some(reply_to) = row.reply_to.as_deref().and_then(|r| r.parse::<Mailbox>().ok()) {
            message = message.reply_to(reply_to);
        }
        let message = message.body(row.body.clone()).map_err(|e| SendError::permanent(e.to_string()))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) => Err(SendError { permanent: e.is_permanent(), message: e.to_string() }),
        }
    }

    /// When the `attempts`-th failed try is retried.
    fn backoff(&self, attempts: i32) -> Duration {
        backoff(self.retry_base, attempts)
    }
}

/// The wait before retrying after the `attempts`-th failed try: `base`, doubled for each earlier failure, at most an
/// hour (the email outbox and the webhook queue alike).
pub(crate) fn backoff(base: Duration, attempts: i32) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(16);
    base.saturating_mul(1 << doublings).min(MAX_BACKOFF)
}

/// `host:port` from an SMTP URL (for admins' eyes: the credentials stay out).
fn server_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    authority.rsplit_once('@').map_or(authority, |(_, host)| host).to_string()
}

struct SendError {
    /// The server refused for good (5xx), or the email cannot be built: trying again would not help.
    permanent: bool,
    message: String,
}

impl SendError {
    fn permanent(message: String) -> Self {
        SendError { permanent: true, message }
    }
}

/// Works through the outbox for as long as the process runs.
pub fn send_in_background(state: AppState, mailer: Arc<Mailer>) {
    tokio::spawn(async move {
        let mut stale_checked: Option<std::time::Instant> = None;
        loop {
            // Claims a stopped node left behind go back to the queue: at start, then once a minute (a write, so
            // not on every pass).
            if stale_checked.is_none_or(|at| at.elapsed() >= STALE_CHECK_EVERY) {
                if let Err(e) = release_stale_claims(&state).await {
                    tracing::warn!(error = %e, "the email outbox could not be read");
                }
                stale_checked = Some(std::time::Instant::now());
            }
            match send_due(&state, &mailer).await {
                // A full batch: there may be more due.
                Ok(claimed) if claimed as u64 == BATCH => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "the email outbox could not be read"),
            }
            tokio::select! {
                _ = mailer.wake.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
            }
        }
    });
}

/// Rows claimed longer ago than [`STALE_CLAIM`] (their node stopped mid-send) are due again.
async fn release_stale_claims(state: &AppState) -> Result<(), sea_orm::DbErr> {
    let stale = now_millis() - chrono::Duration::from_std(STALE_CLAIM).unwrap_or_default();
    emails::Entity::update_many()
        .col_expr(emails::Column::Status, Expr::value(EmailStatus::Pending.as_str()))
        .filter(emails::Column::Status.eq(EmailStatus::Sending))
        .filter(emails::Column::NextAttemptAt.lt(stale))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// Claims and sends what is due now; returns how many rows it looked at.
async fn send_due(state: &AppState, mailer: &Mailer) -> Result<usize, sea_orm::DbErr> {
    let now = now_millis();
    let due = emails::Entity::find()
        .filter(emails::Column::Status.eq(EmailStatus::Pending))
        .filter(emails::Column::NextAttemptAt.lte(now))
        .order_by_asc(emails::Column::NextAttemptAt)
        .limit(BATCH)
        .all(&state.db)
        .await?;
    let looked_at = due.len();
    for row in due {
        // The claim: only one node (or pass) turns this row from pending to sending.
        let claimed = emails::Entity::update_many()
            .col_expr(emails::Column::Status, Expr::value(EmailStatus::Sending.as_str()))
            .col_expr(emails::Column::NextAttemptAt, Expr::value(now_millis()))
            .filter(emails::Column::Id.eq(row.id.as_str()))
            .filter(emails::Column::Status.eq(EmailStatus::Pending))
            .exec(&state.db)
            .await?
            .rows_affected
            == 1;
        if !claimed {
            continue;
        }
        let attempts = row.attempts + 1;
        let outcome = mailer.send(&row).await;
        let mut update = emails::Entity::update_many()
            .col_expr(emails::Column::Attempts, Expr::value(attempts))
            .filter(emails::Column::Id.eq(row.id.as_str()))
            .filter(emails::Column::Status.eq(EmailStatus::Sending));
        match outcome {
            Ok(()) => {
                metrics::counter!("helpdesk_emails_sent_total").increment(1);
                update = update
                    .col_expr(emails::Column::Status, Expr::value(EmailStatus::Sent.as_str()))
                    .col_expr(emails::Column::SentAt, Expr::value(now_millis()))
                    .col_expr(emails::Column::LastError, Expr::value(Option::<String>::None));
            }
            Err(e) => {
                let gave_up = e.permanent || attempts >= MAX_ATTEMPTS;
                tracing::warn!(email_id = %row.id, attempts, gave_up, error = %e.message, "an email was not sent");
                let status = if gave_up {
                    metrics::counter!("helpdesk_emails_failed_total").increment(1);
                    EmailStatus::Failed
                } else {
                    EmailStatus::Pending
                };
                let next = now_millis() + chrono::Duration::from_std(mailer.backoff(attempts)).unwrap_or_default();
                update = update
                    .col_expr(emails::Column::Status, Expr::value(status.as_str()))
                    .col_expr(emails::Column::NextAttemptAt, Expr::value(next))
                    .col_expr(emails::Column::LastError, Expr::value(cut(&e.message, 500)));
            }
        }
        update.exec(&state.db).await?;
    }
    Ok(looked_at)
}

/// At most `max` characters of `s`.
pub(crate) fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admins_see_the_server_without_its_credentials() {
        assert_eq!(server_of("smtp://ana:secret@mail.example.com:587?tls=required"), "mail.example.com:587");
        assert_eq!(server_of("smtps://mail.example.com"), "mail.example.com");
        assert_eq!(server_of("smtp://127.0.0.1:2525"), "127.0.0.1:2525");
    }

    #[test]
    fn retries_back_off_to_an_hour() {
        let settings = MailSettings {
            smtp_url: "smtp://127.0.0.1:2525".into(),
            from: "Helpdesk <help@example.com>".into(),
            retry_base: Duration::from_secs(30),
        };
        let mailer = Mailer::new(&settings).expect("valid settings");
        let waits: Vec<u64> = (1..=9).map(|a| mailer.backoff(a).as_secs()).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert!(Mailer::new(&MailSettings { from: "not an address".into(), ..settings.clone() }).is_err());
        assert!(Mailer::new(&MailSettings { smtp_url: "http://x".into(), ..settings }).is_err());
    }
}
