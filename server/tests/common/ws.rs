//! A WebSocket client for tests, speaking `docs/protocol.md`: tokens offered in `Sec-WebSocket-Protocol`, never in
//! the URL; helpers that wait for an event (bounded), for the close code, or for a `pong` barrier.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::TestApp;

/// The Origin the test websites allow (`shop.example.com`).
pub const ORIGIN: &str = "https://shop.example.com";

pub struct Ws(pub WebSocketStream<MaybeTlsStream<TcpStream>>);

impl Ws {
    /// `/ws?{query}` with `protocols` offered and `headers` set; the HTTP status when the upgrade is refused.
    pub async fn connect(
        app: &TestApp,
        query: &str,
        protocols: &[String],
        headers: &[(&str, &str)],
    ) -> Result<Ws, u16> {
        Ws::connect_to(&app.base, query, protocols, headers).await
    }

    /// [`Ws::connect`] to a server at `base` (`http://host:port`).
    pub async fn connect_to(
        base: &str,
        query: &str,
        protocols: &[String],
        headers: &[(&str, &str)],
    ) -> Result<Ws, u16> {
        let url = format!("{}/ws?{query}", base.replace("http://", "ws://"));
        let mut req = url.into_client_request().expect("request");
        if !protocols.is_empty() {
            req.headers_mut().insert("Sec-WebSocket-Protocol", protocols.join(", ").parse().expect("protocols"));
        }
        for (name, value) in headers {
            let name = reqwest::header::HeaderName::from_bytes(name.as_bytes()).expect("header name");
            req.headers_mut().insert(name, value.parse().expect("header"));
        }
        match tokio_tungstenite::connect_async(req).await {
            Ok((ws, res)) => {
                if !protocols.is_empty() {
                    let chosen = res.headers().get("sec-websocket-protocol").and_then(|v| v.to_str().ok());
                    assert_eq!(chosen, Some("helpdesk.v1"), "the server picks the protocol, never a token");
                }
                Ok(Ws(ws))
            }
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
            Err(e) => panic!("connect: {e}"),
        }
    }

    /// An agent's socket with a token (not yet past `hello`).
    pub async fn agent(app: &TestApp, token: &str) -> Result<Ws, u16> {
        Ws::connect(app, "", &agent_protocols(token), &[]).await
    }

    /// A visitor's socket for website `key` seen from `origin` (not yet past `hello`).
    pub async fn visitor(app: &TestApp, key: &str, token: &str, origin: Option<&str>) -> Result<Ws, u16> {
        let headers: Vec<(&str, &str)> = origin.map(|o| ("Origin", o)).into_iter().collect();
        Ws::connect(app, &format!("apiKey={key}"), &visitor_protocols(token), &headers).await
    }

    pub async fn send(&mut self, event: Value) {
        self.0.send(Message::Text(event.to_string().into())).await.expect("send");
    }

    /// The next event of `kind`, skipping others; panics after 5 s.
    pub async fn next(&mut self, kind: &str) -> Value {
        self.next_of(&[kind]).await
    }

    /// The next event of any of `kinds`; panics after 5 s.
    pub async fn next_of(&mut self, kinds: &[&str]) -> Value {
        self.next_within(kinds, Duration::from_secs(5)).await
    }

    /// The next event of any of `kinds`; panics after `wait`.
    pub async fn next_within(&mut self, kinds: &[&str], wait: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.0.next()).await.unwrap_or_else(|_| panic!("no {kinds:?}"));
            match msg {
                Some(Ok(Message::Text(text))) => {
                    let v: Value = serde_json::from_str(text.as_str()).expect("json frame");
                    if kinds.iter().any(|k| v["type"] == *k) {
                        return v;
                    }
                }
                Some(Ok(_)) => {}
                other => panic!("socket ended while waiting for {kinds:?}: {other:?}"),
            }
        }
    }

    /// The next event, whatever it is; `None` once the socket has ended.
    pub async fn event(&mut self) -> Option<Value> {
        loop {
            match self.0.next().await {
                Some(Ok(Message::Text(text))) => return serde_json::from_str(text.as_str()).ok(),
                Some(Ok(_)) => {}
                _ => return None,
            }
        }
    }

    /// Events of `kind` arriving within `wait`.
    pub async fn collect(&mut self, kind: &str, wait: Duration) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut out = Vec::new();
        while let Ok(Some(Ok(msg))) = tokio::time::timeout_at(deadline, self.0.next()).await {
            if let Message::Text(text) = msg {
                let v: Value = serde_json::from_str(text.as_str()).expect("json frame");
                if v["type"] == kind {
                    out.push(v);
                }
            }
        }
        out
    }

    /// Every event that arrives before the answer to a `ping` sent now: what was queued for this socket by then.
    pub async fn until_pong(&mut self) -> Vec<Value> {
        self.send(json!({ "type": "ping" })).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let mut out = Vec::new();
        loop {
            let msg = tokio::time::timeout_at(deadline, self.0.next()).await.expect("pong in time");
            match msg {
                Some(Ok(Message::Text(text))) => {
                    let v: Value = serde_json::from_str(text.as_str()).expect("json frame");
                    if v["type"] == "pong" {
                        return out;
                    }
                    out.push(v);
                }
                Some(Ok(_)) => {}
                other => panic!("socket ended before pong: {other:?}"),
            }
        }
    }

    /// The code the server closes this socket with (frames before it are skipped); panics after 5 s.
    pub async fn close_code(&mut self) -> Option<u16> {
        tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                match self.0.next().await {
                    Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                    Some(Ok(_)) => continue,
                    _ => return None,
                }
            }
        })
        .await
        .expect("socket closed in time")
    }
}

pub fn agent_protocols(token: &str) -> Vec<String> {
    vec!["helpdesk.v1".into(), format!("helpdesk.token.{token}")]
}

pub fn visitor_protocols(token: &str) -> Vec<String> {
    vec!["helpdesk.v1".into(), format!("helpdesk.visitor-token.{token}")]
}

/// Starts (or continues, with `previous`) a visitor of website `key` from [`ORIGIN`]: `{visitorId, websiteId,
/// visitorToken}`.
pub async fn visitor_session(app: &TestApp, key: &str, previous: Option<&str>) -> Value {
    visitor_session_from(app, key, ORIGIN, previous).await
}

/// [`visitor_session`] from a page on `origin`.
pub async fn visitor_session_from(app: &TestApp, key: &str, origin: &str, previous: Option<&str>) -> Value {
    let res = app
        .client
        .post(app.url(&format!("/api/widget/session?apiKey={key}")))
        .header("Origin", origin)
        .header("CF-IPCountry", "FR")
        .json(&json!({ "visitorToken": previous }))
        .send()
        .await
        .expect("session");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers().get("access-control-allow-origin").and_then(|v| v.to_str().ok()), Some(origin));
    res.json().await.expect("json")
}

/// A visitor's socket from [`ORIGIN`], past `hello`.
pub async fn visitor_ws(app: &TestApp, key: &str, token: &str) -> Ws {
    let mut ws = Ws::visitor(app, key, token, Some(ORIGIN)).await.expect("visitor socket");
    ws.next("hello").await;
    ws
}

/// An agent's socket following `website`.
pub async fn agent_ws(app: &TestApp, token: &str, website: &str) -> Ws {
    let mut ws = Ws::agent(app, token).await.expect("agent socket");
    ws.next("hello").await;
    ws.send(json!({ "type": "join-website", "websiteId": website })).await;
    ws.next("joined").await;
    ws
}
