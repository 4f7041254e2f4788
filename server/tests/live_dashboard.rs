//! The live dashboard on both databases: its snapshot and today's figures count only the websites the viewer
//! sees; visitors and agents online come and go with their sockets, and agents hear of each other only through
//! the websites they share.

mod common;

use common::ws::{agent_ws, visitor_session, visitor_ws, Ws};

use common::{Caller, TestApp, PASSWORD};
use reqwest::StatusCode;
use serde_json::{json, Value};

backend_tests!(the_dashboard_counts_only_the_viewers_websites, agents_online_come_and_go_with_their_sockets);

async fn cookie(app: &TestApp, email: &str) -> String {
    match app.callers(email, PASSWORD).await.1 {
        Caller::Dashboard(cookie) => cookie,
        Caller::Rest(_) => unreachable!("callers gives a cookie second"),
    }
}

async fn snapshot(app: &TestApp, cookie: &str) -> Value {
    let (status, body) = app.sfn("load_dashboard", cookie, json!({ "tz": "Europe/Berlin" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body[0].clone()
}

struct Sites {
    a: Value,
    b: Value,
    c: Value,
}

/// Websites A and B of one admin (Ana on both, Ben on A) and C of another admin (Cem on C).
async fn sites(app: &TestApp) -> Sites {
    let root = app.admin_token().await;
    app.create_user(&root, "owner@helpdesk.test", "admin", &[]).await;
    app.create_user(&root, "other@helpdesk.test", "admin", &[]).await;
    let owner = app.token("owner@helpdesk.test", PASSWORD).await;
    let other = app.token("other@helpdesk.test", PASSWORD).await;
    let a = app.create_website(&owner, "A", &["shop.example.com"]).await;
    let b = app.create_website(&owner, "B", &["shop.example.com"]).await;
    let c = app.create_website(&other, "C", &["shop.example.com"]).await;
    let id = |w: &Value| w["id"].as_str().expect("id").to_string();
    app.create_user(&owner, "ana@helpdesk.test", "agent", &[&id(&a), &id(&b)]).await;
    app.create_user(&owner, "ben@helpdesk.test", "agent", &[&id(&a)]).await;
    app.create_user(&other, "cem@helpdesk.test", "agent", &[&id(&c)]).await;
    Sites { a, b, c }
}

/// A visitor on `website` who has opened a chat and is on a page; their socket stays open while held.
async fn visitor_chatting(app: &TestApp, website: &Value, page: &str) -> Ws {
    let key = website["apiKey"].as_str().expect("key");
    let session = visitor_session(app, key, None).await;
    let mut ws = visitor_ws(app, key, session["visitorToken"].as_str().expect("token")).await;
    ws.send(json!({ "type": "page-view", "url": page, "title": "Shop" })).await;
    ws.send(json!({ "type": "chat-message", "content": "Hello?", "clientMsgId": "first" })).await;
    ws.next("ack").await;
    ws
}

async fn the_dashboard_counts_only_the_viewers_websites(app: &TestApp) {
    let s = sites(app).await;
    let _on_a = visitor_chatting(app, &s.a, "https://shop.example.com/a").await;
    let _on_b = visitor_chatting(app, &s.b, "https://shop.example.com/b").await;

    let ben = snapshot(app, &cookie(app, "ben@helpdesk.test").await).await;
    assert_eq!(ben["websites"].as_array().map(Vec::len), Some(1));
    assert_eq!(ben["openChats"].as_array().map(Vec::len), Some(1), "{ben}");
    assert_eq!(ben["openChats"][0]["websiteId"], s.a["id"]);
    assert_eq!(ben["openChats"][0]["status"], "waiting");
    let visitors = ben["visitors"].as_array().expect("visitors");
    assert_eq!(visitors.len(), 1, "{ben}");
    assert_eq!(visitors[0]["url"], "https://shop.example.com/a");
    assert_eq!(ben["figures"]["today"]["chats"], 1);
    assert_eq!(ben["figures"]["tz"], "Europe/Berlin");

    let ana = snapshot(app, &cookie(app, "ana@helpdesk.test").await).await;
    assert_eq!(ana["openChats"].as_array().map(Vec::len), Some(2));
    assert_eq!(ana["visitors"].as_array().map(Vec::len), Some(2));
    assert_eq!(ana["figures"]["today"]["chats"], 2);

    let other = snapshot(app, &cookie(app, "other@helpdesk.test").await).await;
    assert_eq!(other["openChats"].as_array().map(Vec::len), Some(0));
    assert_eq!(other["visitors"].as_array().map(Vec::len), Some(0));
    assert_eq!(other["figures"]["today"]["chats"], 0);

    // Today's figures alone, as the dashboard reads them again after a change.
    let (status, today) = app.sfn("load_today", &cookie(app, "ben@helpdesk.test").await, json!({ "tz": "UTC" })).await;
    assert_eq!(status, StatusCode::OK, "{today}");
    assert_eq!((today["today"]["chats"].clone(), today["tz"].clone()), (json!(1), json!("UTC")));
    let (status, body) =
        app.sfn("load_today", &cookie(app, "ben@helpdesk.test").await, json!({ "tz": "Nowhere/Else" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // Signed out: nothing.
    let (status, _) = app.sfn("load_dashboard", "helpdesk_session=forged", json!({ "tz": "UTC" })).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn agents_online_come_and_go_with_their_sockets(app: &TestApp) {
    let s = sites(app).await;
    let ana_token = app.token("ana@helpdesk.test", PASSWORD).await;
    let mut ana = agent_ws(app, &ana_token, s.a["id"].as_str().expect("id")).await;
    ana.send(json!({ "type": "join-website", "websiteId": s.b["id"] })).await;
    ana.next("joined").await;

    // Ben comes online: Ana hears it through website A (the one they share), and sees him on her dashboard.
    let ben_token = app.token("ben@helpdesk.test", PASSWORD).await;
    let ben = agent_ws(app, &ben_token, s.a["id"].as_str().expect("id")).await;
    let online = ana.next("agent-online").await;
    assert_eq!((online["name"].clone(), online["websiteId"].clone()), (json!("ben"), s.a["id"].clone()));
    let ana_view = snapshot(app, &cookie(app, "ana@helpdesk.test").await).await;
    let names: Vec<&str> =
        ana_view["agents"].as_array().expect("agents").iter().filter_map(|a| a["name"].as_str()).collect();
    assert_eq!(names, ["ana", "ben"]);
    // Cem, on another admin's website, hears nothing of Ben and does not see him.
    let cem_token = app.token("cem@helpdesk.test", PASSWORD).await;
    let mut cem = agent_ws(app, &cem_token, s.c["id"].as_str().expect("id")).await;
    let cem_view = snapshot(app, &cookie(app, "cem@helpdesk.test").await).await;
    let names: Vec<&str> =
        cem_view["agents"].as_array().expect("agents").iter().filter_map(|a| a["name"].as_str()).collect();
    assert_eq!(names, ["cem"]);

    // Ben's last socket closes: Ana hears he went offline.
    drop(ben);
    let offline = ana.next("agent-offline").await;
    assert_eq!(offline["userId"], online["userId"]);
    assert!(cem.collect("agent-offline", std::time::Duration::from_millis(300)).await.is_empty());
}
