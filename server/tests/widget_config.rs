//! `GET /api/widget/config`: API key and Origin checks (parsed hosts, exact or `*.` at a dot boundary), CORS only for
//! allowed origins, the business-hours `online` flag, key rotation and deactivation taking effect at once, the
//! in-memory cache and its invalidation, and the per-IP rate limit.

mod common;

use common::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

backend_tests!(
    key_and_origin_are_checked_and_cors_goes_only_to_allowed_origins,
    rotation_deactivation_and_settings_changes_take_effect_at_once,
    online_follows_business_hours,
    widget_requests_are_rate_limited_per_ip,
);

async fn config(app: &TestApp, key: Option<&str>, origin: Option<&str>) -> reqwest::Response {
    let url = match key {
        Some(key) => app.url(&format!("/api/widget/config?apiKey={key}")),
        None => app.url("/api/widget/config"),
    };
    let mut req = app.client.get(url);
    if let Some(origin) = origin {
        req = req.header("Origin", origin);
    }
    req.send().await.expect("config")
}

async fn site(app: &TestApp, domains: &[&str]) -> (String, String, String) {
    let token = app.admin_token().await;
    let created = app.create_website(&token, "Shop", domains).await;
    (token, created["id"].as_str().expect("id").into(), created["apiKey"].as_str().expect("key").into())
}

async fn key_and_origin_are_checked_and_cors_goes_only_to_allowed_origins(app: &TestApp) {
    let (_, _, key) =
        site(app, &["shop.example.com", "*.example.org", "https://secure.example.net", "localhost:8080"]).await;

    for (what, key) in
        [("missing", None), ("unknown", Some("hdk_0000000000000000000000000000000000000000")), ("empty", Some(""))]
    {
        let res = config(app, key, Some("https://shop.example.com")).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{what} key");
        assert!(res.headers().get("access-control-allow-origin").is_none());
        assert_eq!(res.json::<Value>().await.expect("json")["error"], "invalid_api_key");
    }

    for origin in [
        "https://shop.example.com",
        "http://shop.example.com",
        "https://a.example.org",
        "https://deep.sub.example.org",
        "https://secure.example.net",
        "http://localhost:8080",
    ] {
        let res = config(app, Some(&key), Some(origin)).await;
        assert_eq!(res.status(), StatusCode::OK, "{origin}");
        let allow = res.headers().get("access-control-allow-origin").and_then(|v| v.to_str().ok()).map(String::from);
        assert_eq!(allow.as_deref(), Some(origin), "CORS for {origin}");
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["primaryColor"], "#2563eb");
        assert_eq!(body["position"], "bottom-right");
        assert_eq!(body["widgetSize"], "normal");
        assert_eq!(body["welcomeMessage"], "Hello! How can we help you today?");
        assert!(body["offlineMessage"].is_string() && body["customCss"].is_string());
        assert!(body["businessHours"]["days"].is_array());
        assert_eq!(body["online"], true);
    }

    for origin in [
        Some("https://evilshop.example.com"),
        Some("https://shop.example.com.evil.net"),
        Some("https://example.org"),
        Some("https://evilexample.org"),
        Some("http://secure.example.net"),
        Some("https://shop.example.com:8443"),
        Some("http://localhost:8081"),
        Some("null"),
        Some("file://"),
        None,
    ] {
        let res = config(app, Some(&key), origin).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{origin:?}");
        assert!(res.headers().get("access-control-allow-origin").is_none(), "no CORS for {origin:?}");
        assert_eq!(res.json::<Value>().await.expect("json")["error"], "origin_not_allowed");
    }

    // Preflight follows the same rule.
    let preflight = |origin: &'static str| {
        app.client
            .request(Method::OPTIONS, app.url(&format!("/api/widget/config?apiKey={key}")))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "GET")
            .send()
    };
    let ok = preflight("https://shop.example.com").await.expect("preflight");
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        ok.headers().get("access-control-allow-origin").and_then(|v| v.to_str().ok()),
        Some("https://shop.example.com")
    );
    let refused = preflight("https://evil.test").await.expect("preflight");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.headers().get("access-control-allow-origin").is_none());
}

async fn rotation_deactivation_and_settings_changes_take_effect_at_once(app: &TestApp) {
    let origin = Some("https://shop.example.com");
    let (token, id, key) = site(app, &["shop.example.com"]).await;
    assert_eq!(config(app, Some(&key), origin).await.status(), StatusCode::OK);
    let (hits_before, _) = app.state.widget_cache().stats();
    assert_eq!(config(app, Some(&key), origin).await.status(), StatusCode::OK);
    assert!(app.state.widget_cache().stats().0 > hits_before, "the second request is served from the cache");

    // Settings change: the cached config is replaced.
    let mut settings = app.api(Method::GET, &format!("/api/websites/{id}/settings"), &token, None).await.1;
    settings["welcomeMessage"] = json!("Bonjour !");
    settings["primaryColor"] = json!("#FF0000");
    let (status, saved) = app.api(Method::PUT, &format!("/api/websites/{id}/settings"), &token, Some(settings)).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let body: Value = config(app, Some(&key), origin).await.json().await.expect("json");
    assert_eq!(body["welcomeMessage"], "Bonjour !");
    assert_eq!(body["primaryColor"], "#ff0000");

    // Domain change.
    let (status, _) = app
        .api(Method::PUT, &format!("/api/websites/{id}"), &token, Some(json!({ "domains": ["other.example.com"] })))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(config(app, Some(&key), origin).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(config(app, Some(&key), Some("https://other.example.com")).await.status(), StatusCode::OK);
    let origin = Some("https://other.example.com");

    // Rotation: the old key stops at once, the new one works.
    let (status, rotated) = app.api(Method::POST, &format!("/api/websites/{id}/rotate-key"), &token, None).await;
    assert_eq!(status, StatusCode::OK);
    let new_key = rotated["apiKey"].as_str().expect("key");
    assert_ne!(new_key, key);
    assert!(rotated["embedCode"].as_str().expect("embed").contains(new_key));
    assert_eq!(config(app, Some(&key), origin).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(config(app, Some(new_key), origin).await.status(), StatusCode::OK);

    // Deactivation and reactivation.
    let (status, _) =
        app.api(Method::PUT, &format!("/api/websites/{id}"), &token, Some(json!({ "isActive": false }))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(config(app, Some(new_key), origin).await.status(), StatusCode::UNAUTHORIZED);
    app.api(Method::PUT, &format!("/api/websites/{id}"), &token, Some(json!({ "isActive": true }))).await;
    assert_eq!(config(app, Some(new_key), origin).await.status(), StatusCode::OK);

    // Deletion.
    app.api(Method::DELETE, &format!("/api/websites/{id}"), &token, None).await;
    assert_eq!(config(app, Some(new_key), origin).await.status(), StatusCode::UNAUTHORIZED);
}

async fn online_follows_business_hours(app: &TestApp) {
    let origin = Some("https://shop.example.com");
    let (token, id, key) = site(app, &["shop.example.com"]).await;
    let closed_all_week = json!({ "enabled": true, "timezone": "Europe/Paris", "days": [[], [], [], [], [], [], []] });
    let open_all_week: Vec<Value> = (0..7).map(|_| json!([{ "start": "00:00", "end": "24:00" }])).collect();
    for (hours, online) in [
        (closed_all_week, false),
        (json!({ "enabled": true, "timezone": "Asia/Tokyo", "days": open_all_week }), true),
        (json!({ "enabled": false, "timezone": "UTC", "days": [[], [], [], [], [], [], []] }), true),
    ] {
        let mut settings = app.api(Method::GET, &format!("/api/websites/{id}/settings"), &token, None).await.1;
        settings["businessHours"] = hours;
        let (status, body) =
            app.api(Method::PUT, &format!("/api/websites/{id}/settings"), &token, Some(settings)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let body: Value = config(app, Some(&key), origin).await.json().await.expect("json");
        assert_eq!(body["online"], online, "{body}");
    }

    // A site may also go offline while none of its agents is connected.
    let mut settings = app.api(Method::GET, &format!("/api/websites/{id}/settings"), &token, None).await.1;
    settings["businessHours"] = json!({ "enabled": false, "timezone": "UTC", "days": [[], [], [], [], [], [], []], "offlineWhenNoAgents": true });
    let (status, body) = app.api(Method::PUT, &format!("/api/websites/{id}/settings"), &token, Some(settings)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let online =
        || async { config(app, Some(&key), origin).await.json::<Value>().await.expect("json")["online"].clone() };
    assert_eq!(online().await, false, "no agent connected");
    {
        use futures_util::{SinkExt, StreamExt};
        use tokio_tungstenite::tungstenite::Message;
        let mut agent = common::ws::Ws::agent(app, &token).await.expect("agent socket").0;
        let join = json!({ "type": "join-website", "websiteId": id }).to_string();
        agent.send(Message::Text(join.into())).await.expect("join");
        while let Some(Ok(msg)) = agent.next().await {
            if matches!(&msg, Message::Text(t) if t.as_str().contains("\"joined\"")) {
                break;
            }
        }
        assert_eq!(online().await, true, "an agent follows the website");
        agent.close(None).await.ok();
    }
    let mut offline_again = false;
    for _ in 0..50 {
        if online().await == false {
            offline_again = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(offline_again, "the last agent left");

    // Invalid settings are refused with the field named, and nothing is saved.
    let before = app.api(Method::GET, &format!("/api/websites/{id}/settings"), &token, None).await.1;
    for (field, patch) in [
        ("primaryColor", json!({ "primaryColor": "red" })),
        (
            "timezone",
            json!({ "businessHours": { "enabled": true, "timezone": "Nowhere/City", "days": [[], [], [], [], [], [], []] } }),
        ),
        (
            "businessHours",
            json!({ "businessHours": { "enabled": true, "timezone": "UTC", "days": [[{ "start": "18:00", "end": "09:00" }], [], [], [], [], [], []] } }),
        ),
        (
            "businessHours",
            json!({ "businessHours": { "enabled": true, "timezone": "UTC", "days": [[{ "start": "09:00", "end": "13:00" }, { "start": "12:00", "end": "15:00" }], [], [], [], [], [], []] } }),
        ),
        ("customCss", json!({ "customCss": "x".repeat(10_001) })),
        ("welcomeMessage", json!({ "welcomeMessage": "x".repeat(501) })),
    ] {
        let mut settings = before.clone();
        for (k, v) in patch.as_object().expect("patch") {
            settings[k] = v.clone();
        }
        let (status, body) =
            app.api(Method::PUT, &format!("/api/websites/{id}/settings"), &token, Some(settings)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {body}");
        assert_eq!(body["field"], field, "{body}");
    }
    let after = app.api(Method::GET, &format!("/api/websites/{id}/settings"), &token, None).await.1;
    assert_eq!(before, after, "nothing was saved");
}

async fn widget_requests_are_rate_limited_per_ip(app: &TestApp) {
    let (_, _, key) = site(app, &["shop.example.com"]).await;
    let mut limited = None;
    for i in 0..105 {
        let res = config(app, Some(&key), Some("https://shop.example.com")).await;
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some((i, res));
            break;
        }
        assert_eq!(res.status(), StatusCode::OK, "request {i}");
    }
    let (i, res) = limited.expect("the 101st request is refused");
    assert_eq!(i, 100, "100 requests pass");
    let retry: u64 = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!(retry >= 1);
    // The page can read the refusal (or the widget could only say "no connection").
    assert_eq!(
        res.headers().get("access-control-allow-origin").and_then(|v| v.to_str().ok()),
        Some("https://shop.example.com")
    );
    assert_eq!(res.json::<Value>().await.expect("json")["error"], "rate_limited");
    // Preflights are not counted, so the refused request's own preflight still passes.
    let preflight = app
        .client
        .request(Method::OPTIONS, app.url(&format!("/api/widget/offline?apiKey={key}")))
        .header("Origin", "https://shop.example.com")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .expect("preflight");
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        preflight.headers().get("access-control-allow-origin").and_then(|v| v.to_str().ok()),
        Some("https://shop.example.com")
    );
}
