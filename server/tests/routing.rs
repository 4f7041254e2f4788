//! Auto routing on both databases, through real sockets: new chats go in turn to online agents with room, the rest
//! wait in a queue whose place each visitor hears, away agents get none, a gone agent's chats return to the queue
//! after the grace period, manual websites stay as they were, and only those who manage a website set its routing.

mod common;

use std::time::{Duration, Instant};

use common::ws::{agent_ws, visitor_session, visitor_ws, Ws};
use common::{test_config, TestApp, TestDb, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

per_backend!(
    chats_take_turns_and_the_rest_wait_in_a_queue,
    a_gone_agents_chats_go_back_to_the_queue,
    routing_is_set_by_those_who_manage_the_website
);

async fn app(backend: common::Backend) -> TestApp {
    let db = TestDb::create(backend).await;
    let config = test_config(&db, &[("HELPDESK_ROUTING_GRACE_SECS", "1")]);
    TestApp::start(db, config).await
}

struct Team {
    owner: String,
    site: Value,
    ana: String,
    ben: String,
}

/// A website of its owner, with agents Ana and Ben, routed automatically with `capacity` chats each.
async fn team(app: &TestApp, capacity: u16) -> Team {
    let root = app.admin_token().await;
    app.create_user(&root, "owner@helpdesk.test", "admin", &[]).await;
    let owner = app.token("owner@helpdesk.test", PASSWORD).await;
    let site = app.create_website(&owner, "Shop", &["shop.example.com"]).await;
    let id = site["id"].as_str().expect("id").to_string();
    app.create_user(&owner, "ana@helpdesk.test", "agent", &[&id]).await;
    app.create_user(&owner, "ben@helpdesk.test", "agent", &[&id]).await;
    let (status, body) = app
        .api(
            Method::PUT,
            &format!("/api/websites/{id}"),
            &owner,
            Some(json!({ "routing": "auto", "agentCapacity": capacity })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["routing"].clone(), body["agentCapacity"].clone()), (json!("auto"), json!(capacity)));
    let ana = app.token("ana@helpdesk.test", PASSWORD).await;
    let ben = app.token("ben@helpdesk.test", PASSWORD).await;
    Team { owner, site, ana, ben }
}

/// A new visitor who writes, with their socket, and the id of the chat they opened.
async fn visitor_writes(app: &TestApp, site: &Value, text: &str) -> (Ws, String) {
    let key = site["apiKey"].as_str().expect("key");
    let session = visitor_session(app, key, None).await;
    let mut ws = visitor_ws(app, key, session["visitorToken"].as_str().expect("token")).await;
    ws.send(json!({ "type": "chat-message", "content": text, "clientMsgId": "first" })).await;
    let ack = ws.next("ack").await;
    (ws, ack["chatId"].as_str().expect("chat id").to_string())
}

async fn chat(app: &TestApp, token: &str, id: &str) -> Value {
    let (status, body) = app.api(Method::GET, &format!("/api/chats/{id}"), token, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Waits (up to `wait`) for the chat's assignee to become `Some(..)`/`None` as asked; returns the chat.
async fn until_assigned(app: &TestApp, token: &str, id: &str, assigned: bool, wait: Duration) -> Value {
    let deadline = Instant::now() + wait;
    loop {
        let c = chat(app, token, id).await;
        if c["assignedTo"].is_string() == assigned || Instant::now() > deadline {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn user_id(app: &TestApp, token: &str) -> Value {
    app.api(Method::GET, "/api/auth/me", token, None).await.1["id"].clone()
}

/// The next system line the visitor hears (their own messages and others pass by).
async fn system_line(ws: &mut Ws) -> String {
    loop {
        let m = ws.next("new-message").await;
        if m["message"]["senderType"] == "system" {
            return m["message"]["content"].as_str().unwrap_or_default().to_string();
        }
    }
}

/// The visitor's next `queue` place.
async fn place(ws: &mut Ws) -> Value {
    ws.next("queue").await["position"].clone()
}

async fn chats_take_turns_and_the_rest_wait_in_a_queue(backend: common::Backend) {
    let app = app(backend).await;
    let t = team(&app, 1).await;
    let site_id = t.site["id"].as_str().expect("id");
    let (ana_id, ben_id) = (user_id(&app, &t.ana).await, user_id(&app, &t.ben).await);
    let _ana = agent_ws(&app, &t.ana, site_id).await;
    let _ben = agent_ws(&app, &t.ben, site_id).await;

    // One chat each, in turn, with a line in the chat saying who joined.
    let (mut v1, c1) = visitor_writes(&app, &t.site, "First").await;
    let first = until_assigned(&app, &t.owner, &c1, true, Duration::from_secs(5)).await;
    assert_eq!(first["status"], "ongoing", "{first}");
    let joined = system_line(&mut v1).await;
    assert!(joined.ends_with("joined the chat"), "{joined}");
    assert_eq!(place(&mut v1).await, 0, "an agent has it");
    let (_v2, c2) = visitor_writes(&app, &t.site, "Second").await;
    let second = until_assigned(&app, &t.owner, &c2, true, Duration::from_secs(5)).await;
    let mut given = [first["assignedTo"].clone(), second["assignedTo"].clone()];
    given.sort_by_key(|v| v.to_string());
    let mut agents = [ana_id.clone(), ben_id.clone()];
    agents.sort_by_key(|v| v.to_string());
    assert_eq!(given, agents, "one each");

    // Nobody has room: the next visitors wait, and each hears their place.
    let (mut v3, c3) = visitor_writes(&app, &t.site, "Third").await;
    assert_eq!(place(&mut v3).await, 1);
    let (mut v4, c4) = visitor_writes(&app, &t.site, "Fourth").await;
    assert_eq!(place(&mut v4).await, 2);
    assert_eq!(chat(&app, &t.owner, &c3).await["status"], "waiting");

    // The first chat ends: its agent takes the third, and the fourth moves up.
    let first_agent = first["assignedTo"].clone();
    let first_token = if first_agent == ana_id { &t.ana } else { &t.ben };
    let (status, body) =
        app.api(Method::PATCH, &format!("/api/chats/{c1}"), first_token, Some(json!({ "status": "resolved" }))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let third = until_assigned(&app, &t.owner, &c3, true, Duration::from_secs(5)).await;
    assert_eq!(third["assignedTo"], first_agent);
    let mut heard = Vec::new();
    while heard.last() != Some(&json!(0)) {
        heard.push(place(&mut v3).await);
    }
    let mut moved = place(&mut v4).await;
    while moved == 2 {
        moved = place(&mut v4).await;
    }
    assert_eq!(moved, 1, "the fourth is next");

    // An away agent gets no chat, even with room; back online, they get the one waiting.
    let second_agent = second["assignedTo"].clone();
    let second_token = if second_agent == ana_id { &t.ana } else { &t.ben };
    app.api(Method::PATCH, "/api/me/availability", second_token, Some(json!({ "status": "away" }))).await;
    let (status, _) =
        app.api(Method::PATCH, &format!("/api/chats/{c2}"), second_token, Some(json!({ "status": "closed" }))).await;
    assert_eq!(status, StatusCode::OK);
    let still = until_assigned(&app, &t.owner, &c4, true, Duration::from_millis(1500)).await;
    assert!(still["assignedTo"].is_null(), "away: {still}");
    app.api(Method::PATCH, "/api/me/availability", second_token, Some(json!({ "status": "online" }))).await;
    let fourth = until_assigned(&app, &t.owner, &c4, true, Duration::from_secs(5)).await;
    assert_eq!(fourth["assignedTo"], second_agent);
    app.stop().await;
}

async fn a_gone_agents_chats_go_back_to_the_queue(backend: common::Backend) {
    let app = app(backend).await;
    let t = team(&app, 3).await;
    let site_id = t.site["id"].as_str().expect("id");
    let ana = agent_ws(&app, &t.ana, site_id).await;
    let (mut visitor, c) = visitor_writes(&app, &t.site, "Hello").await;
    let taken = until_assigned(&app, &t.owner, &c, true, Duration::from_secs(5)).await;
    assert_eq!(taken["assignedTo"], user_id(&app, &t.ana).await);

    // Ana closes the dashboard: after the grace period (1 s here, and the sweep's 5 s) the chat waits again.
    drop(ana);
    let back = until_assigned(&app, &t.owner, &c, false, Duration::from_secs(20)).await;
    assert!(back["assignedTo"].is_null(), "{back}");
    assert_eq!(back["status"], "waiting");
    assert_eq!(system_line(&mut visitor).await, "ana joined the chat");
    assert_eq!(system_line(&mut visitor).await, "ana is away; the chat is back in the queue");

    // Ben opens the dashboard and gets it.
    let _ben = agent_ws(&app, &t.ben, site_id).await;
    let again = until_assigned(&app, &t.owner, &c, true, Duration::from_secs(5)).await;
    let ben_id = user_id(&app, &t.ben).await;
    assert_eq!(again["assignedTo"], ben_id);

    // Ben keeps the dashboard open but chooses offline: the same, after the grace period.
    let offline = json!({ "status": "offline" });
    let (status, _) = app.api(Method::PATCH, "/api/me/availability", &t.ben, Some(offline)).await;
    assert_eq!(status, StatusCode::OK);
    let back = until_assigned(&app, &t.owner, &c, false, Duration::from_secs(20)).await;
    assert!(back["assignedTo"].is_null(), "{back}");
    // Online again: the queue moves to him.
    let online = json!({ "status": "online" });
    app.api(Method::PATCH, "/api/me/availability", &t.ben, Some(online)).await;
    let again = until_assigned(&app, &t.owner, &c, true, Duration::from_secs(5)).await;
    assert_eq!(again["assignedTo"], ben_id);
    app.stop().await;
}

async fn routing_is_set_by_those_who_manage_the_website(backend: common::Backend) {
    let app = app(backend).await;
    let root = app.admin_token().await;
    app.create_user(&root, "owner@helpdesk.test", "admin", &[]).await;
    app.create_user(&root, "other@helpdesk.test", "admin", &[]).await;
    let owner = app.token("owner@helpdesk.test", PASSWORD).await;
    let other = app.token("other@helpdesk.test", PASSWORD).await;
    let site = app.create_website(&owner, "Shop", &["shop.example.com"]).await;
    let id = site["id"].as_str().expect("id").to_string();
    assert_eq!(
        (site["website"]["routing"].clone(), site["website"]["agentCapacity"].clone()),
        (json!("manual"), json!(5))
    );
    app.create_user(&owner, "ana@helpdesk.test", "agent", &[&id]).await;
    let ana = app.token("ana@helpdesk.test", PASSWORD).await;
    let path = format!("/api/websites/{id}");

    for (bad, field) in [
        (json!({ "agentCapacity": 0 }), Some("agentCapacity")),
        (json!({ "agentCapacity": 51 }), Some("agentCapacity")),
        (json!({ "routing": "robot" }), None),
    ] {
        let (status, body) = app.api(Method::PUT, &path, &owner, Some(bad.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        if let Some(field) = field {
            assert_eq!(body["field"], field);
        }
    }
    let (status, _) = app.api(Method::PUT, &path, &ana, Some(json!({ "routing": "auto" }))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an agent of the website");
    let (status, _) = app.api(Method::PUT, &path, &other, Some(json!({ "routing": "auto" }))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another admin's website");
    let (_, now) = app.api(Method::GET, &path, &owner, None).await;
    assert_eq!((now["routing"].clone(), now["agentCapacity"].clone()), (json!("manual"), json!(5)));

    // Manual, as before: an online agent does not get the chat by themselves.
    let _ana = agent_ws(&app, &ana, &id).await;
    let (_visitor, c) = visitor_writes(&app, &site, "Anyone?").await;
    let waiting = until_assigned(&app, &owner, &c, true, Duration::from_millis(1500)).await;
    assert!(waiting["assignedTo"].is_null(), "{waiting}");
    assert_eq!(waiting["status"], "waiting");
    app.stop().await;
}
