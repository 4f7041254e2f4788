//! The widget's limits with small settings, on both databases: messages per visitor (typed, uploaded, or left with
//! the offline form) and new sockets per address.

mod common;

use common::ws::{visitor_session, visitor_ws, Ws, ORIGIN};
use common::{test_config, Backend, TestApp, TestDb, PASSWORD};
use reqwest::StatusCode;
use serde_json::json;

per_backend!(visitor_messages_are_limited_per_visitor, new_sockets_are_limited_per_address);

struct Site {
    key: String,
}

async fn site(app: &TestApp) -> Site {
    let admin = app.admin_token().await;
    let created = app.create_website(&admin, "Shop", &["shop.example.com"]).await;
    let website = created["id"].as_str().expect("id").to_string();
    app.create_user(&admin, "g@helpdesk.test", "agent", &[website.as_str()]).await;
    app.token("g@helpdesk.test", PASSWORD).await;
    Site { key: created["apiKey"].as_str().expect("key").to_string() }
}

/// A visitor with an open socket and one chat: (socket, chat id, visitor token).
async fn visitor_with_chat(app: &TestApp, key: &str) -> (Ws, String, String) {
    let token = visitor_session(app, key, None).await["visitorToken"].as_str().expect("token").to_string();
    let mut visitor = visitor_ws(app, key, &token).await;
    visitor.send(json!({ "type": "chat-message", "clientMsgId": "first", "content": "Hello?" })).await;
    let chat = visitor.next("ack").await["chatId"].as_str().expect("chat").to_string();
    (visitor, chat, token)
}

async fn visitor_messages_are_limited_per_visitor(backend: Backend) {
    let db = TestDb::create(backend).await;
    let config = test_config(&db, &[("HELPDESK_VISITOR_MESSAGES_PER_MIN", "3")]);
    let app = TestApp::start(db, config).await;
    let s = site(&app).await;
    let (mut visitor, chat, _) = visitor_with_chat(&app, &s.key).await;
    for n in 2..=3 {
        visitor
            .send(json!({ "type": "chat-message", "chatId": chat, "clientMsgId": format!("m{n}"), "content": "hi" }))
            .await;
        visitor.next("ack").await;
    }
    visitor.send(json!({ "type": "chat-message", "chatId": chat, "clientMsgId": "m4", "content": "too many" })).await;
    let err = visitor.next_of(&["ack", "error"]).await;
    assert_eq!(err["code"], "rate_limited", "{err}");
    assert_eq!(err["clientMsgId"], "m4", "the client knows which message to send again");
    assert!(err["retryAfter"].as_u64().is_some_and(|s| s >= 1), "{err}");
    // Another visitor of the same website is not slowed down.
    let (_other, _, _) = visitor_with_chat(&app, &s.key).await;

    // Uploads and the offline form count as messages too.
    let token = visitor_session(&app, &s.key, None).await["visitorToken"].as_str().expect("t").to_string();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let form = reqwest::multipart::Form::new()
            .part("file", reqwest::multipart::Part::bytes(b"hello".to_vec()).file_name("a.txt"));
        let res = app
            .client
            .post(app.url(&format!("/api/widget/attachments?apiKey={}", s.key)))
            .header("Origin", ORIGIN)
            .bearer_auth(&token)
            .multipart(form)
            .send()
            .await
            .expect("upload");
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(res.headers().get("retry-after").is_some());
        }
        statuses.push(res.status());
    }
    assert_eq!(statuses[..3], [StatusCode::CREATED; 3]);
    assert_eq!(statuses[3], StatusCode::TOO_MANY_REQUESTS);
    let res = app
        .client
        .post(app.url(&format!("/api/widget/offline?apiKey={}", s.key)))
        .header("Origin", ORIGIN)
        .json(&json!({ "visitorToken": token, "name": "Ana", "email": "ana@example.com", "message": "Hi" }))
        .send()
        .await
        .expect("offline");
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    app.stop().await;
}

async fn new_sockets_are_limited_per_address(backend: Backend) {
    let db = TestDb::create(backend).await;
    let config = test_config(&db, &[("HELPDESK_SOCKETS_PER_IP_PER_MIN", "2")]);
    let app = TestApp::start(db, config).await;
    let token = app.admin_token().await;
    let _first = Ws::agent(&app, &token).await.expect("first");
    let _second = Ws::agent(&app, &token).await.expect("second");
    assert_eq!(Ws::agent(&app, &token).await.err(), Some(429));
    app.stop().await;
}
