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
    /// Every message without its chat id (the server finds the visitor's open chat each time), instead of naming
    /// the chat the first ack reported, as the widget does.
    no_chat_id: bool,
    /// Child mode: serve Helpdesk on this database URL and print `LISTEN <base URL>`.
    serve: Option<String>,
    /// Analytics mode (`analytics.rs`): the demo data set of about this many messages.
    analytics: Option<usize>,
    repeat: usize,
}

fn args() -> Args {
    let mut a = Args {
        visitors: 200,
        agents: 5,
        rate: 500,
        seconds: 10,
        mysql: None,
        idle_only: false,
        no_chat_id: false,
        serve: None,
        analytics: None,
        repeat: 7,
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
            "--no-chat-id" => a.no_chat_id = true,
            "--serve" => a.serve = Some(value()),
            "--analytics" => a.analytics = Some(value().parse().unwrap_or(1_000_000)),
            "--repeat" => a.repeat = value().parse().unwrap_or(a.repeat).max(1),
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
async fn serve(database_url: String) -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("helpdesk-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let database_url = if database_url.is_empty() {
        format!("sqlite://{}?mode=rwc", dir.join("bench.db").display())
    } else {
        database_url
    };
    let vars: HashMap<&str, String> = HashMap::from([
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
    let config = server::Config::from_lookup(|k| vars.get(k).cloned())?;
    let app = server::build_app(&config).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("LISTEN http://{}", listener.local_addr()?);
    server::serve(listener, app.router, std::future::pending()).await?;
    Ok(())
}

/// The server child; killed (and its MySQL database dropped) when dropped.
struct Child {
    process: std::process::Child,
    mysql: Option<(String, String)>,
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
        return tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(serve(url));
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
    let process = std::process::Command::new(std::env::current_exe()?)
        .args(["--serve", &database_url])
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let mut child = Child { process, mysql };
    let pid = child.process.id();
    let stdout = child.process.stdout.take().ok_or("no child stdout")?;
    let base = {
        use std::io::BufRead;
        let mut line = String::new();
        std::io::BufReader::new(stdout).read_line(&mut line)?;
        line.trim().strip_prefix("LISTEN ").ok_or("the server did not start")?.to_string()
    };
    let ws_base = base.replace("http://", "ws://");
    let result = drive(&a, backend, pid, &base, &ws_base).await;
    let mysql = child.mysql.take();
    drop(child);
    std::fs::remove_dir_all(std::env::temp_dir().join(format!("helpdesk-bench-{pid}"))).ok();
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

async fn drive(a: &Args, backend: &str, pid: u32, base: &str, ws_base: &str) -> Result<(), Box<dyn std::error::Error>> {
    let http = reqwest::Client::new();

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

    // Agents: join the website and timestamp every new-message they receive.
    let total = (a.rate * a.seconds) as usize;
    let received: Times = Arc::new(std::sync::Mutex::new(vec![None; total]));
    for _ in 0..a.agents {
        // tungstenite zero-fills its read buffer before every read: 16 KB rather than the default 128 KB, or the
        // generator spends its time in memset.
        let config = WebSocketConfig::default().read_buffer_size(16 * 1024);
        let mut req = format!("{ws_base}/ws").into_client_request()?;
        req.headers_mut().insert("Sec-WebSocket-Protocol", format!("helpdesk.v1, helpdesk.token.{token}").parse()?);
        let (mut ws, _) = tokio_tungstenite::connect_async_with_config(req, Some(config), true).await?;
        ws.send(Message::Text(json!({ "type": "join-website", "websiteId": website }).to_string().into())).await?;
        let received = received.clone();
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
    let mut tokens = Vec::with_capacity(a.visitors);
    for _ in 0..a.visitors {
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
    let rss_before = rss_kb(pid);
    let mut sockets = Vec::with_capacity(a.visitors);
    for t in &tokens {
        let mut req = format!("{ws_base}/ws?apiKey={key}").into_client_request()?;
        req.headers_mut().insert("Origin", ORIGIN.parse()?);
        req.headers_mut().insert("Sec-WebSocket-Protocol", format!("helpdesk.v1, helpdesk.visitor-token.{t}").parse()?);
        // Small client buffers, so the measurement is mostly the server's side.
        let config = WebSocketConfig::default().read_buffer_size(1024).write_buffer_size(0);
        let (ws, _) = tokio_tungstenite::connect_async_with_config(req, Some(config), true).await?;
        sockets.push(ws);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_after = rss_kb(pid);
    let per_socket = (rss_after.saturating_sub(rss_before) as f64 * 1024.0) / a.visitors.max(1) as f64;
    println!("backend: {backend}");
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
    // Wait for stragglers.
    let deadline = Instant::now() + Duration::from_secs(30);
    let delivered = || received.lock().map(|r| r.iter().flatten().count()).unwrap_or(0);
    while delivered() < total && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let received = received.lock().map(|r| r.clone()).unwrap_or_default();
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
    Ok(())
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
