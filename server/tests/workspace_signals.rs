//! What the workspace tells and is told, on both databases, over real HTTP and sockets: each user's notification
//! settings (their own only, bad values refused), the typing preview (what a visitor types reaches the website's
//! agents only, only while the website allows it, cut to its end, never the visitor's own other sockets, never
//! stored), and read receipts both ways (each side hears how far the other has read; a visitor can report only
//! their own chat, and the receipt comes back after a resume).

mod common;

use std::time::Duration;

use common::ws::{agent_ws, visitor_session, visitor_ws, Ws};
use common::{Caller, TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

backend_tests!(
    each_user_keeps_their_own_notification_settings,
    agents_see_what_the_visitor_types_when_the_website_allows_it,
    read_receipts_go_both_ways
);

const PATH: &str = "/api/me/notifications";

fn s(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_else(|| panic!("{key} in {v}")).to_string()
}

async fn each_user_keeps_their_own_notification_settings(app: &TestApp) {
    app.two_tenants("A", "C").await;
    let ana = app.token("ana@helpdesk.test", PASSWORD).await;
    let cem = app.token("cem@helpdesk.test", PASSWORD).await;
    let (status, body) = app.api(Method::GET, PATH, &ana, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({ "sound": true, "desktop": true, "repeatSeconds": 60 }));

    let (status, body) = app.api(Method::PATCH, PATH, &ana, Some(json!({ "sound": false, "repeatSeconds": 0 }))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({ "sound": false, "desktop": true, "repeatSeconds": 0 }));
    // Her availability is a separate choice: changing one keeps the other.
    app.api(Method::PATCH, "/api/me/availability", &ana, Some(json!({ "status": "away" }))).await;
    let (_, body) = app.api(Method::GET, PATH, &ana, None).await;
    assert_eq!(body, json!({ "sound": false, "desktop": true, "repeatSeconds": 0 }));
    app.api(Method::PATCH, PATH, &ana, Some(json!({ "repeatSeconds": 120 }))).await;
    let (_, body) = app.api(Method::GET, "/api/me/availability", &ana, None).await;
    assert_eq!(body["status"], "away", "{body}");

    // Refused, naming the field where there is one, and nothing changes.
    for (bad, field) in [
        (json!({ "repeatSeconds": 5 }), Some("repeatSeconds")),
        (json!({ "repeatSeconds": 3601 }), Some("repeatSeconds")),
        (json!({ "repeatSeconds": -1 }), None),
        (json!({ "sound": "loud" }), None),
        (json!({ "sound": true, "userId": "someone-else" }), None),
    ] {
        let (status, body) = app.api(Method::PATCH, PATH, &ana, Some(bad.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        if let Some(field) = field {
            assert_eq!(body["field"], field, "{body}");
        }
    }
    let (_, body) = app.api(Method::GET, PATH, &ana, None).await;
    assert_eq!(body, json!({ "sound": false, "desktop": true, "repeatSeconds": 120 }));

    // Ana's settings are hers alone.
    let (_, body) = app.api(Method::GET, PATH, &cem, None).await;
    assert_eq!(body, json!({ "sound": true, "desktop": true, "repeatSeconds": 60 }));

    // The dashboard's server functions, for the signed-in user.
    let Caller::Dashboard(cookie) = app.callers("cem@helpdesk.test", PASSWORD).await.1 else {
        unreachable!("callers gives a cookie second")
    };
    let (status, body) = app.sfn("set_notifications", &cookie, json!({ "change": { "desktop": false } })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.sfn("my_notifications", &cookie, json!({})).await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "sound": true, "desktop": false, "repeatSeconds": 60 })));
    let (status, _) = app.sfn("set_notifications", &cookie, json!({ "change": { "repeatSeconds": 1 } })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Signed out: nothing.
    let (status, _) = app.api(Method::GET, PATH, "not-a-token", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.api(Method::PATCH, PATH, "not-a-token", Some(json!({ "sound": true }))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) =
        app.sfn("set_notifications", "helpdesk_session=forged", json!({ "change": { "sound": true } })).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// A visitor of `site` with an open chat (one message sent); returns (visitor socket, chat id, visitor token).
async fn visitor_with_chat(app: &TestApp, site: &Value, agent: &mut Ws) -> (Ws, String, String) {
    let session = visitor_session(app, &s(site, "apiKey"), None).await;
    let token = s(&session, "visitorToken");
    let mut visitor = visitor_ws(app, &s(site, "apiKey"), &token).await;
    visitor.send(json!({ "type": "chat-message", "clientMsgId": "m1", "content": "Hello?" })).await;
    let ack = visitor.next("ack").await;
    agent.next("new-message").await;
    (visitor, s(&ack, "chatId"), token)
}

async fn agents_see_what_the_visitor_types_when_the_website_allows_it(app: &TestApp) {
    let (a, c) = app.two_tenants("A", "C").await;
    let owner = app.token("owner@helpdesk.test", PASSWORD).await;
    let ana_token = app.token("ana@helpdesk.test", PASSWORD).await;
    let cem_token = app.token("cem@helpdesk.test", PASSWORD).await;
    let mut ana = agent_ws(app, &ana_token, &s(&a, "id")).await;
    let mut cem = agent_ws(app, &cem_token, &s(&c, "id")).await;
    assert_eq!(a["website"]["typingPreview"], true, "on for a new website: {a}");
    let (mut visitor, chat_id, token) = visitor_with_chat(app, &a, &mut ana).await;
    // The same visitor in a second tab.
    let mut second_tab = visitor_ws(app, &s(&a, "apiKey"), &token).await;

    visitor.send(json!({ "type": "typing-start", "chatId": chat_id, "text": "I would like a refu" })).await;
    let typing = ana.next("user-typing").await;
    assert_eq!(
        (typing["senderType"].clone(), typing["preview"].clone()),
        (json!("visitor"), json!("I would like a refu"))
    );
    assert!(cem.collect("user-typing", Duration::from_millis(300)).await.is_empty(), "another website's agent");
    assert!(second_tab.collect("user-typing", Duration::from_millis(100)).await.is_empty(), "their own other tab");

    // A long draft: its end, at most 500 characters.
    let long = format!("{}{}", "a".repeat(600), "END");
    visitor.send(json!({ "type": "typing-start", "chatId": chat_id, "text": long })).await;
    let preview = ana.next("user-typing").await["preview"].as_str().expect("preview").to_string();
    assert_eq!(preview.chars().count(), 500);
    assert!(preview.ends_with("aEND"), "{preview}");

    // Agents' drafts never reach the visitor, only that they type.
    ana.send(json!({ "type": "typing-start", "chatId": chat_id, "text": "internal wording" })).await;
    let heard = visitor.next("user-typing").await;
    assert_eq!(heard["senderType"], "admin");
    assert!(heard.get("preview").is_none(), "{heard}");

    // The website turns it off: agents see only that the visitor types.
    let (status, body) = app
        .api(Method::PUT, &format!("/api/websites/{}", s(&a, "id")), &owner, Some(json!({ "typingPreview": false })))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["typingPreview"], false);
    visitor.send(json!({ "type": "typing-start", "chatId": chat_id, "text": "secret" })).await;
    let typing = ana.next("user-typing").await;
    assert_eq!(typing["senderType"], "visitor");
    assert!(typing.get("preview").is_none(), "{typing}");
    // An agent cannot turn it back on.
    let (status, _) = app
        .api(Method::PUT, &format!("/api/websites/{}", s(&a, "id")), &ana_token, Some(json!({ "typingPreview": true })))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A visitor cannot type into a chat of someone else.
    let other = visitor_session(app, &s(&a, "apiKey"), None).await;
    let mut stranger = visitor_ws(app, &s(&a, "apiKey"), &s(&other, "visitorToken")).await;
    stranger.send(json!({ "type": "typing-start", "chatId": chat_id, "text": "hijack" })).await;
    let refused = stranger.next("error").await;
    assert_eq!(refused["code"], "not_found", "{refused}");
    assert!(ana.collect("user-typing", Duration::from_millis(300)).await.is_empty());

    // Nothing typed was stored: the chat holds the one message sent.
    let (_, messages) = app.api(Method::GET, &format!("/api/chats/{chat_id}/messages"), &ana_token, None).await;
    let texts: Vec<Value> = messages.as_array().expect("messages").iter().map(|m| m["content"].clone()).collect();
    assert_eq!(texts, [json!("Hello?")]);
}

async fn read_receipts_go_both_ways(app: &TestApp) {
    let (a, _) = app.two_tenants("A", "C").await;
    let ana_token = app.token("ana@helpdesk.test", PASSWORD).await;
    let mut ana = agent_ws(app, &ana_token, &s(&a, "id")).await;
    let (mut visitor, chat_id, token) = visitor_with_chat(app, &a, &mut ana).await;
    visitor.send(json!({ "type": "chat-message", "clientMsgId": "m2", "content": "Anyone there?" })).await;
    assert_eq!(visitor.next("ack").await["seq"], 2);

    // Ana reads up to the visitor's second message: the visitor hears it, naming that message.
    ana.send(json!({ "type": "read", "chatId": chat_id, "seq": 2 })).await;
    let read = visitor.next("read").await;
    assert_eq!(read, json!({ "type": "read", "chatId": chat_id, "seq": 2, "senderType": "admin" }));

    // Ana answers (after the line saying she joined); the visitor has seen it: Ana hears it, and the chat says so.
    ana.send(json!({ "type": "chat-message", "chatId": chat_id, "clientMsgId": "r1", "content": "Yes, hello!" })).await;
    let reply = ana.next("ack").await["seq"].as_i64().expect("seq");
    assert!(reply > 2);
    visitor.send(json!({ "type": "read", "chatId": chat_id, "seq": reply })).await;
    let seen = ana.next("read").await;
    assert_eq!(seen, json!({ "type": "read", "chatId": chat_id, "seq": reply, "senderType": "visitor" }));
    let (_, detail) = app.api(Method::GET, &format!("/api/chats/{chat_id}"), &ana_token, None).await;
    assert_eq!(detail["visitorReadSeq"], reply, "{detail}");
    // Reporting less, the same, or beyond the last message moves nothing past the end, and is no news twice.
    visitor.send(json!({ "type": "read", "chatId": chat_id, "seq": 1 })).await;
    visitor.send(json!({ "type": "read", "chatId": chat_id, "seq": 99 })).await;
    assert!(ana.collect("read", Duration::from_millis(300)).await.is_empty());
    let (_, detail) = app.api(Method::GET, &format!("/api/chats/{chat_id}"), &ana_token, None).await;
    assert_eq!(detail["visitorReadSeq"], reply);
    visitor.send(json!({ "type": "read", "chatId": chat_id, "seq": -1 })).await;
    assert_eq!(visitor.next("error").await["code"], "validation_failed");

    // Another visitor cannot report reading this chat.
    let other = visitor_session(app, &s(&a, "apiKey"), None).await;
    let mut stranger = visitor_ws(app, &s(&a, "apiKey"), &s(&other, "visitorToken")).await;
    stranger.send(json!({ "type": "read", "chatId": chat_id, "seq": 1 })).await;
    assert_eq!(stranger.next("error").await["code"], "not_found");

    // The visitor comes back later: the receipt follows the resumed messages.
    drop(visitor);
    let mut back = visitor_ws(app, &s(&a, "apiKey"), &token).await;
    back.send(json!({ "type": "resume", "chats": { chat_id.as_str(): 0 } })).await;
    let heard: Vec<(Value, Value)> =
        back.until_pong().await.into_iter().map(|e| (e["type"].clone(), e["seq"].clone())).collect();
    let resumed: Vec<(Value, Value)> = heard.into_iter().filter(|(t, _)| t == "read" || t == "new-message").collect();
    let messages = usize::try_from(reply).expect("seq");
    assert_eq!(resumed.len(), messages + 1, "{resumed:?}");
    assert!(resumed[..messages].iter().all(|(t, _)| t == "new-message"), "{resumed:?}");
    assert_eq!(resumed[messages], (json!("read"), json!(2)), "the visitor's last message Ana has read");
}
