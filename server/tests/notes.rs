//! Internal notes and system lines. A note is stored in the chat's order and heard by agents only: never by the
//! visitor — not over the socket, not on resume, not by a fresh socket — and a visitor cannot write one. Changes of
//! assignee and status are said in the chat as system lines both sides hear, and an agent's first answer to a
//! waiting chat says they joined it.

mod common;

use common::ws::{agent_ws, visitor_session, visitor_ws, Ws};
use common::{TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

backend_tests!(notes_reach_agents_only, a_visitor_cannot_write_a_note, changes_are_said_in_the_chat);

struct Chat {
    admin: String,
    admin_name: String,
    website: String,
    chat: String,
    visitor: Ws,
    agent: Ws,
}

/// A website, its visitor's chat with one message, and the super admin following the website.
async fn open_chat(app: &TestApp) -> Chat {
    let admin = app.admin_token().await;
    let (_, me) = app.api(Method::GET, "/api/auth/me", &admin, None).await;
    let admin_name = me["name"].as_str().expect("name").to_string();
    let site = app.create_website(&admin, "Shop", &["shop.example.com"]).await;
    let website = site["id"].as_str().expect("id").to_string();
    let key = site["apiKey"].as_str().expect("key").to_string();
    let session = visitor_session(app, &key, None).await;
    let mut visitor = visitor_ws(app, &key, session["visitorToken"].as_str().expect("token")).await;
    let mut agent = agent_ws(app, &admin, &website).await;
    visitor.send(json!({ "type": "chat-message", "clientMsgId": "v-1", "content": "Hello" })).await;
    let chat = visitor.next("ack").await["chatId"].as_str().expect("chat").to_string();
    agent.next("new-message").await;
    Chat { admin, admin_name, website, chat, visitor, agent }
}

/// The chat's messages as an agent reads them: (sender type, type, content).
async fn history(app: &TestApp, token: &str, chat: &str) -> Vec<(String, String, String)> {
    let (status, list) = app.api(Method::GET, &format!("/api/chats/{chat}/messages"), token, None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array()
        .expect("list")
        .iter()
        .map(|m| {
            let field = |k: &str| m[k].as_str().unwrap_or_default().to_string();
            (field("senderType"), field("type"), field("content"))
        })
        .collect()
}

fn heard(events: &[Value]) -> Vec<String> {
    events.iter().filter(|e| e["type"] == "new-message").map(|e| e["message"]["content"].to_string()).collect()
}

async fn notes_reach_agents_only(app: &TestApp) {
    let Chat { admin, admin_name, chat, mut visitor, mut agent, .. } = open_chat(app).await;

    // A note over the socket: acked, and heard by the website's agents as a note.
    let note = json!({ "type": "chat-message", "chatId": chat, "clientMsgId": "n-1", "content": "VIP, be nice", "note": true });
    agent.send(note.clone()).await;
    let events = agent.until_pong().await;
    let ack = events.iter().find(|e| e["type"] == "ack").expect("ack");
    assert_eq!(ack["seq"], 2, "{events:?}");
    let message = events.iter().find(|e| e["type"] == "new-message").expect("heard by agents");
    assert_eq!(
        (message["message"]["type"].as_str(), message["message"]["senderType"].as_str()),
        (Some("note"), Some("admin"))
    );
    // Sent again (a reconnect): stored once.
    agent.send(note).await;
    assert_eq!(agent.next("ack").await["seq"], 2);

    // One over REST, retried too.
    let body = json!({ "chatId": chat, "content": "Second note", "type": "note", "clientMsgId": "n-2" });
    let (status, first) = app.api(Method::POST, "/api/messages", &admin, Some(body.clone())).await;
    assert_eq!((status, first["type"].as_str()), (StatusCode::CREATED, Some("note")), "{first}");
    let (status, again) = app.api(Method::POST, "/api/messages", &admin, Some(body)).await;
    assert_eq!((status, &again["id"]), (StatusCode::OK, &first["id"]));
    let (status, refused) = app
        .api(Method::POST, "/api/messages", &admin, Some(json!({ "chatId": chat, "content": "x", "type": "file" })))
        .await;
    assert_eq!((status, refused["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("type")));

    // A note names its chat.
    agent.send(json!({ "type": "chat-message", "clientMsgId": "n-x", "content": "where?", "note": true })).await;
    let error = agent.next("error").await;
    assert_eq!((error["code"].as_str(), error["clientMsgId"].as_str()), (Some("validation_failed"), Some("n-x")));

    // Notes do not take the chat: it still waits, unassigned. The answer that follows does, saying so first.
    let (_, summary) = app.api(Method::GET, &format!("/api/chats/{chat}"), &admin, None).await;
    assert_eq!((summary["status"].as_str(), &summary["assignedTo"]), (Some("waiting"), &Value::Null), "{summary}");
    agent.send(json!({ "type": "chat-message", "chatId": chat, "clientMsgId": "a-1", "content": "Hi there" })).await;
    assert_eq!(agent.next("ack").await["seq"], 5, "after the two notes and the joined line");

    // The visitor heard neither note: the joined line and the answer.
    let joined = format!("{admin_name} joined the chat");
    let events = visitor.until_pong().await;
    assert_eq!(heard(&events), [json!(joined).to_string(), json!("Hi there").to_string()], "{events:?}");
    let line = events.iter().find(|e| e["type"] == "new-message").expect("line");
    assert_eq!(line["message"]["senderType"], "system");
    // nor on resume from the start.
    visitor.send(json!({ "type": "resume", "chats": { chat.clone(): 0 } })).await;
    let events = visitor.until_pong().await;
    let expected: Vec<String> = ["Hello", joined.as_str(), "Hi there"].iter().map(|c| json!(c).to_string()).collect();
    assert_eq!(heard(&events), expected, "{events:?}");
    assert!(events.iter().all(|e| !e.to_string().contains("VIP") && !e.to_string().contains("Second note")));

    // Agents read everything, in order.
    let all = history(app, &admin, &chat).await;
    let kinds: Vec<(&str, &str)> = all.iter().map(|(s, t, _)| (s.as_str(), t.as_str())).collect();
    assert_eq!(
        kinds,
        [("visitor", "text"), ("admin", "note"), ("admin", "note"), ("system", "text"), ("admin", "text")],
        "{all:?}"
    );
    // The answer took the chat.
    let (_, summary) = app.api(Method::GET, &format!("/api/chats/{chat}"), &admin, None).await;
    assert_eq!(summary["status"], "ongoing");
}

async fn a_visitor_cannot_write_a_note(app: &TestApp) {
    let Chat { admin, chat, mut visitor, mut agent, .. } = open_chat(app).await;
    // With and without a chat id: refused by name, nothing stored, nothing heard.
    for event in [
        json!({ "type": "chat-message", "chatId": chat, "clientMsgId": "v-note", "content": "I am staff", "note": true }),
        json!({ "type": "chat-message", "clientMsgId": "v-note-2", "content": "I am staff", "note": true }),
    ] {
        visitor.send(event.clone()).await;
        let error = visitor.next("error").await;
        assert_eq!((error["code"].as_str(), &error["clientMsgId"]), (Some("forbidden"), &event["clientMsgId"]));
    }
    assert!(heard(&agent.until_pong().await).is_empty());
    assert_eq!(history(app, &admin, &chat).await.len(), 1);
}

async fn changes_are_said_in_the_chat(app: &TestApp) {
    let Chat { admin, admin_name, website, chat, mut visitor, .. } = open_chat(app).await;
    app.create_user(&admin, "ben@helpdesk.test", "agent", &[website.as_str()]).await;
    let ben_token = app.token("ben@helpdesk.test", PASSWORD).await;
    let (_, ben) = app.api(Method::GET, "/api/auth/me", &ben_token, None).await;
    let ben_id = ben["id"].as_str().expect("id");
    let me_id = {
        let (_, me) = app.api(Method::GET, "/api/auth/me", &admin, None).await;
        me["id"].as_str().expect("id").to_string()
    };
    let patch = |body: Value| {
        let path = format!("/api/chats/{chat}");
        let admin = admin.clone();
        async move {
            let (status, summary) = app.api(Method::PATCH, &path, &admin, Some(body)).await;
            assert_eq!(status, StatusCode::OK, "{summary}");
        }
    };
    patch(json!({ "assignedTo": me_id })).await;
    patch(json!({ "assignedTo": ben_id, "note": "Needs the billing team" })).await;
    patch(json!({ "status": "resolved", "resolution": "refunded" })).await;
    patch(json!({ "status": "ongoing" })).await;
    patch(json!({ "assignedTo": "" })).await;
    // Saving what is already so says nothing.
    patch(json!({ "status": "ongoing" })).await;
    // A note too long for a message is refused with its field.
    let (status, refused) =
        app.api(Method::PATCH, &format!("/api/chats/{chat}"), &admin, Some(json!({ "note": "x".repeat(5001) }))).await;
    assert_eq!((status, refused["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("note")));

    let lines = [
        format!("{admin_name} joined the chat"),
        format!("{admin_name} transferred the chat to ben"),
        format!("{admin_name} resolved the chat"),
        format!("{admin_name} reopened the chat"),
        format!("{admin_name} unassigned the chat"),
    ];
    let all = history(app, &admin, &chat).await;
    let mut expected = vec![("visitor".to_string(), "text".to_string(), "Hello".to_string())];
    expected.push(("system".into(), "text".into(), lines[0].clone()));
    expected.push(("system".into(), "text".into(), lines[1].clone()));
    expected.push(("admin".into(), "note".into(), "Needs the billing team".into()));
    for line in &lines[2..] {
        expected.push(("system".into(), "text".into(), line.clone()));
    }
    assert_eq!(all, expected);
    // The visitor heard the lines, not the note.
    let events = visitor.until_pong().await;
    let lines: Vec<String> = lines.iter().map(|l| json!(l).to_string()).collect();
    assert_eq!(heard(&events), lines, "{events:?}");
}
