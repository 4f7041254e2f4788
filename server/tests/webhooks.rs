//! Webhooks on both databases, POSTed to a real HTTP receiver the test runs on loopback (the server is told it may
//! send there): each event a website subscribed to arrives once, signed with the webhook's secret over the
//! timestamp and body, notes and other websites' events never; a receiver that fails is retried with backoff, a
//! delivery that gave up shows why and goes again on "send again" (to the webhook's current URL, signed with its
//! current secret); a paused webhook hears nothing; erasing a visitor removes their deliveries. Private addresses
//! are refused on a server that does not allow them, and only a website's admins reach its webhooks.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use common::ws::{agent_ws, visitor_session, visitor_ws};
use common::{test_config, Backend, TestApp, TestDb, PASSWORD};
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::Sha256;

per_backend!(
    subscribed_events_arrive_signed_and_once,
    failed_deliveries_are_retried_and_sent_again,
    private_addresses_and_other_tenants_are_refused
);

/// One POST the receiver got.
#[derive(Clone, Debug)]
struct Hit {
    event: String,
    delivery: String,
    signature: String,
    body: String,
}

impl Hit {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("JSON body")
    }

    /// Whether the signature is `secret`'s HMAC-SHA256 of `t.body`, and recent.
    fn signed_with(&self, secret: &str) -> bool {
        let Some((t, v1)) = self.signature.split_once(',') else { return false };
        let (Some(t), Some(v1)) = (t.strip_prefix("t="), v1.strip_prefix("v1=")) else { return false };
        let Ok(t) = t.parse::<i64>() else { return false };
        if (chrono::Utc::now().timestamp() - t).abs() > 300 {
            return false;
        }
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
        mac.update(format!("{t}.{}", self.body).as_bytes());
        let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        hex == v1
    }
}

/// An HTTP receiver on loopback that records every POST and answers 500 to the first `fail` of them.
struct Receiver {
    url: String,
    hits: Arc<Mutex<Vec<Hit>>>,
    fail: Arc<AtomicUsize>,
}

impl Receiver {
    async fn start() -> Receiver {
        let hits: Arc<Mutex<Vec<Hit>>> = Arc::default();
        let fail: Arc<AtomicUsize> = Arc::default();
        let (h, f) = (hits.clone(), fail.clone());
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let (hits, fail) = (h.clone(), f.clone());
                async move {
                    let header =
                        |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
                    hits.lock().expect("hits").push(Hit {
                        event: header("x-helpdesk-event"),
                        delivery: header("x-helpdesk-delivery"),
                        signature: header("x-helpdesk-signature"),
                        body,
                    });
                    let failing = fail.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
                    if failing {
                        StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        StatusCode::NO_CONTENT
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, hits, fail }
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().expect("hits").clone()
    }

    /// Waits (up to 15 s) for `n` POSTs in all.
    async fn wait_for(&self, n: usize) -> Vec<Hit> {
        for _ in 0..150 {
            let hits = self.hits();
            if hits.len() >= n {
                return hits;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the receiver got {:?}, not {n} POSTs", self.hits().iter().map(|h| &h.event).collect::<Vec<_>>());
    }
}

async fn app_allowing_loopback(backend: Backend) -> TestApp {
    let db = TestDb::create(backend).await;
    let config = test_config(&db, &[("HELPDESK_WEBHOOKS_ALLOW_PRIVATE", "true"), ("HELPDESK_WEBHOOK_RETRY_SECS", "1")]);
    TestApp::start(db, config).await
}

fn s(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_else(|| panic!("{key} in {v}")).to_string()
}

async fn subscribe(app: &TestApp, token: &str, website: &str, url: &str, events: &[&str]) -> Value {
    let body = json!({ "url": url, "events": events });
    let (status, hook) = app.api(Method::POST, &format!("/api/websites/{website}/webhooks"), token, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    hook
}

/// The delivery log as `token` sees it, waiting (up to 20 s) until `done` says it is what the test waits for.
async fn log_until(app: &TestApp, token: &str, query: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..200 {
        let (status, body) = app.api(Method::GET, &format!("/api/webhook-deliveries{query}"), token, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if done(&body) {
            return body;
        }
        last = body;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the delivery log never got there: {last}");
}

async fn subscribed_events_arrive_signed_and_once(backend: Backend) {
    let receiver = Receiver::start().await;
    let app = app_allowing_loopback(backend).await;
    let (a, c) = app.two_tenants("Shop A", "Shop C").await;
    let owner = app.token("owner@helpdesk.test", PASSWORD).await;
    let other = app.token("other@helpdesk.test", PASSWORD).await;
    let ana = app.token("ana@helpdesk.test", PASSWORD).await;
    let events = ["chat.created", "message.created", "chat.resolved", "offline.message", "chat.rated"];
    let hook = subscribe(&app, &owner, &s(&a, "id"), &receiver.url, &events).await;
    let secret = s(&hook, "secret");
    assert!(secret.starts_with("whsec_") && secret.len() > 40, "{hook}");
    assert_eq!(hook["events"], json!(events));
    assert_eq!(hook["isActive"], true);
    // Website C subscribes the same receiver to nothing A does; its own events are its own.
    subscribe(&app, &other, &s(&c, "id"), &receiver.url, &["offline.message"]).await;

    // A chat on A: created, the visitor's message, the agent's reply (the note stays inside), resolved.
    let mut ana_ws = agent_ws(&app, &ana, &s(&a, "id")).await;
    let session = visitor_session(&app, &s(&a, "apiKey"), None).await;
    let mut visitor = visitor_ws(&app, &s(&a, "apiKey"), &s(&session, "visitorToken")).await;
    visitor.send(json!({ "type": "chat-message", "clientMsgId": "m1", "content": "Is the red one in stock?" })).await;
    let chat = s(&visitor.next("ack").await, "chatId");
    ana_ws.next("new-message").await;
    for body in [
        json!({ "chatId": chat, "content": "Only in size M, I'm afraid.", "clientMsgId": "a1" }),
        json!({ "chatId": chat, "content": "Check the warehouse stock", "type": "note", "clientMsgId": "n1" }),
    ] {
        let (status, sent) = app.api(Method::POST, "/api/messages", &ana, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{sent}");
    }
    let (status, resolved) =
        app.api(Method::PATCH, &format!("/api/chats/{chat}"), &ana, Some(json!({ "status": "resolved" }))).await;
    assert_eq!(status, StatusCode::OK, "{resolved}");
    // A chat on C, which A's subscription never hears of; C's subscription wants only offline messages.
    let c_session = visitor_session(&app, &s(&c, "apiKey"), None).await;
    let mut c_visitor = visitor_ws(&app, &s(&c, "apiKey"), &s(&c_session, "visitorToken")).await;
    c_visitor.send(json!({ "type": "chat-message", "clientMsgId": "c1", "content": "Hello from C" })).await;
    c_visitor.next("ack").await;

    // Every message of the chat that is not a note (the visitor's, the agent's, the system lines), once each, and the
    // chat's creation and resolution.
    let (_, stored) = app.api(Method::GET, &format!("/api/chats/{chat}/messages"), &ana, None).await;
    let public: Vec<&Value> = stored.as_array().expect("messages").iter().filter(|m| m["type"] != "note").collect();
    assert!(public.len() >= 3, "{stored}");
    let hits = receiver.wait_for(public.len() + 2).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let hits_now = receiver.hits();
    assert_eq!(
        hits_now.len(),
        hits.len(),
        "nothing more arrives: {:?}",
        hits_now.iter().map(|h| &h.body).collect::<Vec<_>>()
    );
    for hit in &hits {
        assert!(hit.signed_with(&secret), "signed with A's secret: {hit:?}");
        let body = hit.json();
        assert_eq!(body["event"], hit.event.as_str());
        assert_eq!(body["id"], hit.delivery.as_str(), "the body names the delivery");
        assert_eq!(body["websiteId"], s(&a, "id"), "A's events only: {body}");
        assert!(!hit.body.contains("warehouse"), "an internal note never leaves: {}", hit.body);
    }
    let count = |event: &str| hits.iter().filter(|h| h.event == event).count();
    assert_eq!(
        (count("chat.created"), count("chat.resolved")),
        (1, 1),
        "{:?}",
        hits.iter().map(|h| &h.event).collect::<Vec<_>>()
    );
    let mut sent_ids: Vec<String> = hits
        .iter()
        .filter(|h| h.event == "message.created")
        .map(|h| h.json()["data"]["message"]["id"].as_str().unwrap_or_default().to_string())
        .collect();
    let mut stored_ids: Vec<String> = public.iter().map(|m| s(m, "id")).collect();
    sent_ids.sort();
    stored_ids.sort();
    assert_eq!(sent_ids, stored_ids, "each message once");
    let created = hits.iter().find(|h| h.event == "chat.created").expect("chat.created").json();
    assert_eq!(created["data"]["chat"]["id"], chat.as_str());
    let texts: Vec<String> = hits
        .iter()
        .filter(|h| h.event == "message.created")
        .map(|h| h.json()["data"]["message"]["content"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(texts.contains(&"Is the red one in stock?".to_string()), "{texts:?}");
    assert!(texts.contains(&"Only in size M, I'm afraid.".to_string()), "{texts:?}");
    let resolved = hits.iter().find(|h| h.event == "chat.resolved").expect("chat.resolved").json();
    assert_eq!(resolved["data"]["chat"]["status"], "resolved");

    // An offline message on A: offline.message (and its chat and message).
    let res = app
        .client
        .post(app.url(&format!("/api/widget/offline?apiKey={}", s(&a, "apiKey"))))
        .header("Origin", common::ws::ORIGIN)
        .json(&json!({ "name": "Rosa", "email": "rosa@example.com", "message": "Call me back?" }))
        .send()
        .await
        .expect("offline");
    assert_eq!(res.status(), StatusCode::CREATED);
    // The visitor rates the resolved chat: chat.rated, with the chat and the rating.
    let res = app
        .client
        .post(app.url(&format!("/api/widget/rating?apiKey={}", s(&a, "apiKey"))))
        .header("Origin", common::ws::ORIGIN)
        .bearer_auth(s(&session, "visitorToken"))
        .json(&json!({ "chatId": chat, "rating": 4, "comment": "Helpful" }))
        .send()
        .await
        .expect("rating");
    assert_eq!(res.status(), StatusCode::OK);
    let all = hits.len() + 4;
    let hits = receiver.wait_for(all).await;
    let rated = hits.iter().find(|h| h.event == "chat.rated").expect("chat.rated").json();
    assert_eq!(rated["data"]["chat"]["id"], chat.as_str());
    assert_eq!(
        (rated["data"]["rating"]["rating"].as_i64(), rated["data"]["rating"]["comment"].as_str()),
        (Some(4), Some("Helpful"))
    );
    let offline = hits.iter().find(|h| h.event == "offline.message").expect("offline.message").json();
    assert_eq!(
        (offline["data"]["name"].as_str(), offline["data"]["email"].as_str(), offline["data"]["message"].as_str()),
        (Some("Rosa"), Some("rosa@example.com"), Some("Call me back?"))
    );

    // The log: A's admin sees all of A's, sent with the receiver's status; C's admin none of them.
    let log = log_until(&app, &owner, "", |l| {
        l["deliveries"].as_array().is_some_and(|d| d.len() == all && d.iter().all(|x| x["status"] == "sent"))
    })
    .await;
    let first = &log["deliveries"][0];
    assert_eq!((first["responseStatus"].as_u64(), first["attempts"].as_u64()), (Some(204), Some(1)), "{log}");
    assert_eq!(first["url"], receiver.url.as_str());
    let (_, theirs) = app.api(Method::GET, "/api/webhook-deliveries", &other, None).await;
    assert_eq!(theirs["deliveries"], json!([]), "{theirs}");

    // Paused: nothing more is sent. Erasing the visitor takes their deliveries out of the log.
    let (status, paused) = app
        .api(Method::PATCH, &format!("/api/webhooks/{}", s(&hook, "id")), &owner, Some(json!({ "isActive": false })))
        .await;
    assert_eq!((status, paused["isActive"].as_bool()), (StatusCode::OK, Some(false)), "{paused}");
    let second = visitor_session(&app, &s(&a, "apiKey"), None).await;
    let mut again = visitor_ws(&app, &s(&a, "apiKey"), &s(&second, "visitorToken")).await;
    again.send(json!({ "type": "chat-message", "clientMsgId": "m2", "content": "Anyone?" })).await;
    again.next("ack").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.hits().len(), all, "a paused webhook hears nothing");
    // The visitor's export holds what was sent about their chat; erasing them deletes it.
    let (status, export) =
        app.api(Method::GET, &format!("/api/visitors/{}/export", s(&session, "visitorId")), &owner, None).await;
    assert_eq!(status, StatusCode::OK);
    let about = export["webhookDeliveries"].as_array().expect("deliveries");
    // Its messages, the chat's creation, resolution and rating.
    assert_eq!(about.len(), public.len() + 3, "{export}");
    assert!(about.iter().all(|d| d["body"]["data"].is_object()), "{export}");
    let (status, _) =
        app.api(Method::DELETE, &format!("/api/visitors/{}", s(&session, "visitorId")), &owner, None).await;
    assert_eq!(status, StatusCode::OK);
    let log = log_until(&app, &owner, "", |l| l["deliveries"].as_array().is_some_and(|d| d.len() == 3)).await;
    assert!(log["deliveries"].as_array().expect("list").iter().all(|d| d["event"] != "chat.resolved"), "{log}");
    app.stop().await;
}

async fn failed_deliveries_are_retried_and_sent_again(backend: Backend) {
    let receiver = Receiver::start().await;
    let app = app_allowing_loopback(backend).await;
    let (a, _c) = app.two_tenants("Shop A", "Shop C").await;
    let owner = app.token("owner@helpdesk.test", PASSWORD).await;
    let hook = subscribe(&app, &owner, &s(&a, "id"), &receiver.url, &["offline.message"]).await;
    let hook_id = s(&hook, "id");

    // Two 500s, then a 204: three tries (1 s, then 2 s apart), one delivery.
    receiver.fail.store(2, Ordering::SeqCst);
    let (status, ping) = app.api(Method::POST, &format!("/api/webhooks/{hook_id}/ping"), &owner, None).await;
    assert_eq!((status, ping["event"].as_str()), (StatusCode::ACCEPTED, Some("ping")), "{ping}");
    let hits = receiver.wait_for(3).await;
    assert!(hits.iter().all(|h| h.delivery == s(&ping, "id") && h.signed_with(&s(&hook, "secret"))), "{hits:?}");
    let log = log_until(&app, &owner, "", |l| l["deliveries"][0]["status"] == "sent").await;
    let d = &log["deliveries"][0];
    assert_eq!((d["attempts"].as_u64(), d["responseStatus"].as_u64()), (Some(3), Some(204)), "{log}");
    assert!(d["lastError"].is_null(), "{log}");

    // A receiver that is gone: the last try fails for good with the connection's error.
    let gone = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}/hook", listener.local_addr().expect("addr"))
    };
    let (status, moved) =
        app.api(Method::PATCH, &format!("/api/webhooks/{hook_id}"), &owner, Some(json!({ "url": gone }))).await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    let (_, ping) = app.api(Method::POST, &format!("/api/webhooks/{hook_id}/ping"), &owner, None).await;
    let log = log_until(&app, &owner, "", |l| l["deliveries"][0]["attempts"].as_u64() >= Some(1)).await;
    assert_eq!(log["deliveries"][0]["id"], ping["id"]);
    // Seven tries would take two minutes: the delivery is moved to its last one.
    {
        use domain::entities::webhook_deliveries as d;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let moved = d::Entity::update_many()
            .col_expr(d::Column::Attempts, sea_orm::sea_query::Expr::value(domain::webhooks::MAX_ATTEMPTS - 1))
            .col_expr(d::Column::NextAttemptAt, sea_orm::sea_query::Expr::value(chrono::Utc::now().naive_utc()))
            .filter(d::Column::Id.eq(s(&ping, "id")))
            .filter(d::Column::Status.eq(protocol::EmailStatus::Pending))
            .exec(app.state.db())
            .await
            .expect("last try");
        assert_eq!(moved.rows_affected, 1, "the delivery waits for its second try");
    }
    let log = log_until(&app, &owner, "", |l| l["failed"] == 1 && l["deliveries"][0]["status"] == "failed").await;
    let failed = &log["deliveries"][0];
    assert_eq!(failed["attempts"].as_u64(), Some(domain::webhooks::MAX_ATTEMPTS as u64));
    assert!(failed["lastError"].as_str().is_some_and(|e| !e.is_empty()), "the reason is shown: {failed}");
    let only_failed = log_until(&app, &owner, "?failed=true", |_| true).await;
    assert_eq!(only_failed["deliveries"].as_array().map(Vec::len), Some(1), "{only_failed}");

    // Send again, after pointing the webhook back at the receiver and rotating its secret: the same delivery
    // arrives at the new URL, signed with the new secret.
    app.api(Method::PATCH, &format!("/api/webhooks/{hook_id}"), &owner, Some(json!({ "url": receiver.url }))).await;
    let (status, rotated) =
        app.api(Method::POST, &format!("/api/webhooks/{hook_id}/rotate-secret"), &owner, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(rotated["secret"], hook["secret"]);
    let path = format!("/api/webhook-deliveries/{}/retry", s(&ping, "id"));
    let (status, queued) = app.api(Method::POST, &path, &owner, None).await;
    assert_eq!((status, queued["status"].as_str()), (StatusCode::OK, Some("pending")), "{queued}");
    let hits = receiver.wait_for(4).await;
    let last = hits.last().expect("hit");
    assert_eq!(last.delivery, s(&ping, "id"));
    assert!(last.signed_with(&s(&rotated, "secret")) && !last.signed_with(&s(&hook, "secret")), "{last:?}");
    let log = log_until(&app, &owner, "", |l| l["deliveries"][0]["status"] == "sent").await;
    assert_eq!(log["failed"], 0, "{log}");
    // A delivery waiting for its try is not queued twice.
    let (status, body) = app.api(Method::POST, &path, &owner, None).await;
    assert_eq!(status, StatusCode::OK, "a sent one may be sent again: {body}");
    let (status, body) = app.api(Method::POST, &path, &owner, None).await;
    if body["field"] == "status" {
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    } else {
        // The sender was quicker than the second call: it went out again already.
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    // Deleting the webhook deletes its log.
    let (status, _) = app.api(Method::DELETE, &format!("/api/webhooks/{hook_id}"), &owner, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    log_until(&app, &owner, "", |l| l["deliveries"] == json!([])).await;
    app.stop().await;
}

async fn private_addresses_and_other_tenants_are_refused(backend: Backend) {
    // This server keeps the default: no private addresses.
    let app = TestApp::spawn(backend).await;
    let (a, c) = app.two_tenants("Shop A", "Shop C").await;
    let owner = app.token("owner@helpdesk.test", PASSWORD).await;
    let other = app.token("other@helpdesk.test", PASSWORD).await;
    let ana = app.token("ana@helpdesk.test", PASSWORD).await;
    let list = format!("/api/websites/{}/webhooks", s(&a, "id"));
    for (body, field) in [
        (json!({ "url": "http://127.0.0.1:8080/hook", "events": ["chat.created"] }), "url"),
        (json!({ "url": "http://localhost/hook", "events": ["chat.created"] }), "url"),
        (json!({ "url": "http://[::1]/hook", "events": ["chat.created"] }), "url"),
        (json!({ "url": "http://169.254.169.254/latest/meta-data", "events": ["chat.created"] }), "url"),
        (json!({ "url": "http://10.0.0.8/hook", "events": ["chat.created"] }), "url"),
        (json!({ "url": "ftp://93.184.216.34/hook", "events": ["chat.created"] }), "url"),
        (json!({ "url": "https://user:pw@93.184.216.34/hook", "events": ["chat.created"] }), "url"),
        (json!({ "url": "https://93.184.216.34/hook", "events": [] }), "events"),
        (json!({ "url": "https://93.184.216.34/hook", "events": ["ping"] }), "events"),
    ] {
        let (status, err) = app.api(Method::POST, &list, &owner, Some(body.clone())).await;
        assert_eq!((status, err["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{body}: {err}");
    }
    let (status, _) = app
        .api(Method::POST, &list, &owner, Some(json!({ "url": "https://93.184.216.34/h", "events": ["nope"] })))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "an unknown event");
    let hook = subscribe(&app, &owner, &s(&a, "id"), "https://93.184.216.34/hook", &["chat.resolved"]).await;
    let id = s(&hook, "id");
    let (status, err) = app
        .api(Method::PATCH, &format!("/api/webhooks/{id}"), &owner, Some(json!({ "url": "http://192.168.1.10/x" })))
        .await;
    assert_eq!((status, err["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("url")), "{err}");

    // At most ten webhooks a website.
    for n in 2..=protocol::MAX_WEBHOOKS_PER_WEBSITE {
        subscribe(&app, &owner, &s(&a, "id"), &format!("https://93.184.216.34/hook{n}"), &["chat.resolved"]).await;
    }
    let (status, err) = app
        .api(
            Method::POST,
            &list,
            &owner,
            Some(json!({ "url": "https://93.184.216.34/one-more", "events": ["chat.resolved"] })),
        )
        .await;
    assert_eq!((status, err["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("url")), "{err}");
    // A delivery waiting for its next try is not queued again.
    let waiting = uuid::Uuid::now_v7().to_string();
    let later = chrono::Utc::now().naive_utc() + chrono::Duration::hours(1);
    {
        use sea_orm::ActiveModelTrait;
        domain::entities::webhook_deliveries::ActiveModel {
            id: sea_orm::Set(waiting.clone()),
            webhook_id: sea_orm::Set(id.clone()),
            website_id: sea_orm::Set(s(&a, "id")),
            chat_id: sea_orm::Set(None),
            event: sea_orm::Set(protocol::WebhookEvent::ChatResolved),
            payload: sea_orm::Set("{}".into()),
            status: sea_orm::Set(protocol::EmailStatus::Pending),
            attempts: sea_orm::Set(1),
            next_attempt_at: sea_orm::Set(later),
            response_status: sea_orm::Set(Some(500)),
            last_error: sea_orm::Set(Some("the receiver answered 500".into())),
            created_at: sea_orm::Set(later),
            delivered_at: sea_orm::Set(None),
        }
        .insert(app.state.db())
        .await
        .expect("a waiting delivery");
    }
    let (status, err) = app.api(Method::POST, &format!("/api/webhook-deliveries/{waiting}/retry"), &owner, None).await;
    assert_eq!((status, err["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("status")), "{err}");

    // A's agent may not see or change A's webhooks; C's admin does not find them; nobody signed out gets in.
    for (method, path) in [
        (Method::GET, list.clone()),
        (Method::POST, list.clone()),
        (Method::PATCH, format!("/api/webhooks/{id}")),
        (Method::DELETE, format!("/api/webhooks/{id}")),
        (Method::POST, format!("/api/webhooks/{id}/rotate-secret")),
        (Method::POST, format!("/api/webhooks/{id}/ping")),
    ] {
        let body = match (method.as_str(), path.as_str()) {
            ("POST", p) if p == list => Some(json!({ "url": "https://93.184.216.34/x", "events": ["chat.created"] })),
            ("PATCH", _) => Some(json!({ "isActive": false })),
            _ => None,
        };
        let (status, _) = app.api(method.clone(), &path, &ana, body.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path} as A's agent");
        let (status, text) = app.api(method.clone(), &path, &other, body.clone()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path} as C's admin: {text}");
        let (status, _) = app.api(method.clone(), &path, "not-a-token", body).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path} signed out");
    }
    let (status, _) = app.api(Method::GET, "/api/webhook-deliveries", &ana, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "agents do not read the delivery log");
    let (_, theirs) = app.api(Method::GET, &format!("/api/websites/{}/webhooks", s(&c, "id")), &other, None).await;
    assert_eq!(theirs, json!([]), "C has none, and sees none of A's");
    let (_, mine) = app.api(Method::GET, &list, &owner, None).await;
    assert_eq!(mine.as_array().map(Vec::len), Some(10), "A's webhooks are as they were: {mine}");
    assert_eq!((mine[0]["isActive"].as_bool(), mine[0]["secret"].as_str()), (Some(true), hook["secret"].as_str()));
    app.stop().await;
}
