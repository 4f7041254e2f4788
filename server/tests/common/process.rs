//! The real server binary in a process of its own, for tests that signal or kill it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use super::ws::{visitor_protocols, Ws, ORIGIN};
use super::{TestDb, ADMIN_EMAIL, ADMIN_PASSWORD};

/// The server binary on `db`, logging at debug; its output is collected in `log`.
pub struct Server {
    pub child: Child,
    pub base: String,
    log: Arc<Mutex<String>>,
}

impl Server {
    pub async fn start(db: &TestDb, extra: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_server"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &db.url)
            .env("HELPDESK_DATA_DIR", db.dir())
            .env("HELPDESK_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("HELPDESK_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("HELPDESK_BIND", "127.0.0.1:0")
            .env("LEPTOS_SITE_ROOT", db.dir().join("site"))
            .env("RUST_LOG", "debug")
            .current_dir(db.dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start the server binary");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        for stream in [
            child.stdout.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            child.stderr.take().map(|s| Box::new(s) as _),
        ]
        .into_iter()
        .flatten()
        {
            let (log, tx) = (log.clone(), tx.clone());
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if let Some(url) = line.strip_prefix("Helpdesk is listening: ") {
                        let _ = tx.send(url.trim_end_matches("/admin/login").to_string());
                    }
                    if let Ok(mut log) = log.lock() {
                        log.push_str(&line);
                        log.push('\n');
                    }
                }
            });
        }
        let base = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(60)))
            .await
            .expect("join")
            .expect("the server printed where it listens");
        Server { child, base, log }
    }

    pub fn log(&self) -> String {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Server {
    /// Sends `signal` (`TERM`, `KILL`) to the process.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill").args(["-s", signal, &self.child.id().to_string()]).status().expect("kill");
        assert!(status.success(), "kill -s {signal}");
    }

    /// Waits up to `limit` for the process to exit; its exit status, or `None` if it is still running.
    pub async fn exited_within(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client for a server in another process.
pub struct Remote {
    pub base: String,
    pub http: reqwest::Client,
    /// The super admin's token (empty for a visitor's client).
    pub token: String,
}

impl Remote {
    pub async fn sign_in(base: &str) -> Remote {
        let http = reqwest::Client::new();
        let login: Value = http
            .post(format!("{base}/api/auth/login"))
            .json(&json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD }))
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("json");
        let token = login["token"].as_str().expect("token").to_string();
        Remote { base: base.to_string(), http, token }
    }

    pub async fn api(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.expect("request");
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.json().await.expect("json")
    }

    /// A website allowing [`ORIGIN`]: its id and API key.
    pub async fn website(&self) -> (String, String) {
        let site = self
            .api(Method::POST, "/api/websites", Some(json!({ "name": "Shop", "domains": ["shop.example.com"] })))
            .await;
        (site["id"].as_str().expect("id").into(), site["apiKey"].as_str().expect("key").into())
    }

    pub async fn visitor_token(&self, key: &str) -> String {
        let session: Value = self
            .http
            .post(format!("{}/api/widget/session?apiKey={key}", self.base))
            .header("Origin", ORIGIN)
            .json(&json!({}))
            .send()
            .await
            .expect("session")
            .json()
            .await
            .expect("json");
        session["visitorToken"].as_str().expect("visitor token").to_string()
    }

    pub async fn visitor(&self, key: &str, token: &str) -> Ws {
        let mut ws =
            Ws::connect_to(&self.base, &format!("apiKey={key}"), &visitor_protocols(token), &[("Origin", ORIGIN)])
                .await
                .expect("visitor socket");
        ws.next("hello").await;
        ws
    }

    /// The chat's messages as (client message id or content, seq), oldest first.
    pub async fn messages(&self, chat_id: &str) -> Vec<(String, i64)> {
        let list = self.api(Method::GET, &format!("/api/chats/{chat_id}/messages?after_seq=0"), None).await;
        list.as_array()
            .expect("list")
            .iter()
            .map(|m| (m["content"].as_str().unwrap_or_default().to_string(), m["seq"].as_i64().unwrap_or(-1)))
            .collect()
    }
}
