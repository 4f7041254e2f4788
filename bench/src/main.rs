//! `bench`: load for the realtime hub, measured end to end through real sockets on loopback.
//!
//! Starts Helpdesk in a child process (this binary with `--serve`) on a fresh database (SQLite file by default,
//! `--mysql URL` for MySQL/MariaDB), creates one website and M agents, opens N visitor sockets, then has the
//! visitors send messages at a target rate for a duration. As the widget does, a visitor's first message opens its
//! chat and later ones name the chat its first ack reported (`--no-chat-id`: never name it). Every message is stored with its seq before the agents
//! hear of it; latency is from the visitor's send to the first agent receiving `new-message`. Reports p50/p99/max
//! latency, the rate achieved, and the server process's memory per idle socket (its RSS before and after opening
//! the sockets). Both processes share the machine: the load generator's CPU is part of every figure.
//!
//! `cargo run -p bench --release -- --visitors 1000 --agents 5 --rate 1000 --seconds 10`
//!
//! `--nodes K --redis URL` (with `--mysql`): K server processes sharing the database and Redis (under a prefix of
//! the run's own); visitors and agents are spread over them round robin, and latency is measured to the first agent
//! on *another* node than the sender's, so every figure crosses Redis.
//!
//! `--without-search-index`: the same run with the messages' full-text index taken away after start-up (the FTS5
//! triggers on SQLite, the FULLTEXT index on MySQL/MariaDB), to measure what indexing costs the message path.
//!
//! `--analytics N` measures the analytics API instead, on a demo data set of about N messages (`analytics.rs`).

mod analytics;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

/// The allocator the server binary uses, so the served child behaves like it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Args {
    visitors: usize,
    agents: usize,
    rate: u64,
    seconds: u64,
    mysql: Option<String>,
    idle_only: bool,
    /// Idle visitor sockets opened beside the active ones (connected, never sending), before the load.
    idle: usize,
    /// Every message without its chat id (the server finds the visitor's open chat each time), instead of naming
    /// the chat the first ack reported, as the widget does.
    no_chat_id: bool,
    /// Child mode: serve Helpdesk on this database URL and print `LISTEN <base URL>`.
    serve: Option<String>,
    /// Several nodes: how many, and the Redis they share (`--redis`, also passed to each child).
    nodes: usize,
    redis: Option<String>,
    redis_prefix: Option<String>,
    /// Analytics mode (`analytics.rs`): the demo data set of about this many messages.
    analytics: Option<usize>,
    repeat: usize,
    without_search_index: bool,
}

fn args() -> Args {
    let mut a = Args {
        visitors: 200,
        agents: 5,
        rate: 500,
        seconds: 10,
        mysql: None,
        idle_only: false,
        idle: 0,
        no_chat_id: false,
        serve: None,
        nodes: 1,
        redis: None,
        redis_prefix: None,
        analytics: None,
        repeat: 7,
        without_search_index: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_default();
        match flag.as_str() {
            "--visitors" => a.visitors = value().parse().unwrap_or(a.visitors),
            "--agents" => a.agents = value().parse().unwrap_or(a.agents),
            "--rate" => a.rate = value().parse().unwrap_or(a.rate),
            "--seconds" => a.seconds = value().parse().unwrap_or(a.seconds),
            "--mysql" => a.mysql = Some(value()),
            "--idle-only" => a.idle_only = true,
            "--idle" => a.idle = value().parse().unwrap_or(0),
            "--no-chat-id" => a.no_chat_id = true,
            "--serve" => a.serve = Some(value()),
            "--nodes" => a.nodes = value().parse().unwrap_or(1).max(1),
            "--redis" => a.redis = Some(value()),
            "--redis-prefix" => a.redis_prefix = Some(value()),
            "--analytics" => a.analytics = Some(value().parse().unwrap_or(1_000_000)),
            "--repeat" => a.repeat = value().parse().unwrap_or(a.repeat).max(1),
            "--without-search-index" => a.without_search_index = true,
            other => eprintln!("ignoring unknown argument {other}"),
        }
    }
    a
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

const ORIGIN: &str = "https://bench.example.com";
const PASSWORD: &str = "bench-password-1";

/// Child mode: Helpdesk on `database_url`, until killed.
async fn serve(
    database_url: String,
    redis: Option<(String, String)>,
    without_search_index: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("helpdesk-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let database_url = if database_url.is_empty() {
        format!("sqlite://{}?mode=rwc", dir.join("bench.db").display())
    } else {
        database_url
    };
    let mut vars: HashMap<&str, String> = HashMap::from([
        ("DATABASE_URL", database_url),
        ("HELPDESK_DATA_DIR", dir.display().to_string()),
        ("HELPDESK_JWT_SECRET", "bench-secret-bench-secret-bench-secret".into()),
        ("HELPDESK_ADMIN_EMAIL", "admin@bench.test".into()),
        ("HELPDESK_ADMIN_PASSWORD", PASSWORD.into()),
        ("LEPTOS_SITE_ROOT", dir.join("site").display().to_string()),
        // Every simulated visitor comes from 127.0.0.1, and sends far more than a person: no per-IP or per-visitor
        // limits.
        ("HELPDESK_WIDGET_REQUESTS_PER_15MIN", "0".into()),
        ("HELPDESK_SOCKETS_PER_IP_PER_MIN", "0".into()),
        ("HELPDESK_VISITOR_MESSAGES_PER_MIN", "0".into()),
    ]);
    if let Some((url, prefix)) = redis {
        vars.insert("REDIS_URL", url);
        vars.insert("HELPDESK_REDIS_PREFIX", prefix);
    }
    let config = server::Config::from_lookup(|k| vars.get(k).cloned())?;
    let app = server::build_app(&config).await?;
    if without_search_index {
        use sea_orm::ConnectionTrait;
        let db = sea_orm::Database::connect(config.database_url.as_str()).await?;
        let drops: &[&str] = match db.get_database_backend() {
            sea_orm::DbBackend::MySql => &["ALTER TABLE `messages` DROP INDEX `ft_messages_content`"],
            _ => &[
                "DROP TRIGGER messages_fts_insert",
                "DROP TRIGGER messages_fts_delete",
                "DROP TRIGGER messages_fts_update",
            ],
        };
        for statement in drops {
            db.execute_unprepared(statement).await?;
        }
        db.close().await?;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("LISTEN http://{}", listener.local_addr()?);
    server::serve(listener, app.router, std::future::pending()).await?;
    Ok(())
}

/// A server child; killed when dropped.
struct Child {
    process: std::process::Child,
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a = args();
    if let Some(messages) = a.analytics {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        return runtime.block_on(analytics::run(messages, a.mysql.as_deref(), a.repeat));
    }
    if let Some(url) = a.serve.clone() {
        // The server gets the machine's worker threads, as in production.
        let redis = a.redis.clone().zip(a.redis_prefix.clone());
        return tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(serve(
            url,
            redis,
            a.without_search_index,
        ));
    }
    // The load generator runs on one thread, so it competes with the server for one core rather than both.
    tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(generate(a))
}

async fn generate(a: Args) -> Result<(), Box<dyn std::error::Error>> {
    let (database_url, backend, mysql) = match &a.mysql {
        Some(url) => {
            use sea_orm::ConnectionTrait;
            let name = format!("hd_bench_{}", std::process::id());
            let admin = sea_orm::Database::connect(url.as_str()).await?;
            admin.execute_unprepared(&format!("CREATE DATABASE `{name}`")).await?;
            let base = url.rsplit_once('/').map(|(b, _)| b).unwrap_or(url);
            (format!("{base}/{name}"), "MySQL/MariaDB", Some((url.clone(), name)))
        }
        None => (String::new(), "SQLite", None),
    };
    if a.nodes > 1 && (a.redis.is_none() || a.mysql.is_none()) {
        return Err("--nodes needs --mysql and --redis".into());
    }
    let prefix = format!("bench{}", std::process::id());
    // One after the other: the first creates the super admin on the empty database.
    let mut children = Vec::with_capacity(a.nodes);
    let mut bases = Vec::with_capacity(a.nodes);
    for _ in 0..a.nodes {
        let mut command = std::process::Command::new(std::env::current_exe()?);
        command.args(["--serve", &database_url]).stdout(std::process::Stdio::piped());
        if a.without_search_index {
            command.arg("--without-search-index");
        }
        if let (true, Some(redis)) = (a.nodes > 1, &a.redis) {
            command.args(["--redis", redis, "--redis-prefix", &prefix]);
        }
        let mut child = Child { process: command.spawn()? };
        let stdout = child.process.stdout.take().ok_or("no child stdout")?;
        let base = {
            use std::io::BufRead;
            let mut line = String::new();
            std::io::BufReader::new(stdout).read_line(&mut line)?;
            line.trim().strip_prefix("LISTEN ").ok_or("the server did not start")?.to_string()
        };
        children.push(child);
        bases.push(base);
    }
    if a.nodes > 1 {
        // Every node follows Redis before the load starts.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let pids: Vec<u32> = children.iter().map(|c| c.process.id()).collect();
    let result = drive(&a, backend, &pids, &bases).await;
    drop(children);
    for pid in &pids {
        std::fs::remove_dir_all(std::env::temp_dir().join(format!("helpdesk-bench-{pid}"))).ok();
    }
    if let Some((url, name)) = mysql {
        use sea_orm::ConnectionTrait;
        if let Ok(admin) = sea_orm::Database::connect(url.as_str()).await {
            let _ = admin.execute_unprepared(&format!("DROP DATABASE `{name}`")).await;
        }
    }
    result
}

/// The bench's number `i` in the `clientMsgId` (`b{i}`) of a `new-message` frame, found without parsing the frame:
/// the generator shares the machine with the server, so it does as little per frame as it can.
fn message_number(frame: &str) -> Option<usize> {
    let rest = frame.split_once(r#""clientMsgId":"b"#)?.1;
    rest.split_once('"').and_then(|(n, _)| n.parse().ok())
}

/// The chat id of an `ack` frame, found without parsing the frame.
fn ack_chat_id(frame: &str) -> Option<&str> {
    let rest = frame.strip_prefix(r#"{"type":"ack""#)?.split_once(r#""chatId":""#)?.1;
    rest.split_once('"').map(|(id, _)| id)
}

/// When each message was sent and first received by an agent, by message number.
type Times = Arc<std::sync::Mutex<Vec<Option<Instant>>>>;

async fn drive(a: &Args, backend: &str, pids: &[u32], bases: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let http = reqwest::Client::new();
    let base = bases[0].as_str();
    let ws_bases: Vec<String> = bases.iter().map(|b| b.replace("http://", "ws://")).collect();
    let nodes = bases.len();

    let token: String = http
        .post(format!("{base}/api/auth/login"))
        .json(&json!({ "email": "admin@bench.test", "password": PASSWORD }))
        .send()
        .await?
        .json::<Value>()
        .await?["token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let site: Value = http
        .post(format!("{base}/api/websites"))
        .bearer_auth(&token)
        .json(&json!({ "name": "Bench", "domains": ["bench.example.com"] }))
        .send()
        .await?
        .json()
        .await?;
    let (website, key) =
        (site["id"].as_str().unwrap_or_default().to_string(), site["apiKey"].as_str().unwrap_or_default().to_string());

    let rss = || pids.iter().map(|pid| rss_kb(*pid)).sum::<u64>();
    // Idle visitors beside the active ones (opened first, so the agents do not have to read 100 000 arrivals
    // before the load starts), each from its own session, spread over source addresses 127.0.0.2,
    // 127.0.0.3, … (one address has about 28 000 ephemeral ports toward one server port).
    let mut idle = Vec::with_capacity(a.idle);
    if a.idle > 0 {
        let started = Instant::now();
        let idle_tokens = visitor_tokens(&http, base, &key, a.idle).await?;
        let before = rss();
        for (k, t) in idle_tokens.iter().enumerate() {
            let base = &bases[k % nodes];
            let addr: std::net::SocketAddr = base.trim_start_matches("http://").parse()?;
            let source = std::net::Ipv4Addr::new(127, 0, 0, 2 + (k / 25_000) as u8);
            let socket = tokio::net::TcpSocket::new_v4()?;
            socket.bind((source, 0).into())?;
            let stream = socket.connect(addr).await?;
            let mut req = format!("ws://{addr}/ws?apiKey={key}").into_client_request()?;
            req.headers_mut().insert("Origin", ORIGIN.parse()?);
            req.headers_mut()
                .insert("Sec-WebSocket-Protocol", format!("helpdesk.v1, helpdesk.visitor-token.{t}").parse()?);
            let config = WebSocketConfig::default().read_buffer_size(1024).write_buffer_size(0);
            let (ws, _) = tokio_tungstenite::client_async_with_config(req, stream, Some(config)).await?;
            idle.push(ws);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let after = rss();
        println!(
            "idle visitors beside them: {}; RSS {} KB -> {} KB; {:.0} bytes per idle visitor socket; opened in {:.1}s",
            a.idle,
            before,
            after,
            (after.saturating_sub(before) as f64 * 1024.0) / a.idle as f64,
            started.elapsed().as_secs_f64()
        );
    }
    // Agents: join the website and timestamp every new-message they receive (per node the agent is on).
    let total = (a.rate * a.seconds) as usize;
    let received_on: Vec<Times> = (0..nodes).map(|_| Arc::new(std::sync::Mutex::new(vec![None; total]))).collect();
    for j in 0..a.agents {
        let ws_base = &ws_bases[j % nodes];
        // tungstenite zero-fills its read buffer before every read: 16 KB rather than the default 128 KB, or the
        // generator spends its time in memset.
        let config = WebSocketConfig::default().read_buffer_size(16 * 1024);
        let mut req = format!("{ws_base}/ws").into_client_request()?;
        req.headers_mut().insert("Sec-WebSocket-Protocol", format!("helpdesk.v1, helpdesk.token.{token}").parse()?);
        let (mut ws, _) = tokio_tungstenite::connect_async_with_config(req, Some(config), true).await?;
        ws.send(Message::Text(json!({ "type": "join-website", "websiteId": website }).to_string().into())).await?;
        let received = received_on[j % nodes].clone();
        tokio::spawn(async move {
            while let Some(Ok(Message::Text(text))) = ws.next().await {
                if text.as_str().starts_with(r#"{"type":"new-message""#) {
                    let now = Instant::now();
                    if let (Some(i), Ok(mut received)) = (message_number(text.as_str()), received.lock()) {
                        if let Some(slot) = received.get_mut(i) {
                            slot.get_or_insert(now);
                        }
                    }
                }
            }
        });
    }

    // Visitors: sessions first, then sockets; memory is measured around opening the sockets.
    let tokens = visitor_tokens(&http, base, &key, a.visitors).await?;
    let rss_before = rss();
    let mut sockets = Vec::with_capacity(a.visitors);
    for (k, t) in tokens.iter().enumerate() {
        let ws_base = &ws_bases[k % nodes];
        let mut req = format!("{ws_base}/ws?apiKey={key}").into_client_request()?;
        req.headers_mut().insert("Origin", ORIGIN.parse()?);
        req.headers_mut().insert("Sec-WebSocket-Protocol", format!("helpdesk.v1, helpdesk.visitor-token.{t}").parse()?);
        // Small client buffers, so the measurement is mostly the server's side.
        let config = WebSocketConfig::default().read_buffer_size(1024).write_buffer_size(0);
        let (ws, _) = tokio_tungstenite::connect_async_with_config(req, Some(config), true).await?;
        sockets.push(ws);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_after = rss();
    let per_socket = (rss_after.saturating_sub(rss_before) as f64 * 1024.0) / a.visitors.max(1) as f64;
    println!("backend: {backend}{}", if nodes > 1 { format!(", {nodes} nodes sharing Redis") } else { String::new() });
    println!(
        "idle sockets: {} visitors + {} agents; RSS {} KB -> {} KB; {:.0} bytes per idle visitor socket in the server",
        a.visitors, a.agents, rss_before, rss_after, per_socket
    );
    if a.idle_only {
        return Ok(());
    }

    // Load: round-robin over the visitors at the target rate. Like the widget, a visitor names its chat once the
    // first ack has told it which one (the first message opens it).
    let chat_of: Arc<Vec<std::sync::OnceLock<String>>> =
        Arc::new((0..a.visitors).map(|_| Default::default()).collect());
    let (mut sinks, mut streams): (Vec<_>, Vec<_>) = sockets.into_iter().map(|s| s.split()).unzip();
    for (k, mut stream) in streams.drain(..).enumerate() {
        let chat_of = chat_of.clone();
        tokio::spawn(async move {
            while let Some(Ok(frame)) = stream.next().await {
                if let (Message::Text(text), None) = (&frame, chat_of[k].get()) {
                    if let Some(chat) = ack_chat_id(text.as_str()) {
                        let _ = chat_of[k].set(chat.to_string());
                    }
                }
            }
        });
    }
    let mut sent_at: Vec<Option<Instant>> = vec![None; total];
    let interval = Duration::from_secs_f64(1.0 / a.rate.max(1) as f64);
    let start = Instant::now();
    for (i, sent) in sent_at.iter_mut().enumerate() {
        let due = start + interval.mul_f64(i as f64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            tokio::time::sleep(wait).await;
        }
        let k = i % a.visitors.max(1);
        let frame = match chat_of[k].get().filter(|_| !a.no_chat_id) {
            Some(chat) => format!(
                r#"{{"type":"chat-message","chatId":"{chat}","clientMsgId":"b{i}","content":"benchmark message"}}"#
            ),
            None => format!(r#"{{"type":"chat-message","clientMsgId":"b{i}","content":"benchmark message"}}"#),
        };
        *sent = Some(Instant::now());
        let sink = &mut sinks[k];
        sink.send(Message::Text(frame.into())).await?;
    }
    let sending = start.elapsed();
    // Wait for stragglers. With several nodes a message counts when an agent on another node than its sender's has
    // it: visitor k is on node k % nodes, agents on the others.
    let first_elsewhere = || -> Vec<Option<Instant>> {
        let per_node: Vec<Vec<Option<Instant>>> =
            received_on.iter().map(|r| r.lock().map(|r| r.clone()).unwrap_or_default()).collect();
        (0..total)
            .map(|i| {
                let from = (i % a.visitors.max(1)) % nodes;
                (0..nodes)
                    .filter(|n| nodes == 1 || *n != from)
                    .filter_map(|n| per_node[n].get(i).copied().flatten())
                    .min()
            })
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while first_elsewhere().iter().flatten().count() < total && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let received = first_elsewhere();
    let mut latencies: Vec<Duration> = sent_at
        .iter()
        .zip(&received)
        .filter_map(|(sent, got)| Some(got.as_ref()?.saturating_duration_since((*sent)?)))
        .collect();
    latencies.sort();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "load: {} messages at {} msg/s target over {:.1}s ({:.0} msg/s sent); delivered {} ({} lost or late)",
        total,
        a.rate,
        sending.as_secs_f64(),
        total as f64 / sending.as_secs_f64(),
        latencies.len(),
        total - latencies.len()
    );
    println!(
        "visitor->agent latency: p50 {:?}  p99 {:?}  max {:?}",
        pct(0.50),
        pct(0.99),
        latencies.last().copied().unwrap_or_default()
    );
    // p99 of each second of sending, to tell a stall at the start (chats being opened) from periodic ones.
    let per_second: Vec<String> = sent_at
        .iter()
        .zip(&received)
        .filter_map(|(sent, got)| Some(got.as_ref()?.saturating_duration_since((*sent)?)))
        .collect::<Vec<_>>()
        .chunks(a.rate.max(1) as usize)
        .map(|second| {
            let mut second = second.to_vec();
            second.sort();
            let p99 = second[((second.len() as f64 * 0.99) as usize).min(second.len() - 1)];
            format!("{:.1}", p99.as_secs_f64() * 1000.0)
        })
        .collect();
    println!("  p99 of each second, ms: {}", per_second.join(" "));
    // The first second in tenths: whether a slow start is the chats being opened or everything warming up.
    let first_second: Vec<String> = sent_at
        .iter()
        .zip(&received)
        .take(a.rate.max(1) as usize)
        .filter_map(|(sent, got)| Some(got.as_ref()?.saturating_duration_since((*sent)?)))
        .collect::<Vec<_>>()
        .chunks((a.rate as usize / 10).max(1))
        .map(|tenth| format!("{:.1}", tenth.iter().max().copied().unwrap_or_default().as_secs_f64() * 1000.0))
        .collect();
    println!("  the first second, max of each 100 ms, ms: {}", first_second.join(" "));
    // The first message of each visitor also opens their chat; the rest only store and fan out.
    let mut later: Vec<Duration> = sent_at
        .iter()
        .zip(&received)
        .skip(a.visitors)
        .filter_map(|(sent, got)| Some(got.as_ref()?.saturating_duration_since((*sent)?)))
        .collect();
    later.sort();
    if let Some(max) = later.last() {
        let p99 = later[((later.len() as f64 * 0.99) as usize).min(later.len() - 1)];
        println!("  without each visitor's first message (chat creation): p99 {p99:?}  max {max:?}");
    }
    // The idle sockets stayed open through the load.
    drop(idle);
    Ok(())
}

/// `count` new visitors' tokens, one widget session each.
async fn visitor_tokens(
    http: &reqwest::Client,
    base: &str,
    key: &str,
    count: usize,
) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut tokens = Vec::with_capacity(count);
    for _ in 0..count {
        let s: Value = http
            .post(format!("{base}/api/widget/session?apiKey={key}"))
            .header("Origin", ORIGIN)
            .json(&json!({}))
            .send()
            .await?
            .json()
            .await?;
        tokens.push(s["visitorToken"].as_str().unwrap_or_default().to_string());
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frame_shortcuts_read_the_servers_own_frames() {
        let ack = serde_json::to_string(&protocol::ServerEvent::Ack {
            client_msg_id: Some("b7".into()),
            chat_id: "chat-1".into(),
            seq: 3,
            message_id: "m".into(),
        })
        .expect("an ack serialises");
        assert_eq!(ack_chat_id(&ack), Some("chat-1"));
        assert_eq!(ack_chat_id(r#"{"type":"new-message","chatId":"chat-1"}"#), None);
    }
}
