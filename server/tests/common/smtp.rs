//! An SMTP server of a test's own (tools/smtp/sink.py, aiosmtpd from PyPI, installed by `scripts/setup.sh --test`)
//! on a free port, and what it received. Never a mock transport: Helpdesk talks SMTP to a real server.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Smtp {
    child: Option<Child>,
    pub port: u16,
    dir: PathBuf,
}

/// One message the server received.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope's recipients.
    pub to: Vec<String>,
    /// The message as sent (headers and body).
    pub raw: String,
}

impl Received {
    /// The first header `name` (case-insensitive), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.raw.split("\r\n\r\n").next().unwrap_or_default().replace("\r\n ", " ").replace("\r\n\t", " ");
        head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim().to_string())
        })
    }

    /// The body, with quoted-printable soft breaks and `=XX` escapes undone.
    pub fn body(&self) -> String {
        let body = self.raw.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        let qp = self.header("Content-Transfer-Encoding").is_some_and(|e| e.eq_ignore_ascii_case("quoted-printable"));
        if !qp {
            return body.replace("\r\n", "\n");
        }
        let joined = body.replace("=\r\n", "");
        let mut out = Vec::new();
        let bytes = joined.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'=' && i + 2 < bytes.len() {
                if let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                    out.push(b);
                    i += 3;
                    continue;
                }
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).replace("\r\n", "\n")
    }
}

fn python() -> PathBuf {
    let venv = std::env::var_os("HELPDESK_PY")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/helpdesk/py"));
    venv.join("bin/python")
}

impl Smtp {
    /// A free port with nothing listening on it yet (for a test that sends before the server is there).
    pub fn reserve() -> Smtp {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let dir = std::env::temp_dir().join(format!("helpdesk-smtp-{}", uuid::Uuid::new_v4()));
        Smtp { child: None, port, dir }
    }

    pub async fn start() -> Smtp {
        let mut smtp = Smtp::reserve();
        smtp.start_again().await;
        smtp
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Starts the server (again) on its port, and waits until it answers.
    pub async fn start_again(&mut self) {
        self.stop();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tools/smtp/sink.py");
        let child = Command::new(python())
            .arg(script)
            .arg(self.port.to_string())
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the test SMTP server's Python (scripts/setup.sh --test installs it in ~/.cache/helpdesk/py)");
        self.child = Some(child);
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the test SMTP server did not start on port {}", self.port);
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Everything received so far, in the order it arrived.
    pub fn received(&self) -> Vec<Received> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return Vec::new() };
        let mut files: Vec<PathBuf> =
            entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "eml")).collect();
        files.sort();
        files
            .into_iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .map(|raw| {
                let (first, rest) = raw.split_once("\r\n").unwrap_or((&raw, ""));
                let to = first
                    .trim_start_matches("X-Envelope-To:")
                    .split(',')
                    .map(|a| a.trim().to_string())
                    .filter(|a| !a.is_empty())
                    .collect();
                Received { to, raw: rest.to_string() }
            })
            .collect()
    }

    /// Waits (up to 15 s) until at least `n` messages have arrived, and returns them all.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..300 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {n} emails, the SMTP server received {}", self.received().len());
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        self.stop();
        std::fs::remove_dir_all(&self.dir).ok();
    }
}
