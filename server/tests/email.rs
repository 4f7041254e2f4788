//! Email on both databases, sent over SMTP to a real server the test starts (aiosmtpd, tools/smtp/sink.py) and
//! read back from what it received: an offline message reaches the website's team (and nobody else's) with the
//! visitor to reply to; a chat left waiting emails the team once; transcripts reach the visitor (asked by the
//! visitor, sent by an agent, or on resolution) without internal notes; a server that is down is retried with
//! backoff, a refused recipient fails for good and shows its reason, "send again" works; two nodes never send one
//! email twice; and only a website's admins see its outbox.

mod common;

use std::time::Duration;

use common::smtp::{Received, Smtp};
use common::ws::{agent_ws, visitor_session, visitor_ws, ORIGIN};
use common::{test_config, Backend, TestApp, TestDb, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

per_backend!(
    offline_messages_and_missed_chats_email_the_team,
    transcripts_reach_the_visitor_without_notes,
    mail_is_retried_and_failures_are_shown
);

const FROM: &str = "Helpdesk <help@helpdesk.test>";

async fn app_with_mail(backend: Backend, smtp: &Smtp) -> TestApp {
    let db = TestDb::create(backend).await;
    let url = smtp.url();
    let config = test_config(
        &db,
        &[("HELPDESK_SMTP_URL", url.as_str()), ("HELPDESK_MAIL_FROM", FROM), ("HELPDESK_MAIL_RETRY_SECS", "1")],
    );
    TestApp::start(db, config).await
}

fn s(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_else(|| panic!("{key} in {v}")).to_string()
}

async fn leave_offline(app: &TestApp, key: &str, name: &str, email: &str, message: &str) -> String {
    let res = app
        .client
        .post(app.url(&format!("/api/widget/offline?apiKey={key}")))
        .header("Origin", ORIGIN)
        .json(&json!({ "name": name, "email": email, "message": message }))
        .send()
        .await
        .expect("offline");
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.expect("json");
    s(&body, "chatId")
}

fn to_of(mail: &[Received]) -> Vec<String> {
    let mut to: Vec<String> = mail.iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    to
}

/// The outbox as `token` sees it, waiting (up to 15 s) until `done` says it is what the test waits for.
async fn outbox_until(app: &TestApp, token: &str, query: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..150 {
        let (status, body) = app.api(Method::GET, &format!("/api/emails{query}"), token, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if done(&body) {
            return body;
        }
        last = body;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the outbox never got there: {last}");
}

async fn offline_messages_and_missed_chats_email_the_team(backend: Backend) {
    let smtp = Smtp::start().await;
    let app = app_with_mail(backend, &smtp).await;
    let (a, c) = app.two_tenants("Shop A", "Shop C").await;
    let owner = app.token("owner@helpdesk.test", PASSWORD).await;
    let other = app.token("other@helpdesk.test", PASSWORD).await;
    let ana = app.token("ana@helpdesk.test", PASSWORD).await;
    let root = app.admin_token().await;

    let chat = leave_offline(&app, &s(&a, "apiKey"), "Rosa Diaz", "rosa@example.com", "Do you ship to Lisbon?").await;
    let mail = smtp.wait_for(2).await;
    assert_eq!(to_of(&mail), ["ana@helpdesk.test", "owner@helpdesk.test"], "A's team only, not C's");
    for m in &mail {
        assert_eq!(m.header("Subject").as_deref(), Some("Offline message from Rosa Diaz on Shop A"));
        assert_eq!(m.header("From").as_deref(), Some(FROM));
        assert_eq!(m.header("Reply-To").as_deref(), Some("rosa@example.com"), "the team can answer by replying");
        let body = m.body();
        assert!(body.contains("Do you ship to Lisbon?"), "{body}");
        assert!(body.contains(&format!("{}/admin/chats/{chat}", app.state.public_url())), "{body}");
    }

    // Who sees the outbox: the website's admin and the super admin; not another admin, not an agent.
    let mine = outbox_until(&app, &owner, "", |o| o["emails"].as_array().is_some_and(|e| e.len() == 2)).await;
    assert_eq!(mine["configured"], true);
    assert_eq!(mine["sender"], FROM);
    assert!(mine["server"].as_str().is_some_and(|s| s.starts_with("127.0.0.1:")), "{mine}");
    assert!(mine["emails"].as_array().expect("emails").iter().all(|e| e["status"] == "sent" && e["kind"] == "offline"));
    let (_, theirs) = app.api(Method::GET, "/api/emails", &other, None).await;
    assert_eq!(theirs["emails"], json!([]), "{theirs}");
    let (_, all) = app.api(Method::GET, "/api/emails", &root, None).await;
    assert_eq!(all["emails"].as_array().map(Vec::len), Some(2));
    let (status, _) = app.api(Method::GET, "/api/emails", &ana, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.api(Method::GET, "/api/emails", "not-a-token", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Missed chats: A emails after 1 minute; C never (0). Refused values change nothing.
    for bad in [json!({ "missedChatMinutes": 1441 }), json!({ "missedChatMinutes": -1 })] {
        let (status, body) = app.api(Method::PUT, &format!("/api/websites/{}", s(&a, "id")), &owner, Some(bad)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    let (status, body) = app
        .api(Method::PUT, &format!("/api/websites/{}", s(&a, "id")), &owner, Some(json!({ "missedChatMinutes": 1 })))
        .await;
    assert_eq!((status, body["missedChatMinutes"].as_u64()), (StatusCode::OK, Some(1)), "{body}");
    let (status, _) = app
        .api(Method::PUT, &format!("/api/websites/{}", s(&a, "id")), &ana, Some(json!({ "missedChatMinutes": 0 })))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an agent cannot change it");
    app.api(Method::PUT, &format!("/api/websites/{}", s(&c, "id")), &other, Some(json!({ "missedChatMinutes": 0 })))
        .await;

    let mut ana_ws = agent_ws(&app, &ana, &s(&a, "id")).await;
    let mut waiting = Vec::new();
    for site in [&a, &c] {
        let session = visitor_session(&app, &s(site, "apiKey"), None).await;
        let mut visitor = visitor_ws(&app, &s(site, "apiKey"), &s(&session, "visitorToken")).await;
        visitor.send(json!({ "type": "chat-message", "clientMsgId": "m1", "content": "Hello?" })).await;
        waiting.push(s(&visitor.next("ack").await, "chatId"));
    }
    ana_ws.next("new-message").await;
    // Nothing is due yet: the chats are new.
    assert_eq!(domain::services::emails::missed_chats(&app.state).await.expect("sweep"), 0);
    backdate(&app, &waiting, 2).await;
    assert_eq!(domain::services::emails::missed_chats(&app.state).await.expect("sweep"), 2, "A's team, once each");
    assert_eq!(domain::services::emails::missed_chats(&app.state).await.expect("sweep"), 0, "never twice");
    let mail = smtp.wait_for(4).await;
    let missed: Vec<&Received> = mail[2..].iter().collect();
    assert_eq!(to_of(&mail[2..]), ["ana@helpdesk.test", "owner@helpdesk.test"]);
    for m in missed {
        assert_eq!(m.header("Subject").as_deref(), Some("A chat on Shop A has waited over 1 min"));
        assert!(m.body().contains(&format!("/admin/chats/{}", waiting[0])), "{}", m.body());
    }
    // Nothing more is sent.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.received().len(), 4);
    app.stop().await;
}

/// Moves the chats' start `minutes` into the past.
async fn backdate(app: &TestApp, chat_ids: &[String], minutes: i64) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let when = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(minutes);
    domain::entities::chats::Entity::update_many()
        .col_expr(domain::entities::chats::Column::CreatedAt, sea_orm::sea_query::Expr::value(when))
        .filter(domain::entities::chats::Column::Id.is_in(chat_ids.iter().map(String::as_str)))
        .exec(app.state.db())
        .await
        .expect("backdate");
}

async fn transcripts_reach_the_visitor_without_notes(backend: Backend) {
    let smtp = Smtp::start().await;
    let app = app_with_mail(backend, &smtp).await;
    let (a, c) = app.two_tenants("Shop A", "Shop C").await;
    let owner = app.token("owner@helpdesk.test", PASSWORD).await;
    let ana = app.token("ana@helpdesk.test", PASSWORD).await;
    let cem = app.token("cem@helpdesk.test", PASSWORD).await;
    // No missed-chat mail in this test.
    app.api(Method::PUT, &format!("/api/websites/{}", s(&a, "id")), &owner, Some(json!({ "missedChatMinutes": 0 })))
        .await;

    let mut ana_ws = agent_ws(&app, &ana, &s(&a, "id")).await;
    let session = visitor_session(&app, &s(&a, "apiKey"), None).await;
    let visitor_token = s(&session, "visitorToken");
    use sea_orm::EntityTrait;
    let mut visitor = visitor_ws(&app, &s(&a, "apiKey"), &visitor_token).await;
    visitor.send(json!({ "type": "chat-message", "clientMsgId": "m1", "content": "Where is order 1042?" })).await;
    let chat = s(&visitor.next("ack").await, "chatId");
    ana_ws.next("new-message").await;
    for body in [
        json!({ "chatId": chat, "content": "It left the warehouse today.", "clientMsgId": "a1" }),
        json!({ "chatId": chat, "content": "VIP customer, keep it friendly", "type": "note", "clientMsgId": "n1" }),
    ] {
        let (status, sent) = app.api(Method::POST, "/api/messages", &ana, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{sent}");
    }
    let path = format!("/api/chats/{chat}/transcript");

    // The visitor left no address: the agent must give one; bad ones are refused.
    let (status, body) = app.api(Method::POST, &path, &ana, Some(json!({}))).await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("email")), "{body}");
    let (status, body) = app.api(Method::POST, &path, &ana, Some(json!({ "email": "not-an-email" }))).await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("email")), "{body}");
    let (status, _) = app.api(Method::POST, &path, &ana, Some(json!({ "email": "x@example.com", "cc": "y" }))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "unknown fields are refused");
    // Another website's agent cannot reach the chat.
    let (status, _) = app.api(Method::POST, &path, &cem, Some(json!({ "email": "cem@example.com" }))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, body) = app.api(Method::POST, &path, &ana, Some(json!({ "email": "buyer@example.com" }))).await;
    assert_eq!((status, body), (StatusCode::ACCEPTED, json!({ "queued": true })));
    let (status, body) = app.api(Method::POST, &path, &ana, Some(json!({ "email": "Buyer@example.com" }))).await;
    assert_eq!((status, body), (StatusCode::ACCEPTED, json!({ "queued": false })), "the same transcript once");
    let mail = smtp.wait_for(1).await;
    assert_eq!(mail[0].to, ["buyer@example.com"]);
    assert_eq!(mail[0].header("Subject").as_deref(), Some("Your chat with Shop A"));
    assert_eq!(mail[0].header("Reply-To").as_deref(), Some("ana@helpdesk.test"), "replies reach the agent");
    let text = mail[0].body();
    assert!(text.contains("You: Where is order 1042?"), "{text}");
    assert!(text.contains(": It left the warehouse today."), "{text}");
    assert!(!text.contains("VIP customer"), "internal notes never leave: {text}");

    // The visitor asks from the widget: their chat only, a valid address, and it is kept on them.
    let ask = |chat_id: &str, email: &str, token: &str| {
        app.client
            .post(app.url(&format!("/api/widget/transcript?apiKey={}", s(&a, "apiKey"))))
            .header("Origin", ORIGIN)
            .bearer_auth(token)
            .json(&json!({ "chatId": chat_id, "email": email }))
            .send()
    };
    let res = ask(&chat, "me@example", &visitor_token).await.expect("ask");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let stranger = visitor_session(&app, &s(&a, "apiKey"), None).await;
    let res = ask(&chat, "thief@example.com", &s(&stranger, "visitorToken")).await.expect("ask");
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "another visitor's chat");
    let res = ask(&chat, "anyone@example.com", "forged").await.expect("ask");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = ask(&chat, "rosa@example.com", &visitor_token).await.expect("ask");
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    assert_eq!(res.headers().get("access-control-allow-origin").and_then(|v| v.to_str().ok()), Some(ORIGIN));
    let mail = smtp.wait_for(2).await;
    assert_eq!(mail[1].to, ["rosa@example.com"]);
    assert!(mail[1].header("Reply-To").is_none());
    let kept = domain::entities::visitors::Entity::find_by_id(s(&session, "visitorId"))
        .one(app.state.db())
        .await
        .expect("visitor")
        .and_then(|v| v.email);
    assert_eq!(kept.as_deref(), Some("rosa@example.com"));

    // On resolution, when the website asks for it: the visitor's address, with the chat up to its end.
    let (status, body) = app
        .api(
            Method::PUT,
            &format!("/api/websites/{}", s(&a, "id")),
            &owner,
            Some(json!({ "transcriptOnResolve": true })),
        )
        .await;
    assert_eq!((status, body["transcriptOnResolve"].as_bool()), (StatusCode::OK, Some(true)), "{body}");
    app.api(
        Method::POST,
        "/api/messages",
        &ana,
        Some(json!({ "chatId": chat, "content": "Anything else?", "clientMsgId": "a2" })),
    )
    .await;
    let (status, _) =
        app.api(Method::PATCH, &format!("/api/chats/{chat}"), &ana, Some(json!({ "status": "resolved" }))).await;
    assert_eq!(status, StatusCode::OK);
    let mail = smtp.wait_for(3).await;
    assert_eq!(mail[2].to, ["rosa@example.com"]);
    let text = mail[2].body();
    assert!(text.contains("Anything else?") && text.contains("resolved"), "{text}");
    // A website that does not ask sends nothing on resolution.
    let session = visitor_session(&app, &s(&c, "apiKey"), None).await;
    let mut other_visitor = visitor_ws(&app, &s(&c, "apiKey"), &s(&session, "visitorToken")).await;
    other_visitor.send(json!({ "type": "chat-message", "clientMsgId": "m1", "content": "Hi" })).await;
    let other_chat = s(&other_visitor.next("ack").await, "chatId");
    app.api(
        Method::POST,
        &format!("/api/chats/{other_chat}/transcript"),
        &cem,
        Some(json!({ "email": "c@example.com" })),
    )
    .await;
    smtp.wait_for(4).await;
    app.api(Method::PATCH, &format!("/api/chats/{other_chat}"), &cem, Some(json!({ "status": "resolved" }))).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(smtp.received().len(), 4);
    app.stop().await;
}

async fn mail_is_retried_and_failures_are_shown(backend: Backend) {
    // The SMTP server is not there yet.
    let mut smtp = Smtp::reserve();
    let app = app_with_mail(backend, &smtp).await;
    let (a, c) = app.two_tenants("Shop A", "Shop C").await;
    let owner = app.token("owner@helpdesk.test", PASSWORD).await;
    let other = app.token("other@helpdesk.test", PASSWORD).await;
    let ana = app.token("ana@helpdesk.test", PASSWORD).await;
    let root = app.admin_token().await;
    app.api(Method::PUT, &format!("/api/websites/{}", s(&c, "id")), &other, Some(json!({ "missedChatMinutes": 0 })))
        .await;

    leave_offline(&app, &s(&a, "apiKey"), "Rosa", "rosa@example.com", "Hello?").await;
    let waiting = outbox_until(&app, &owner, "", |o| {
        o["emails"].as_array().is_some_and(|e| e.len() == 2 && e.iter().all(|e| e["attempts"].as_u64() >= Some(1)))
    })
    .await;
    for e in waiting["emails"].as_array().expect("emails") {
        assert_eq!(e["status"], "pending", "{e}");
        assert!(e["lastError"].as_str().is_some_and(|m| !m.is_empty()), "the reason is shown: {e}");
        assert!(e["nextAttemptAt"].is_string(), "{e}");
    }
    smtp.start_again().await;
    let mail = smtp.wait_for(2).await;
    assert_eq!(to_of(&mail), ["ana@helpdesk.test", "owner@helpdesk.test"]);
    let sent = outbox_until(&app, &owner, "", |o| {
        o["emails"].as_array().is_some_and(|e| e.iter().all(|e| e["status"] == "sent"))
    })
    .await;
    for e in sent["emails"].as_array().expect("emails") {
        assert!(e["attempts"].as_u64() >= Some(2) && e["lastError"].is_null() && e["sentAt"].is_string(), "{e}");
    }
    // Each email carries its outbox id, so a receiver can tell a resend from a new email.
    let ids: Vec<String> = sent["emails"].as_array().expect("emails").iter().map(|e| s(e, "id")).collect();
    for m in &mail {
        let id = m.header("Message-ID").expect("Message-ID");
        assert!(ids.iter().any(|i| id == format!("<{i}@helpdesk>")), "{id} in {ids:?}");
    }

    // A recipient the server refuses fails for good at once, with the server's reason.
    let session = visitor_session(&app, &s(&a, "apiKey"), None).await;
    let mut visitor = visitor_ws(&app, &s(&a, "apiKey"), &s(&session, "visitorToken")).await;
    visitor.send(json!({ "type": "chat-message", "clientMsgId": "m1", "content": "Hi" })).await;
    let chat = s(&visitor.next("ack").await, "chatId");
    let (status, _) = app
        .api(
            Method::POST,
            &format!("/api/chats/{chat}/transcript"),
            &ana,
            Some(json!({ "email": "reject@example.com" })),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let failed = outbox_until(&app, &owner, "?failed=true", |o| {
        // The count and the list are two reads: wait until both have seen the failure.
        o["failed"] == 1 && o["emails"].as_array().is_some_and(|e| e.len() == 1)
    })
    .await;
    let email = &failed["emails"][0];
    assert_eq!((email["status"].as_str(), email["attempts"].as_u64()), (Some("failed"), Some(1)), "{email}");
    assert!(email["lastError"].as_str().is_some_and(|m| m.contains("550")), "{email}");
    let id = s(email, "id");

    // Send again: only the website's admins; an agent gets 403, another admin 404; a sent email is refused.
    let retry = format!("/api/emails/{id}/retry");
    let (status, _) = app.api(Method::POST, &retry, &ana, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.api(Method::POST, &retry, &other, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = app.api(Method::POST, &format!("/api/emails/{}/retry", ids[0]), &owner, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = app.api(Method::POST, &retry, &owner, None).await;
    assert_eq!(
        (status, body["status"].as_str(), body["attempts"].as_u64()),
        (StatusCode::OK, Some("pending"), Some(0))
    );
    let again = outbox_until(&app, &root, "?failed=true", |o| {
        o["emails"].as_array().is_some_and(|e| e.len() == 1 && e[0]["status"] == "failed" && e[0]["attempts"] == 1)
    })
    .await;
    assert!(again["emails"][0]["lastError"].as_str().is_some_and(|m| m.contains("550")));
    let (_, log) = app.api(Method::GET, "/api/activity?action=email.retry", &owner, None).await;
    assert_eq!(log["total"], 1, "{log}");

    // Two nodes on one outbox: each email is sent once.
    let node2 = app.second_node().await;
    let before = smtp.received().len();
    leave_offline(&node2, &s(&a, "apiKey"), "Lee", "lee@example.com", "Two nodes?").await;
    smtp.wait_for(before + 2).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(smtp.received().len(), before + 2, "no email twice");

    // A node that stopped mid-send left its claim behind: a node starting later sends the email.
    use sea_orm::{ActiveModelTrait, Set};
    let long_ago = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(11);
    domain::entities::emails::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        kind: Set(protocol::EmailKind::Transcript),
        website_id: Set(Some(s(&a, "id"))),
        chat_id: Set(None),
        recipient: Set("late@example.com".into()),
        reply_to: Set(None),
        subject: Set("Left mid-send".into()),
        body: Set("Hello again".into()),
        dedupe_key: Set("test:left-mid-send".into()),
        status: Set(protocol::EmailStatus::Sending),
        attempts: Set(0),
        next_attempt_at: Set(long_ago),
        last_error: Set(None),
        created_at: Set(long_ago),
        sent_at: Set(None),
    }
    .insert(app.state.db())
    .await
    .expect("a claimed row");
    let node3 = app.second_node().await;
    let mail = smtp.wait_for(before + 3).await;
    assert_eq!(mail[before + 2].to, ["late@example.com"]);
    node3.stop().await;
    node2.stop().await;
    app.stop().await;
}
