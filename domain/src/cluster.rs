//! Several nodes behind one load balancer, sharing the database and Redis (`REDIS_URL`). Redis carries two things:
//!
//! - **Events** between nodes: the hub hands every publication and access change to this module as a
//!   [`Note`](crate::hub::Note); it is published on one channel, and every other node applies it to its own
//!   sockets. Delivery is best effort, as in one process: the database is the truth, and clients catch up by seq.
//!   Whenever notes may have been lost (Redis unreachable, the relay's queue full), the node asks every node to
//!   close its sockets as lagging once Redis answers again, so every client resumes.
//! - **Presence**: which visitors and agents are connected to which node. Each node registers its sockets under
//!   an *incarnation* id and keeps that id alive with a heartbeat; an incarnation whose heartbeat stops (the node
//!   died, or lost Redis) is swept by the first live node to see it, which announces its visitors and agents
//!   offline. A node that regains Redis takes a new incarnation: its clients reconnect and register again.
//!
//! Keys live under a prefix (`HELPDESK_REDIS_PREFIX`), so several deployments can share one Redis.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::NaiveDateTime;
use redis::aio::ConnectionManager;
use redis::AsyncCommands;
use tokio::sync::mpsc;

use crate::events::{self, Audience};
use crate::hub::{CloseReason, Frame, Hub, Note, Topic};
use crate::presence::VisitorHere;
use crate::widget_cache::WidgetConfigCache;

/// How often a node says it is alive, and how long after its last word it counts as gone.
pub const HEARTBEAT: Duration = Duration::from_secs(5);
pub const EXPIRY: Duration = Duration::from_secs(15);
/// Notes waiting for Redis before new ones are dropped (and a resync is due).
const RELAY_QUEUE: usize = 65_536;
/// Notes published in one round trip.
const BATCH: usize = 512;
/// A Redis call slower than this counts as failed: a node must not wait on Redis to answer its clients.
const TIMEOUT: Duration = Duration::from_secs(2);
const SEP: char = '\u{1f}';
/// A rate limit check slower than this falls back to the node's own count (it sits on the message path).
const LIMIT_TIMEOUT: Duration = Duration::from_millis(250);

/// GCRA over several keys at once, with Redis's clock so every node agrees on "now". `KEYS`: the allowances' keys;
/// `ARGV[1]`: 1 to spend one of each (where there is one left), 0 only to look; then per key its refill interval in
/// milliseconds and its burst. Returns 0 when every key had one left, else the longest wait in milliseconds. A key
/// lives only until its allowance is full again.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local spend = ARGV[1] == '1'
local wait = 0
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[2 * i])
  local burst = tonumber(ARGV[2 * i + 1])
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  local next_tat = tat + interval
  local allowed_at = next_tat - burst * interval
  if allowed_at > now then
    if allowed_at - now > wait then wait = allowed_at - now end
  elseif spend then
    redis.call('SET', key, next_tat, 'PX', next_tat - now)
  end
end
return wait
";

/// A change of presence, written to Redis in order.
enum Write {
    VisitorHere { website_id: String, visitor_id: String, since: i64, url: Option<String>, title: Option<String> },
    VisitorGone { website_id: String, visitor_id: String },
    AgentHere { user_id: String, websites: Vec<String> },
    AgentGone { user_id: String },
}

pub struct Cluster {
    /// This process, to skip its own notes; stable for its life.
    node: String,
    prefix: String,
    client: redis::Client,
    commands: ConnectionManager,
    /// The id presence is registered under; a new one each time Redis is regained.
    incarnation: RwLock<Arc<str>>,
    /// The subscription is up, and the last heartbeat was answered.
    subscribed: AtomicBool,
    beating: AtomicBool,
    /// Set when a note may not have reached the other nodes: the next time Redis answers, everyone resyncs.
    lost: AtomicBool,
    writes: mpsc::Sender<Write>,
    /// Notes relayed to and received from other nodes (metrics, tests).
    pub sent: AtomicU64,
    pub received: AtomicU64,
}

/// Why the cluster link could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("REDIS_URL: {0}")]
pub struct ClusterError(#[from] redis::RedisError);

impl Cluster {
    /// Connects (lazily: a node starts while Redis is down, degraded) and starts relaying `hub`'s notes, receiving
    /// the other nodes', and keeping this node's presence alive.
    pub fn start(
        url: &str,
        prefix: &str,
        hub: Arc<Hub>,
        widget_cache: Arc<WidgetConfigCache>,
    ) -> Result<Arc<Cluster>, ClusterError> {
        let client = redis::Client::open(url)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(1));
        let commands = ConnectionManager::new_lazy_with_config(client.clone(), config)?;
        let (relay_tx, relay_rx) = mpsc::channel(RELAY_QUEUE);
        let (writes_tx, writes_rx) = mpsc::channel(RELAY_QUEUE);
        let cluster = Arc::new(Cluster {
            node: uuid::Uuid::new_v4().simple().to_string(),
            prefix: prefix.to_string(),
            client,
            commands,
            incarnation: RwLock::new(new_incarnation()),
            subscribed: AtomicBool::new(false),
            beating: AtomicBool::new(false),
            lost: AtomicBool::new(false),
            writes: writes_tx,
            sent: AtomicU64::new(0),
            received: AtomicU64::new(0),
        });
        hub.relay_to(relay_tx);
        tokio::spawn(cluster.clone().relay(relay_rx));
        tokio::spawn(cluster.clone().write_presence(writes_rx));
        tokio::spawn(cluster.clone().receive(hub.clone(), widget_cache));
        tokio::spawn(cluster.clone().heartbeat(hub));
        Ok(cluster)
    }

    /// Whether Redis answered this node's last calls (`/readyz` says "degraded" otherwise).
    pub fn healthy(&self) -> bool {
        self.subscribed.load(Ordering::Relaxed) && self.beating.load(Ordering::Relaxed)
    }

    fn key(&self, parts: &[&str]) -> String {
        let mut key = self.prefix.clone();
        for part in parts {
            key.push(':');
            key.push_str(part);
        }
        key
    }

    fn incarnation(&self) -> Arc<str> {
        self.incarnation.read().map(|i| i.clone()).unwrap_or_else(|p| p.into_inner().clone())
    }

    /// A Redis call failed: what other nodes should have heard may be lost.
    fn failed(&self, what: &str, e: &redis::RedisError) {
        if !self.lost.swap(true, Ordering::Relaxed) {
            tracing::warn!(error = %e, "Redis unavailable ({what}): live events between nodes pause");
        }
    }

    /// After a gap: this node registers its sockets again under a new incarnation (their clients reconnect), and
    /// every node's clients resume.
    fn resync(&self, hub: &Hub) {
        if let Ok(mut incarnation) = self.incarnation.write() {
            *incarnation = new_incarnation();
        }
        tracing::info!("Redis answers again: clients reconnect and resume");
        hub.resync();
    }

    /// Publishes the hub's notes, a batch per round trip.
    async fn relay(self: Arc<Self>, mut notes: mpsc::Receiver<Note>) {
        let channel = self.key(&["events"]);
        let mut conn = self.commands.clone();
        let mut batch = Vec::with_capacity(BATCH);
        let mut dropped = crate::hub::RELAY_DROPPED.load(Ordering::Relaxed);
        while notes.recv_many(&mut batch, BATCH).await > 0 {
            let mut pipe = redis::pipe();
            let count = batch.len();
            for note in batch.drain(..) {
                pipe.cmd("PUBLISH").arg(&channel).arg(encode(&self.node, &note)).ignore();
            }
            match tokio::time::timeout(TIMEOUT, pipe.query_async::<()>(&mut conn)).await {
                Ok(Ok(())) => {
                    self.sent.fetch_add(count as u64, Ordering::Relaxed);
                }
                Ok(Err(e)) => self.failed("publishing", &e),
                Err(_) => self.failed("publishing", &timeout_error()),
            }
            let now_dropped = crate::hub::RELAY_DROPPED.load(Ordering::Relaxed);
            if now_dropped != dropped {
                dropped = now_dropped;
                tracing::warn!("notes for other nodes dropped (queue full): every node resyncs");
                self.lost.store(true, Ordering::Relaxed);
            }
        }
    }

    /// Follows the other nodes' notes; after any gap, asks every node to resync.
    async fn receive(self: Arc<Self>, hub: Arc<Hub>, widget_cache: Arc<WidgetConfigCache>) {
        use futures_util::StreamExt;
        let channel = self.key(&["events"]);
        let mut first = true;
        loop {
            let subscribed = async {
                let mut pubsub = tokio::time::timeout(TIMEOUT, self.client.get_async_pubsub())
                    .await
                    .map_err(|_| timeout_error())??;
                tokio::time::timeout(TIMEOUT, pubsub.subscribe(&channel)).await.map_err(|_| timeout_error())??;
                Ok::<_, redis::RedisError>(pubsub)
            }
            .await;
            let pubsub = match subscribed {
                Ok(pubsub) => pubsub,
                Err(e) => {
                    self.failed("subscribing", &e);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let (mut sink, mut stream) = pubsub.split();
            // Whatever was published while this node did not follow the channel is lost to it.
            if self.lost.swap(false, Ordering::Relaxed) || !first {
                self.resync(&hub);
            }
            first = false;
            self.subscribed.store(true, Ordering::Relaxed);
            let mut ping = tokio::time::interval(HEARTBEAT);
            loop {
                tokio::select! {
                    message = stream.next() => match message {
                        Some(message) => {
                            self.received.fetch_add(1, Ordering::Relaxed);
                            apply(&self.node, message.get_payload_bytes(), &hub, &widget_cache);
                        }
                        None => {
                            self.failed("subscription", &redis::RedisError::from(std::io::Error::other("closed")));
                            break;
                        }
                    },
                    _ = ping.tick() => {
                        // A connection that died without closing would otherwise be followed forever.
                        match tokio::time::timeout(TIMEOUT, sink.ping::<redis::Value>()).await {
                            Ok(Ok(_)) => {}
                            Ok(Err(e)) => { self.failed("subscription", &e); break; }
                            Err(_) => { self.failed("subscription", &timeout_error()); break; }
                        }
                    }
                }
            }
            self.subscribed.store(false, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Keeps this incarnation alive, and sweeps the ones whose heartbeat stopped.
    async fn heartbeat(self: Arc<Self>, hub: Arc<Hub>) {
        let mut tick = tokio::time::interval(HEARTBEAT);
        let nodes = self.key(&["nodes"]);
        loop {
            tick.tick().await;
            let mut conn = self.commands.clone();
            let now = chrono::Utc::now().timestamp_millis();
            let incarnation = self.incarnation();
            let alive: redis::RedisResult<()> = async {
                let _: () = conn.zadd(&nodes, &*incarnation, now + EXPIRY.as_millis() as i64).await?;
                let dead: Vec<String> = conn.zrangebyscore(&nodes, "-inf", now).await?;
                for gone in dead {
                    // The one node whose ZREM removes it sweeps it.
                    let removed: i64 = conn.zrem(&nodes, &gone).await?;
                    if removed == 1 {
                        self.sweep(&mut conn, &hub, &gone).await?;
                    }
                }
                Ok(())
            }
            .await;
            match alive {
                Ok(()) => {
                    self.beating.store(true, Ordering::Relaxed);
                    // A note or a presence write failed while the subscription stayed up.
                    if self.subscribed.load(Ordering::Relaxed) && self.lost.swap(false, Ordering::Relaxed) {
                        self.resync(&hub);
                    }
                }
                Err(e) => {
                    self.beating.store(false, Ordering::Relaxed);
                    self.failed("heartbeat", &e);
                }
            }
        }
    }

    /// Removes a dead incarnation's presence and announces its visitors and agents offline (unless they are
    /// connected to another node).
    async fn sweep(&self, conn: &mut ConnectionManager, hub: &Hub, gone: &str) -> redis::RedisResult<()> {
        let sites_key = self.key(&["sites", gone]);
        let sites: Vec<String> = conn.smembers(&sites_key).await?;
        let prefix = format!("{gone}|");
        for website_id in sites {
            let key = self.key(&["visitors", &website_id]);
            let fields: Vec<String> = conn.hkeys(&key).await?;
            for field in fields.iter().filter(|f| f.starts_with(&prefix)) {
                let visitor_id = &field[prefix.len()..];
                let _: () = conn.hdel(&key, field).await?;
                let _: () = conn.srem(self.key(&["v", visitor_id]), gone).await?;
                if !self.elsewhere(conn, "v", visitor_id, None).await? {
                    let offline = protocol::ServerEvent::VisitorOffline {
                        website_id: website_id.clone(),
                        visitor_id: visitor_id.to_string(),
                    };
                    events::publish(hub, Audience::Agents { website_id: &website_id }, &offline, None);
                }
            }
        }
        let _: () = conn.del(&sites_key).await?;
        let agents_key = self.key(&["agents"]);
        let agents: HashMap<String, String> = conn.hgetall(&agents_key).await?;
        for (field, websites) in agents.iter().filter(|(f, _)| f.starts_with(&prefix)) {
            let user_id = &field[prefix.len()..];
            let _: () = conn.hdel(&agents_key, field).await?;
            let _: () = conn.srem(self.key(&["a", user_id]), gone).await?;
            if !self.elsewhere(conn, "a", user_id, None).await? {
                for website_id in websites.split(',').filter(|w| !w.is_empty()) {
                    let offline =
                        protocol::ServerEvent::AgentOffline { website_id: website_id.into(), user_id: user_id.into() };
                    events::publish(hub, Audience::Agents { website_id }, &offline, None);
                }
            }
        }
        tracing::info!(incarnation = gone, "a node stopped answering: its visitors and agents are offline");
        Ok(())
    }

    /// The live incarnations.
    async fn live(&self, conn: &mut ConnectionManager) -> redis::RedisResult<HashSet<String>> {
        let now = chrono::Utc::now().timestamp_millis();
        let live: Vec<String> = conn.zrangebyscore(self.key(&["nodes"]), now, "+inf").await?;
        Ok(live.into_iter().collect())
    }

    /// Checks (and with `spend`, spends one of) each allowance in Redis, shared by every node: `Err(wait)` when
    /// one has none left. `None` when Redis does not answer in time: the caller counts on this node alone.
    pub async fn spend(
        &self,
        keys: &[(String, crate::limits::Allowance)],
        spend: bool,
    ) -> Option<Result<(), Duration>> {
        static SCRIPT: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| redis::Script::new(GCRA));
        if !self.healthy() {
            return None;
        }
        let mut call = SCRIPT.prepare_invoke();
        for (key, _) in keys {
            call.key(self.key(&["rl", key]));
        }
        call.arg(if spend { 1 } else { 0 });
        for (_, allowance) in keys {
            call.arg(allowance.refill.as_millis().max(1) as u64).arg(allowance.burst.max(1));
        }
        let mut conn = self.commands.clone();
        match tokio::time::timeout(LIMIT_TIMEOUT, call.invoke_async::<u64>(&mut conn)).await {
            Ok(Ok(0)) => Some(Ok(())),
            Ok(Ok(wait)) => Some(Err(Duration::from_millis(wait))),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "rate limit not checked in Redis: counted on this node");
                None
            }
            Err(_) => None,
        }
    }

    /// Whether the visitor (`kind` "v") or agent ("a") `id` is connected to a live incarnation other than `except`.
    async fn elsewhere(
        &self,
        conn: &mut ConnectionManager,
        kind: &str,
        id: &str,
        except: Option<&str>,
    ) -> redis::RedisResult<bool> {
        let on: Vec<String> = conn.smembers(self.key(&[kind, id])).await?;
        if on.iter().all(|i| Some(i.as_str()) == except) {
            return Ok(false);
        }
        let live = self.live(conn).await?;
        Ok(on.iter().any(|i| Some(i.as_str()) != except && live.contains(i)))
    }

    /// Whether `kind` "v"/"a" `id` is connected to another node than this one (false when Redis does not answer).
    pub async fn connected_elsewhere(&self, kind: &str, id: &str) -> bool {
        let mut conn = self.commands.clone();
        let incarnation = self.incarnation();
        match tokio::time::timeout(TIMEOUT, self.elsewhere(&mut conn, kind, id, Some(&incarnation))).await {
            Ok(Ok(found)) => found,
            Ok(Err(e)) => {
                self.failed("presence", &e);
                false
            }
            Err(_) => false,
        }
    }

    fn write(&self, write: Write) {
        if self.writes.try_send(write).is_err() {
            self.lost.store(true, Ordering::Relaxed);
        }
    }

    pub fn visitor_here(
        &self,
        website_id: &str,
        visitor_id: &str,
        since: NaiveDateTime,
        url: Option<&str>,
        title: Option<&str>,
    ) {
        self.write(Write::VisitorHere {
            website_id: website_id.into(),
            visitor_id: visitor_id.into(),
            since: since.and_utc().timestamp_millis(),
            url: url.map(String::from),
            title: title.map(String::from),
        });
    }

    pub fn visitor_gone(&self, website_id: &str, visitor_id: &str) {
        self.write(Write::VisitorGone { website_id: website_id.into(), visitor_id: visitor_id.into() });
    }

    pub fn agent_here(&self, user_id: &str, websites: &[String]) {
        self.write(Write::AgentHere { user_id: user_id.into(), websites: websites.to_vec() });
    }

    pub fn agent_gone(&self, user_id: &str) {
        self.write(Write::AgentGone { user_id: user_id.into() });
    }

    /// Applies presence changes in the order they happened, a batch per round trip.
    async fn write_presence(self: Arc<Self>, mut writes: mpsc::Receiver<Write>) {
        let mut conn = self.commands.clone();
        let mut batch = Vec::with_capacity(BATCH);
        let day = 24 * 3600;
        while writes.recv_many(&mut batch, BATCH).await > 0 {
            let incarnation = self.incarnation();
            let mut pipe = redis::pipe();
            for write in batch.drain(..) {
                match write {
                    Write::VisitorHere { website_id, visitor_id, since, url, title } => {
                        let value = format!(
                            "{since}{SEP}{}{SEP}{}",
                            url.unwrap_or_default().replace(SEP, " "),
                            title.unwrap_or_default().replace(SEP, " ")
                        );
                        let sites = self.key(&["sites", &incarnation]);
                        let on = self.key(&["v", &visitor_id]);
                        pipe.hset(self.key(&["visitors", &website_id]), format!("{incarnation}|{visitor_id}"), value)
                            .ignore()
                            .sadd(&sites, &website_id)
                            .ignore()
                            .expire(&sites, day)
                            .ignore()
                            .sadd(&on, &*incarnation)
                            .ignore()
                            .expire(&on, day)
                            .ignore();
                    }
                    Write::VisitorGone { website_id, visitor_id } => {
                        pipe.hdel(self.key(&["visitors", &website_id]), format!("{incarnation}|{visitor_id}"))
                            .ignore()
                            .srem(self.key(&["v", &visitor_id]), &*incarnation)
                            .ignore();
                    }
                    Write::AgentHere { user_id, websites } => {
                        let on = self.key(&["a", &user_id]);
                        pipe.hset(self.key(&["agents"]), format!("{incarnation}|{user_id}"), websites.join(","))
                            .ignore()
                            .sadd(&on, &*incarnation)
                            .ignore()
                            .expire(&on, day)
                            .ignore();
                    }
                    Write::AgentGone { user_id } => {
                        pipe.hdel(self.key(&["agents"]), format!("{incarnation}|{user_id}"))
                            .ignore()
                            .srem(self.key(&["a", &user_id]), &*incarnation)
                            .ignore();
                    }
                }
            }
            match tokio::time::timeout(TIMEOUT, pipe.query_async::<()>(&mut conn)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => self.failed("presence", &e),
                Err(_) => self.failed("presence", &timeout_error()),
            }
        }
    }

    /// The visitors connected to any live node on these websites, longest here first; `None` when Redis does not
    /// answer (the caller falls back to this node's own).
    pub async fn visitors_on(&self, website_ids: &[String]) -> Option<Vec<VisitorHere>> {
        let mut conn = self.commands.clone();
        let read = async {
            let live = self.live(&mut conn).await?;
            let mut here: HashMap<(String, String), VisitorHere> = HashMap::new();
            for website_id in website_ids {
                let all: HashMap<String, String> = conn.hgetall(self.key(&["visitors", website_id])).await?;
                for (field, value) in all {
                    let Some((incarnation, visitor_id)) = field.split_once('|') else { continue };
                    if !live.contains(incarnation) {
                        continue;
                    }
                    let mut parts = value.splitn(3, SEP);
                    let since = parts.next().and_then(|s| s.parse::<i64>().ok()).unwrap_or_default();
                    let url = parts.next().filter(|s| !s.is_empty()).map(String::from);
                    let title = parts.next().filter(|s| !s.is_empty()).map(String::from);
                    let since = chrono::DateTime::from_timestamp_millis(since).unwrap_or_default().naive_utc();
                    let visit = VisitorHere {
                        website_id: website_id.clone(),
                        visitor_id: visitor_id.to_string(),
                        url,
                        title,
                        since,
                    };
                    // The same visitor on two nodes (two tabs): the earliest arrival, with a page if any.
                    here.entry((website_id.clone(), visitor_id.to_string()))
                        .and_modify(|v| {
                            if visit.since < v.since || v.url.is_none() {
                                *v = visit.clone();
                            }
                        })
                        .or_insert(visit);
                }
            }
            Ok::<_, redis::RedisError>(here.into_values().collect::<Vec<_>>())
        };
        match tokio::time::timeout(TIMEOUT, read).await {
            Ok(Ok(mut here)) => {
                here.sort_by(|a, b| a.since.cmp(&b.since).then_with(|| a.visitor_id.cmp(&b.visitor_id)));
                Some(here)
            }
            Ok(Err(e)) => {
                self.failed("presence", &e);
                None
            }
            Err(_) => None,
        }
    }

    /// The agents connected to any live node who work on any of these websites; `None` when Redis does not answer.
    pub async fn agents_on(&self, website_ids: &[String]) -> Option<Vec<String>> {
        let mut conn = self.commands.clone();
        let read = async {
            let live = self.live(&mut conn).await?;
            let all: HashMap<String, String> = conn.hgetall(self.key(&["agents"])).await?;
            let mut ids: Vec<String> = all
                .into_iter()
                .filter_map(|(field, websites)| {
                    let (incarnation, user_id) = field.split_once('|')?;
                    let works_here = websites.split(',').any(|w| website_ids.iter().any(|id| id == w));
                    (live.contains(incarnation) && works_here).then(|| user_id.to_string())
                })
                .collect();
            ids.sort();
            ids.dedup();
            Ok::<_, redis::RedisError>(ids)
        };
        match tokio::time::timeout(TIMEOUT, read).await {
            Ok(Ok(ids)) => Some(ids),
            Ok(Err(e)) => {
                self.failed("presence", &e);
                None
            }
            Err(_) => None,
        }
    }
}

fn new_incarnation() -> Arc<str> {
    Arc::from(uuid::Uuid::new_v4().simple().to_string())
}

fn timeout_error() -> redis::RedisError {
    redis::RedisError::from(std::io::Error::new(std::io::ErrorKind::TimedOut, "Redis did not answer in time"))
}

fn topic_parts(topic: &Topic) -> (&'static str, &str) {
    match topic {
        Topic::Website(id) => ("w", id),
        Topic::Visitor(id) => ("v", id),
        Topic::User(id) => ("u", id),
        Topic::Session(id) => ("s", id),
        Topic::WebsiteVisitors(id) => ("x", id),
    }
}

fn topic_of(tag: &str, id: &str) -> Option<Topic> {
    let id = id.to_string();
    Some(match tag {
        "w" => Topic::Website(id),
        "v" => Topic::Visitor(id),
        "u" => Topic::User(id),
        "s" => Topic::Session(id),
        "x" => Topic::WebsiteVisitors(id),
        _ => return None,
    })
}

/// A note as bytes: the sending node, a kind and its fields, separated by U+001F (which JSON never carries raw),
/// a frame's text last.
fn encode(node: &str, note: &Note) -> Vec<u8> {
    let fields: Vec<&str> = match note {
        Note::Publish { topic, frame } => {
            let (tag, id) = topic_parts(topic);
            vec!["P", tag, id, frame.as_str()]
        }
        Note::DisconnectUser(id) => vec!["U", id],
        Note::DisconnectSession(id) => vec!["S", id],
        Note::DisconnectVisitor(id) => vec!["V", id],
        Note::RestrictUser { user_id, visible } => {
            let mut fields = vec!["R", user_id.as_str()];
            fields.extend(visible.iter().map(String::as_str));
            fields
        }
        Note::CloseWebsite { website_id, deleted } => vec!["C", website_id, if *deleted { "1" } else { "0" }],
        Note::WebsiteChanged(id) => vec!["W", id],
        Note::Resync => vec!["Z"],
    };
    let mut out = String::with_capacity(node.len() + fields.iter().map(|f| f.len() + 1).sum::<usize>());
    out.push_str(node);
    for field in fields {
        out.push(SEP);
        out.push_str(field);
    }
    out.into_bytes()
}

/// Applies another node's note to this node's sockets; its own notes and anything unreadable are ignored.
fn apply(node: &str, bytes: &[u8], hub: &Hub, widget_cache: &WidgetConfigCache) {
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    let mut fields = text.splitn(5, SEP);
    let (Some(from), Some(kind)) = (fields.next(), fields.next()) else { return };
    if from == node {
        return;
    }
    match kind {
        "P" => {
            let (Some(tag), Some(id), Some(frame)) = (fields.next(), fields.next(), fields.next()) else { return };
            if let Some(topic) = topic_of(tag, id) {
                hub.publish_here(&topic, Frame::from_text(frame), None);
            }
        }
        "U" => fields.next().into_iter().for_each(|id| hub.disconnect_user_here(id)),
        "S" => fields.next().into_iter().for_each(|id| hub.disconnect_session_here(id)),
        "V" => fields.next().into_iter().for_each(|id| hub.disconnect_visitor_here(id)),
        "R" => {
            let Some(user_id) = fields.next() else { return };
            let visible: Vec<String> = text.split(SEP).skip(3).filter(|w| !w.is_empty()).map(String::from).collect();
            hub.restrict_user_here(user_id, &visible);
        }
        "C" => {
            let (Some(id), Some(deleted)) = (fields.next(), fields.next()) else { return };
            widget_cache.invalidate_website(id);
            hub.close_website_here(id, deleted == "1");
        }
        "W" => fields.next().into_iter().for_each(|id| widget_cache.invalidate_website(id)),
        "Z" => hub.close_all_here(CloseReason::Lagging),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn notes_survive_the_trip_and_a_node_ignores_its_own() {
        let hub = Hub::default();
        let cache = WidgetConfigCache::default();
        let (agent, mut rx) = hub.connect();
        hub.subscribe(&agent, Topic::Website("w1".into()));
        hub.subscribe(&agent, Topic::User("u1".into()));
        hub.subscribe(&agent, Topic::Website("w2".into()));
        let frame = crate::hub::frame(&protocol::ServerEvent::Joined { website_id: "w1 \"quoted\"".into() });
        let note = Note::Publish { topic: Topic::Website("w1".into()), frame: frame.clone() };
        apply("me", &encode("me", &note), &hub, &cache);
        assert!(rx.try_recv().is_err(), "a node's own note is not applied twice");
        apply("me", &encode("other", &note), &hub, &cache);
        assert_eq!(rx.try_recv().map(|f| f.as_str().to_string()).ok().as_deref(), Some(frame.as_str()));

        let restrict = Note::RestrictUser { user_id: "u1".into(), visible: vec!["w2".into()] };
        apply("me", &encode("other", &restrict), &hub, &cache);
        assert!(rx.try_recv().is_ok_and(|f| f.as_str().contains("left-website") && f.as_str().contains("w1")));
        assert!(hub.is_subscribed(&agent, &Topic::Website("w2".into())));
        assert!(!hub.is_subscribed(&agent, &Topic::Website("w1".into())));

        apply("me", &encode("other", &Note::DisconnectUser("u1".into())), &hub, &cache);
        let closed = tokio::time::timeout(Duration::from_secs(1), agent.closed()).await;
        assert_eq!(closed, Ok(CloseReason::Revoked));
        apply("me", b"\xff\xfe", &hub, &cache);
        apply("me", "other\u{1f}P\u{1f}q\u{1f}id\u{1f}{}".as_bytes(), &hub, &cache);
    }
}
