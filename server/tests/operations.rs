//! What an operator configures around the server: the client address behind a trusted reverse proxy (and only
//! behind one), and `/metrics` behind its token.

mod common;

use common::ws::{visitor_session, visitor_ws};
use common::{test_config, Backend, TestApp, TestDb};
use serde_json::json;

per_backend!(behind_a_trusted_proxy_each_client_has_its_own_allowance, metrics_need_their_token_and_count_what_happens);

const METRICS_TOKEN: &str = "metrics-token-0123456789";

async fn app_with(backend: Backend, extra: &[(&str, &str)]) -> TestApp {
    let db = TestDb::create(backend).await;
    let config = test_config(&db, extra);
    TestApp::start(db, config).await
}

/// The status of a widget config request said to be forwarded for `forwarded`.
async fn config_for(app: &TestApp, key: &str, forwarded: &str) -> u16 {
    app.client
        .get(app.url(&format!("/api/widget/config?apiKey={key}")))
        .header("Origin", "https://shop.example.com")
        .header("X-Forwarded-For", forwarded)
        .send()
        .await
        .expect("config")
        .status()
        .as_u16()
}

async fn behind_a_trusted_proxy_each_client_has_its_own_allowance(backend: Backend) {
    let limit = ("HELPDESK_WIDGET_REQUESTS_PER_15MIN", "2");
    // The test client connects from 127.0.0.1: here that is the proxy.
    let app = app_with(backend, &[limit, ("HELPDESK_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8")]).await;
    let admin = app.admin_token().await;
    let key =
        app.create_website(&admin, "Shop", &["shop.example.com"]).await["apiKey"].as_str().expect("key").to_string();
    assert_eq!(config_for(&app, &key, "203.0.113.5").await, 200);
    assert_eq!(config_for(&app, &key, "203.0.113.5, 10.1.2.3").await, 200, "a second proxy of ours in between");
    assert_eq!(config_for(&app, &key, "203.0.113.5").await, 429);
    // A client cannot get a fresh allowance by writing an address of their choosing in front.
    assert_eq!(config_for(&app, &key, "198.51.100.1, 203.0.113.5").await, 429);
    assert_eq!(config_for(&app, &key, "203.0.113.6").await, 200, "another client has their own");
    app.stop().await;

    // Without a trusted proxy the header is the client's own words: ignored, so every request here is 127.0.0.1's.
    let app = app_with(backend, &[limit]).await;
    let admin = app.admin_token().await;
    let key =
        app.create_website(&admin, "Shop", &["shop.example.com"]).await["apiKey"].as_str().expect("key").to_string();
    assert_eq!(config_for(&app, &key, "203.0.113.5").await, 200);
    assert_eq!(config_for(&app, &key, "203.0.113.6").await, 200);
    assert_eq!(config_for(&app, &key, "203.0.113.7").await, 429);
    app.stop().await;
}

async fn metrics_need_their_token_and_count_what_happens(backend: Backend) {
    let off = app_with(backend, &[]).await;
    let res = off.client.get(off.url("/metrics")).send().await.expect("metrics");
    assert_eq!(res.status().as_u16(), 404, "off unless a token is configured");
    off.stop().await;

    let app = app_with(backend, &[("HELPDESK_METRICS_TOKEN", METRICS_TOKEN)]).await;
    let scrape = |token: Option<&'static str>| {
        let mut req = app.client.get(app.url("/metrics"));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send()
    };
    assert_eq!(scrape(None).await.expect("metrics").status().as_u16(), 401);
    assert_eq!(scrape(Some("metrics-token-0123456780")).await.expect("metrics").status().as_u16(), 401);

    let admin = app.admin_token().await;
    let key =
        app.create_website(&admin, "Shop", &["shop.example.com"]).await["apiKey"].as_str().expect("key").to_string();
    let session = visitor_session(&app, &key, None).await;
    let mut visitor = visitor_ws(&app, &key, session["visitorToken"].as_str().expect("token")).await;
    visitor.send(json!({ "type": "chat-message", "clientMsgId": "m1", "content": "Hello" })).await;
    visitor.next("ack").await;
    visitor.send(json!({ "type": "chat-message", "content": "" })).await;
    visitor.next("error").await;

    let res = scrape(Some(METRICS_TOKEN)).await.expect("metrics");
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap_or_default().starts_with("text/plain"));
    let text = res.text().await.expect("text");
    let value = |prefix: &str| -> f64 {
        text.lines().filter(|l| l.starts_with(prefix)).filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).sum()
    };
    assert!(value("helpdesk_messages_stored_total") >= 1.0, "{text}");
    assert!(value("helpdesk_sockets_open{kind=\"visitor\"}") >= 1.0, "{text}");
    assert!(value("helpdesk_message_store_and_fanout_seconds_count") >= 1.0, "{text}");
    assert!(value("helpdesk_message_store_and_fanout_seconds_bucket{le=\"0.0005\"}") >= 0.0, "{text}");
    assert!(value("helpdesk_writer_batch_size_count") >= 1.0, "{text}");
    assert!(value("helpdesk_errors_total{code=\"unauthorized\"}") >= 2.0, "{text}");
    assert!(value("helpdesk_errors_total{code=\"validation_failed\"}") >= 1.0, "{text}");
    assert_eq!(value("helpdesk_database_up"), 1.0, "{text}");
    assert!(!text.contains("helpdesk_redis_up"), "no Redis configured: {text}");
    drop(visitor);
    app.stop().await;
}
