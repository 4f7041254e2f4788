//! The real server binary in a process of its own, for tests that signal or kill it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
