//! Sending webhooks: which websites want which events (an in-memory index, so the message path pays a map lookup
//! and nothing more when no one subscribed), the hand-off from the paths where things happen to the queue
//! (`webhook_deliveries`, written in batches off those paths), and the sender: it claims each due delivery with a
//! conditional UPDATE (two nodes never both take one), POSTs it signed with the webhook's secret (HMAC-SHA256 over
//! `timestamp.body`), and marks it sent, or retries with backoff, or leaves it failed for admins to see and send
//! again. Unless the operator allows it, no POST reaches a private, loopback or link-local address: URLs are checked
//! when saved, and the client's own resolver refuses such addresses at send time (a name that later resolves
//! elsewhere cannot get through), with redirects off.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures_util::StreamExt;
use hmac::{Hmac, Mac};
use protocol::{EmailStatus, WebhookEvent};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use sha2::Sha256;
use tokio::sync::mpsc;

use crate::db::WriteLane;
use crate::entities::{webhook_deliveries, webhooks};
use crate::mail::{backoff, cut};
use crate::services::now_millis;
use crate::AppState;

/// Tries before a delivery is left failed (with the default 30 s base: about an hour of retries).
pub const MAX_ATTEMPTS: i32 = 8;
/// How long a receiver has to answer.
const TIMEOUT: Duration = Duration::from_secs(10);
/// How often the sender looks for due deliveries when nothing wakes it.
const POLL: Duration = Duration::from_secs(5);
/// A delivery claimed longer ago than this was being sent by a node that stopped: it is tried again.
const STALE_CLAIM: Duration = Duration::from_secs(300);
const STALE_CHECK_EVERY: Duration = Duration::from_secs(60);
/// Deliveries one pass claims, and how many of them are POSTed at once.
const BATCH: u64 = 32;
const CONCURRENT: usize = 8;
/// How often the index of subscriptions is read again (changes made on this node apply at once; on another node
/// within this).
const REFRESH_EVERY: Duration = Duration::from_secs(10);
/// Events waiting to be written to the queue; beyond this they are dropped (and counted), never the message path
/// slowed.
const HANDOFF_CAPACITY: usize = 10_000;
/// Events written to the queue in one statement.
const INSERT_BATCH: usize = 200;
/// Delivered or failed deliveries older than this leave the log (once an hour).
const LOG_KEPT: chrono::Duration = chrono::Duration::days(30);

/// The operator's webhook settings (`HELPDESK_WEBHOOKS_ALLOW_PRIVATE`, `HELPDESK_WEBHOOK_RETRY_SECS`).
#[derive(Clone, Debug)]
pub struct WebhookSettings {
    /// POST to private, loopback and link-local addresses too (an intranet receiver; the tests' own).
    pub allow_private: bool,
    /// The first retry's wait; each later one doubles it (capped at an hour).
    pub retry_base: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings { allow_private: false, retry_base: Duration::from_secs(30) }
    }
}

/// Something a website's webhooks may want to hear of.
#[derive(Debug)]
pub struct Happened {
    pub website_id: String,
    pub chat_id: Option<String>,
    pub event: WebhookEvent,
    pub data: serde_json::Value,
    pub at: chrono::NaiveDateTime,
}

/// The node's webhook machinery. Shared by the whole node.
pub struct Webhooks {
    client: reqwest::Client,
    pub(crate) allow_private: bool,
    retry_base: Duration,
    wake: tokio::sync::Notify,
    /// Websites with an active subscription, and the events any of them wants.
    subscribed: RwLock<Arc<HashMap<String, Vec<WebhookEvent>>>>,
    handoff: mpsc::Sender<Happened>,
}

impl Webhooks {
    /// The machinery, and the receiving end of its hand-off (for [`enqueue_in_background`]). Fails only when the
    /// TLS backend cannot start; the server then does not start either (a client without the resolver that keeps
    /// private addresses out must never be used).
    pub fn new(settings: &WebhookSettings) -> Result<(Webhooks, mpsc::Receiver<Happened>), reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Helpdesk-Webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(PublicOnly { allow_private: settings.allow_private }))
            .build()?;
        let (handoff, rx) = mpsc::channel(HANDOFF_CAPACITY);
        let hooks = Webhooks {
            client,
            allow_private: settings.allow_private,
            retry_base: settings.retry_base,
            wake: tokio::sync::Notify::new(),
            subscribed: RwLock::default(),
            handoff,
        };
        Ok((hooks, rx))
    }

    /// Whether some active webhook of the website wants `event` (a map lookup: the message path asks this).
    pub fn wants(&self, website_id: &str, event: WebhookEvent) -> bool {
        let map = self.subscribed.read().unwrap_or_else(|p| p.into_inner());
        map.get(website_id).is_some_and(|events| events.contains(&event))
    }

    /// Hands an event over to be queued for the website's webhooks; `data` is built only when someone wants it.
    pub fn emit(
        &self,
        website_id: &str,
        chat_id: Option<&str>,
        event: WebhookEvent,
        data: impl FnOnce() -> serde_json::Value,
    ) {
        if !self.wants(website_id, event) {
            return;
        }
        let happened = Happened {
            website_id: website_id.to_string(),
            chat_id: chat_id.map(str::to_string),
            event,
            data: data(),
            at: now_millis(),
        };
        if self.handoff.try_send(happened).is_err() {
            metrics::counter!("helpdesk_webhook_events_dropped_total").increment(1);
            tracing::warn!(website_id, event = event.as_str(), "webhook queue full: an event was dropped");
        }
    }

    /// Reads which websites want which events again.
    pub async fn refresh(&self, db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
        let rows: Vec<(String, String)> = webhooks::Entity::find()
            .select_only()
            .column(webhooks::Column::WebsiteId)
            .column(webhooks::Column::Events)
            .filter(webhooks::Column::IsActive.eq(true))
            .into_tuple()
            .all(db)
            .await?;
        let mut map: HashMap<String, Vec<WebhookEvent>> = HashMap::new();
        for (website_id, events) in rows {
            let entry = map.entry(website_id).or_default();
            for event in parse_events(&events) {
                if !entry.contains(&event) {
                    entry.push(event);
                }
            }
        }
        *self.subscribed.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(map);
        Ok(())
    }

    /// Something was queued: the sender looks now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    async fn post(&self, url: &str, secret: &str, row: &webhook_deliveries::Model) -> Result<u16, SendError> {
        let parsed = reqwest::Url::parse(url).map_err(|e| SendError::refused(format!("URL: {e}")))?;
        // An address written as such never meets the resolver.
        if !self.allow_private {
            if let Some(ip) = literal_ip(&parsed) {
                if !is_public(ip) {
                    return Err(SendError::refused(format!("{ip} is a private address")));
                }
            }
        }
        let timestamp = chrono::Utc::now().timestamp();
        let response = self
            .client
            .post(parsed)
            .header("content-type", "application/json")
            .header("x-helpdesk-event", row.event.as_str())
            .header("x-helpdesk-delivery", row.id.as_str())
            .header("x-helpdesk-signature", signature(secret, timestamp, &row.payload))
            .body(row.payload.clone())
            .send()
            .await
            .map_err(|e| SendError { status: None, message: describe(&e) })?;
        let status = response.status();
        if status.is_success() {
            return Ok(status.as_u16());
        }
        Err(SendError { status: Some(status.as_u16()), message: format!("the receiver answered {status}") })
    }
}

/// `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the secret>`. A receiver recomputes it and
/// refuses old timestamps, so a captured request cannot be replayed later.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

/// The connection error, with its causes (reqwest's own message alone says only "error sending request").
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() { "timed out".to_string() } else { e.to_string() };
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

struct SendError {
    /// The receiver's HTTP status, when it answered.
    status: Option<u16>,
    message: String,
}

impl SendError {
    fn refused(message: String) -> Self {
        SendError { status: None, message }
    }
}

/// Event names from the `events` column; unknown ones (from a later version) are skipped.
pub(crate) fn parse_events(column: &str) -> Vec<WebhookEvent> {
    column.split(',').filter_map(|e| WebhookEvent::parse(e.trim())).collect()
}

/// The host of `url` when it is an IP address.
fn literal_ip(url: &reqwest::Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    }
}

/// Whether `ip` is on the public internet: not loopback, private, link-local (cloud metadata lives there), shared
/// (CGNAT), unspecified, multicast, broadcast or reserved for documentation and benchmarks.
pub fn is_public(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                || (a == 192 && b == 0 && v4.octets()[2] == 0))
        }
        IpAddr::V6(v6) => {
            let documentation = v6.segments()[0] == 0x2001 && v6.segments()[1] == 0x0db8;
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || v6.is_unique_local()
                || v6.is_unicast_link_local()
                || documentation)
        }
    }
}

/// Why a webhook URL cannot be used, for the field's error.
pub async fn check_url(url: &str, allow_private: bool) -> Result<String, String> {
    let url = url.trim();
    if url.is_empty() || url.len() > protocol::MAX_WEBHOOK_URL_LEN {
        return Err(format!("Enter a URL of at most {} characters.", protocol::MAX_WEBHOOK_URL_LEN));
    }
    let parsed =
        reqwest::Url::parse(url).map_err(|_| "Enter a full URL, like https://example.com/hooks.".to_string())?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err("Use an https:// (or http://) URL.".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("Leave credentials out of the URL: check the signature instead.".into());
    }
    let Some(host) = parsed.host_str().map(str::to_string) else {
        return Err("The URL has no host.".into());
    };
    if allow_private {
        return Ok(parsed.to_string());
    }
    let refused = || "This address is private or local; the server does not send webhooks there.".to_string();
    if let Some(ip) = literal_ip(&parsed) {
        return if is_public(ip) { Ok(parsed.to_string()) } else { Err(refused()) };
    }
    let lower = host.to_ascii_lowercase();
    if lower == "localhost" || lower.ends_with(".localhost") || lower.ends_with(".local") {
        return Err(refused());
    }
    let port = parsed.port_or_known_default().unwrap_or(443);
    let addrs: Vec<SocketAddr> =
        match tokio::time::timeout(TIMEOUT, tokio::net::lookup_host((host.as_str(), port))).await {
            Ok(Ok(addrs)) => addrs.collect(),
            _ => return Err(format!("{host} could not be found.")),
        };
    if addrs.is_empty() {
        return Err(format!("{host} could not be found."));
    }
    if addrs.iter().any(|a| !is_public(a.ip())) {
        return Err(refused());
    }
    Ok(parsed.to_string())
}

/// The client's resolver: the system's, with private addresses taken out unless allowed.
struct PublicOnly {
    allow_private: bool,
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let usable: Vec<SocketAddr> = found.into_iter().filter(|a| allow_private || is_public(a.ip())).collect();
            if usable.is_empty() {
                let e: Box<dyn std::error::Error + Send + Sync> =
                    format!("{host} resolves to no public address").into();
                return Err(e);
            }
            let addrs: reqwest::dns::Addrs = Box::new(usable.into_iter());
            Ok(addrs)
        })
    }
}

/// Writes handed-over events to the queue, one delivery per webhook that wants each, in batches.
pub fn enqueue_in_background(
    db: DatabaseConnection,
    lane: WriteLane,
    hooks: Arc<Webhooks>,
    mut rx: mpsc::Receiver<Happened>,
) {
    tokio::spawn(async move {
        let mut batch = Vec::with_capacity(INSERT_BATCH);
        while rx.recv_many(&mut batch, INSERT_BATCH).await > 0 {
            if let Err(e) = enqueue(&db, &lane, &batch).await {
                tracing::warn!(error = %e, events = batch.len(), "webhook events could not be queued");
            }
            batch.clear();
            hooks.wake();
        }
    });
}

/// The delivery rows for `events` (one per active webhook of the event's website that wants it).
async fn enqueue(db: &DatabaseConnection, lane: &WriteLane, events: &[Happened]) -> Result<usize, sea_orm::DbErr> {
    let mut sites: Vec<&str> = events.iter().map(|h| h.website_id.as_str()).collect();
    sites.sort_unstable();
    sites.dedup();
    let hooks = webhooks::Entity::find()
        .filter(webhooks::Column::WebsiteId.is_in(sites))
        .filter(webhooks::Column::IsActive.eq(true))
        .all(db)
        .await?;
    let rows: Vec<webhook_deliveries::ActiveModel> = events
        .iter()
        .flat_map(|h| {
            hooks
                .iter()
                .filter(move |w| w.website_id == h.website_id && parse_events(&w.events).contains(&h.event))
                .map(move |w| delivery(w, h))
        })
        .collect();
    let count = rows.len();
    if count > 0 {
        let turn = lane.turn().await;
        webhook_deliveries::Entity::insert_many(rows).exec_without_returning(turn.db()).await?;
    }
    Ok(count)
}

/// One queued POST of `happened` to `hook`. The body names the delivery, so a receiver can tell a retry.
pub(crate) fn delivery(hook: &webhooks::Model, happened: &Happened) -> webhook_deliveries::ActiveModel {
    let id = uuid::Uuid::now_v7().to_string();
    let body = serde_json::json!({
        "id": id,
        "event": happened.event.as_str(),
        "websiteId": happened.website_id,
        "createdAt": happened.at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": happened.data,
    });
    webhook_deliveries::ActiveModel {
        id: Set(id),
        webhook_id: Set(hook.id.clone()),
        website_id: Set(hook.website_id.clone()),
        chat_id: Set(happened.chat_id.clone()),
        event: Set(happened.event),
        payload: Set(body.to_string()),
        status: Set(EmailStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(happened.at),
        response_status: Set(None),
        last_error: Set(None),
        created_at: Set(happened.at),
        delivered_at: Set(None),
    }
}

/// Reads the subscriptions again every few seconds (changes made on other nodes), and trims the log hourly.
pub fn refresh_in_background(state: AppState, hooks: Arc<Webhooks>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(REFRESH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut trimmed: Option<std::time::Instant> = None;
        loop {
            tick.tick().await;
            if let Err(e) = hooks.refresh(&state.db).await {
                tracing::warn!(error = %e, "webhook subscriptions could not be read");
            }
            if trimmed.is_none_or(|at| at.elapsed() >= Duration::from_secs(3600)) {
                trimmed = Some(std::time::Instant::now());
                if let Err(e) = trim_log(&state).await {
                    tracing::warn!(error = %e, "old webhook deliveries could not be deleted");
                }
            }
        }
    });
}

/// Works through the queue for as long as the process runs.
pub fn send_in_background(state: AppState, hooks: Arc<Webhooks>) {
    tokio::spawn(async move {
        let mut stale_checked: Option<std::time::Instant> = None;
        loop {
            if stale_checked.is_none_or(|at| at.elapsed() >= STALE_CHECK_EVERY) {
                if let Err(e) = release_stale_claims(&state).await {
                    tracing::warn!(error = %e, "the webhook queue could not be read");
                }
                stale_checked = Some(std::time::Instant::now());
            }
            match send_due(&state, &hooks).await {
                Ok(claimed) if claimed as u64 == BATCH => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "the webhook queue could not be read"),
            }
            tokio::select! {
                _ = hooks.wake.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
            }
        }
    });
}

/// Deletes delivered and failed deliveries older than [`LOG_KEPT`]. Looks first, so a node with nothing to delete
/// writes nothing, and writes in the SQLite write lane's turn like the chat path's writes.
async fn trim_log(state: &AppState) -> Result<(), sea_orm::DbErr> {
    let old = || {
        Condition::all()
            .add(webhook_deliveries::Column::Status.is_in([EmailStatus::Sent, EmailStatus::Failed]))
            .add(webhook_deliveries::Column::CreatedAt.lt(now_millis() - LOG_KEPT))
    };
    if webhook_deliveries::Entity::find().filter(old()).one(&state.db).await?.is_none() {
        return Ok(());
    }
    let turn = state.lane.turn().await;
    webhook_deliveries::Entity::delete_many().filter(old()).exec(turn.db()).await?;
    Ok(())
}

/// Deliveries claimed longer ago than [`STALE_CLAIM`] (their node stopped mid-send) are due again. Looks first, so
/// a node with none writes nothing.
async fn release_stale_claims(state: &AppState) -> Result<(), sea_orm::DbErr> {
    let stale = || {
        let cutoff = now_millis() - chrono::Duration::from_std(STALE_CLAIM).unwrap_or_default();
        Condition::all()
            .add(webhook_deliveries::Column::Status.eq(EmailStatus::Sending))
            .add(webhook_deliveries::Column::NextAttemptAt.lt(cutoff))
    };
    if webhook_deliveries::Entity::find().filter(stale()).one(&state.db).await?.is_none() {
        return Ok(());
    }
    let turn = state.lane.turn().await;
    webhook_deliveries::Entity::update_many()
        .col_expr(webhook_deliveries::Column::Status, Expr::value(EmailStatus::Pending.as_str()))
        .filter(stale())
        .exec(turn.db())
        .await?;
    Ok(())
}

/// Claims and POSTs what is due now, several at once; returns how many rows it looked at.
async fn send_due(state: &AppState, hooks: &Webhooks) -> Result<usize, sea_orm::DbErr> {
    let due = webhook_deliveries::Entity::find()
        .filter(webhook_deliveries::Column::Status.eq(EmailStatus::Pending))
        .filter(webhook_deliveries::Column::NextAttemptAt.lte(now_millis()))
        .order_by_asc(webhook_deliveries::Column::NextAttemptAt)
        .limit(BATCH)
        .all(&state.db)
        .await?;
    let looked_at = due.len();
    let outcomes: Vec<Result<(), sea_orm::DbErr>> = futures_util::stream::iter(due)
        .map(|row| send_one(state, hooks, row))
        .buffer_unordered(CONCURRENT)
        .collect()
        .await;
    outcomes.into_iter().collect::<Result<Vec<()>, _>>()?;
    Ok(looked_at)
}

/// Claims, POSTs and records one delivery; its writes take the SQLite write lane's turn, never held over the POST.
async fn send_one(state: &AppState, hooks: &Webhooks, row: webhook_deliveries::Model) -> Result<(), sea_orm::DbErr> {
    let db = &state.db;
    let turn = state.lane.turn().await;
    let claimed = webhook_deliveries::Entity::update_many()
        .col_expr(webhook_deliveries::Column::Status, Expr::value(EmailStatus::Sending.as_str()))
        .col_expr(webhook_deliveries::Column::NextAttemptAt, Expr::value(now_millis()))
        .filter(webhook_deliveries::Column::Id.eq(row.id.as_str()))
        .filter(webhook_deliveries::Column::Status.eq(EmailStatus::Pending))
        .exec(turn.db())
        .await?
        .rows_affected
        == 1;
    drop(turn);
    if !claimed {
        return Ok(());
    }
    let attempts = row.attempts + 1;
    // The webhook as it is now: a rotated secret signs the retries, a changed URL receives them.
    let outcome = match webhooks::Entity::find_by_id(row.webhook_id.as_str()).one(db).await? {
        Some(hook) => hooks.post(&hook.url, &hook.secret, &row).await,
        None => Err(SendError::refused("the webhook was deleted".into())),
    };
    let mut update = webhook_deliveries::Entity::update_many()
        .col_expr(webhook_deliveries::Column::Attempts, Expr::value(attempts))
        .filter(webhook_deliveries::Column::Id.eq(row.id.as_str()))
        .filter(webhook_deliveries::Column::Status.eq(EmailStatus::Sending));
    match outcome {
        Ok(status) => {
            metrics::counter!("helpdesk_webhooks_delivered_total").increment(1);
            update = update
                .col_expr(webhook_deliveries::Column::Status, Expr::value(EmailStatus::Sent.as_str()))
                .col_expr(webhook_deliveries::Column::ResponseStatus, Expr::value(i32::from(status)))
                .col_expr(webhook_deliveries::Column::DeliveredAt, Expr::value(now_millis()))
                .col_expr(webhook_deliveries::Column::LastError, Expr::value(Option::<String>::None));
        }
        Err(e) => {
            let gave_up = attempts >= MAX_ATTEMPTS;
            tracing::info!(delivery_id = %row.id, attempts, gave_up, error = %e.message, "a webhook was not delivered");
            let status = if gave_up {
                metrics::counter!("helpdesk_webhooks_failed_total").increment(1);
                EmailStatus::Failed
            } else {
                EmailStatus::Pending
            };
            let next =
                now_millis() + chrono::Duration::from_std(backoff(hooks.retry_base, attempts)).unwrap_or_default();
            update = update
                .col_expr(webhook_deliveries::Column::Status, Expr::value(status.as_str()))
                .col_expr(webhook_deliveries::Column::NextAttemptAt, Expr::value(next))
                .col_expr(webhook_deliveries::Column::ResponseStatus, Expr::value(e.status.map(i32::from)))
                .col_expr(webhook_deliveries::Column::LastError, Expr::value(cut(&e.message, 500)));
        }
    }
    let turn = state.lane.turn().await;
    update.exec(turn.db()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_local_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(ip.parse().expect("ip")), "{ip} counted as public");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(is_public(ip.parse().expect("ip")), "{ip} counted as private");
        }
    }

    #[test]
    fn the_signature_is_the_hmac_of_timestamp_and_body() {
        // Computed independently: python3 -c "import hmac,hashlib; print(hmac.new(b'whsec_test', b'1700000000.{\"a\":1}', hashlib.sha256).hexdigest())"
        let sig = signature("whsec_test", 1_700_000_000, "{\"a\":1}");
        assert_eq!(sig, "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789");
    }

    #[tokio::test]
    async fn sends_never_reach_a_private_address_unless_allowed() {
        use reqwest::dns::Resolve;
        // A name that resolves to loopback (what DNS rebinding would do after the URL was saved) gets no address.
        let name = |n: &str| n.parse::<reqwest::dns::Name>().expect("name");
        assert!(PublicOnly { allow_private: false }.resolve(name("localhost")).await.is_err());
        assert!(PublicOnly { allow_private: true }.resolve(name("localhost")).await.is_ok());
        // An address written in the URL is checked before each POST.
        let (hooks, _rx) = Webhooks::new(&WebhookSettings::default()).expect("client");
        let now = now_millis();
        let row = webhook_deliveries::Model {
            id: "d".into(),
            webhook_id: "w".into(),
            website_id: "s".into(),
            chat_id: None,
            event: WebhookEvent::Ping,
            payload: "{}".into(),
            status: EmailStatus::Sending,
            attempts: 0,
            next_attempt_at: now,
            response_status: None,
            last_error: None,
            created_at: now,
            delivered_at: None,
        };
        for url in ["http://127.0.0.1:9/hook", "http://[::1]:9/hook", "http://169.254.169.254/latest"] {
            let refused = hooks.post(url, "whsec_x", &row).await.err().map(|e| e.message).unwrap_or_default();
            assert!(refused.contains("private address"), "{url}: {refused}");
        }
    }

    #[tokio::test]
    async fn urls_on_private_hosts_are_refused_unless_allowed() {
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://localhost/hook",
            "https://[::1]/x",
            "http://169.254.169.254/latest",
            "http://10.0.0.5/",
        ] {
            assert!(check_url(url, false).await.is_err(), "{url} was accepted");
            assert!(check_url(url, true).await.is_ok(), "{url} refused though allowed");
        }
        assert!(check_url("ftp://example.com/x", true).await.is_err());
        let long = format!("https://93.184.216.34/{}", "a".repeat(protocol::MAX_WEBHOOK_URL_LEN));
        assert!(check_url(&long, true).await.is_err(), "a URL over the length cap");
        assert!(check_url("https://user:pw@example.com/x", true).await.is_err());
        assert!(check_url("not a url", true).await.is_err());
        assert_eq!(check_url("https://93.184.216.34/hook", false).await.as_deref(), Ok("https://93.184.216.34/hook"));
    }
}
