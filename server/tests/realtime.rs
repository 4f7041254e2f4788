//! The WebSocket hub with real sockets: visitor ↔ agent round trip, typing both ways, resume after missing
//! messages, idempotent retries, and every refusal (foreign visitor tokens, forged chat ids, non-members,
//! deactivated agents, cross-site cookies, malformed and oversized frames).

mod common;

use std::time::Duration;

use common::ws::{agent_ws, visitor_session, visitor_ws, Ws, ORIGIN};
use common::{TestApp, PASSWORD};
use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

backend_tests!(
    visitor_and_agent_talk_and_type_both_ways,
    a_reconnecting_agent_resumes_exactly_the_missed_messages,
    a_retried_message_is_stored_once,
    a_retry_through_another_node_is_stored_once,
    after_a_chat_is_closed_the_next_visitor_message_starts_a_new_one,
    many_visitors_at_once_get_their_own_gap_free_seqs,
    refusals_foreign_tokens_forged_chats_non_members,
    deactivating_an_agent_closes_their_socket,
    bad_frames_get_errors_and_the_socket_survives,
    unread_counts_follow_what_each_agent_read,
    a_socket_that_cannot_keep_up_is_closed_with_4008_and_resumes,
    a_visitor_goes_offline_when_their_last_socket_closes,
);

/// SQLite only: there the writer stores everything queued in one transaction, and a failed batch is written again
/// one message at a time (MySQL writes each send on its own).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_batch_with_a_message_for_a_deleted_chat_still_stores_the_others() {
    let app = TestApp::spawn(common::Backend::Sqlite).await;
    a_batch_with_a_message_for_a_deleted_chat_still_stores_the_others(&app).await;
    app.stop().await;
}

struct Setup {
    admin: String,
    agent: String,
    agent_id: String,
    website: String,
    key: String,
}

async fn setup(app: &TestApp) -> Setup {
    let admin = app.admin_token().await;
    let created = app.create_website(&admin, "Shop", &["shop.example.com"]).await;
    let website = created["id"].as_str().expect("id").to_string();
    let key = created["apiKey"].as_str().expect("key").to_string();
    let agent_id = app.create_user(&admin, "g@helpdesk.test", "agent", &[website.as_str()]).await;
    let agent = app.token("g@helpdesk.test", PASSWORD).await;
    Setup { admin, agent, agent_id, website, key }
}

async fn visitor_token(app: &TestApp, key: &str, previous: Option<&str>) -> Value {
    visitor_session(app, key, previous).await
}

async fn visitor_and_agent_talk_and_type_both_ways(app: &TestApp) {
    let s = setup(app).await;
    let session = visitor_token(app, &s.key, None).await;
    let token = session["visitorToken"].as_str().expect("token");
    let mut agent = agent_ws(app, &s.agent, &s.website).await;
    let mut visitor = visitor_ws(app, &s.key, token).await;
    assert_eq!(agent.next("visitor-online").await["visitorId"], session["visitorId"]);

    visitor.send(json!({ "type": "chat-message", "clientMsgId": "v-1", "content": "Hello, is anyone there?" })).await;
    let ack = visitor.next("ack").await;
    assert_eq!((ack["seq"].as_i64(), ack["clientMsgId"].as_str()), (Some(1), Some("v-1")));
    let chat_id = ack["chatId"].as_str().expect("chat").to_string();
    let created = agent.next("chat-created").await;
    assert_eq!(created["chat"]["status"], "waiting");
    let got = agent.next("new-message").await;
    assert_eq!(got["message"]["content"], "Hello, is anyone there?");
    assert_eq!(got["message"]["senderType"], "visitor");
    assert_eq!(got["message"]["seq"], 1);

    visitor.send(json!({ "type": "typing-start", "chatId": chat_id })).await;
    assert_eq!(agent.next("user-typing").await["senderType"], "visitor");
    agent.send(json!({ "type": "typing-start", "chatId": chat_id })).await;
    assert_eq!(visitor.next("user-typing").await["senderType"], "admin");
    agent.send(json!({ "type": "typing-stop", "chatId": chat_id })).await;
    assert_eq!(visitor.next("user-stopped-typing").await["senderType"], "admin");

    // Backdated, so the take's own updatedAt shows whatever the column's precision (seconds on MySQL).
    use sea_orm::ConnectionTrait;
    app.state
        .db()
        .execute_unprepared(&format!("UPDATE chats SET updated_at = '2000-01-01 00:00:00' WHERE id = '{chat_id}'"))
        .await
        .expect("backdate the chat");
    agent.send(json!({ "type": "chat-message", "chatId": chat_id, "clientMsgId": "a-1", "content": "Hi! How can I help?" })).await;
    // Answering a waiting chat takes it: the update is published before the sender's ack.
    let updated = agent.next("chat-updated").await;
    assert_eq!(
        (updated["chat"]["status"].as_str(), updated["chat"]["assignedTo"].as_str()),
        (Some("ongoing"), Some(s.agent_id.as_str()))
    );
    let taken_at = updated["chat"]["updatedAt"].as_str().expect("updatedAt");
    assert!(!taken_at.starts_with("2000-"), "taking the chat is a change of the chat: updatedAt {taken_at}");
    // The chat became theirs: said in the chat (seq 2) just before the answer (seq 3).
    assert_eq!(agent.next("ack").await["seq"], 3);
    let joined = visitor.next("new-message").await;
    assert_eq!(
        (joined["message"]["seq"].as_i64(), joined["message"]["senderType"].as_str()),
        (Some(2), Some("system"))
    );
    assert!(joined["message"]["content"].as_str().is_some_and(|c| c.ends_with(" joined the chat")), "{joined}");
    let reply = visitor.next("new-message").await;
    assert_eq!(
        (reply["message"]["content"].as_str(), reply["message"]["senderType"].as_str()),
        (Some("Hi! How can I help?"), Some("admin"))
    );

    let (status, history) =
        app.api(Method::GET, &format!("/api/chats/{chat_id}/messages?after_seq=0"), &s.agent, None).await;
    assert_eq!(status, StatusCode::OK);
    let seqs: Vec<i64> = history.as_array().expect("list").iter().filter_map(|m| m["seq"].as_i64()).collect();
    assert_eq!(seqs, [1, 2, 3]);
    // The times the events announced are the stored ones, to the millisecond (MySQL once kept whole seconds).
    assert_eq!(history[0]["createdAt"], got["message"]["createdAt"]);
    assert_eq!(history[2]["createdAt"], reply["message"]["createdAt"]);
    let (_, stored) = app.api(Method::GET, &format!("/api/chats/{chat_id}"), &s.agent, None).await;
    assert_eq!(stored["startedAt"], created["chat"]["startedAt"]);
    assert_eq!(stored["updatedAt"], updated["chat"]["updatedAt"]);

    // The page trail: reported pages reach the agents and are kept; odd URLs are refused.
    visitor.send(json!({ "type": "page-view", "url": "javascript:alert(1)", "title": "x" })).await;
    assert_eq!(visitor.next("error").await["code"], "validation_failed");
    visitor.send(json!({ "type": "page-view", "url": "https://shop.example.com/checkout", "title": "Checkout" })).await;
    let page = agent.next("visitor-page").await;
    assert_eq!(
        (page["url"].as_str(), page["title"].as_str()),
        (Some("https://shop.example.com/checkout"), Some("Checkout"))
    );
    let cookie = app.dashboard_session("g@helpdesk.test", PASSWORD).await.expect("session");
    let (status, detail) = app.sfn("chat_detail", &cookie, json!({ "id": chat_id })).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["visitor"]["pages"][0]["url"], "https://shop.example.com/checkout");
    assert_eq!(detail["visitor"]["online"], true);
    // No proxy header is trusted unless configured (the session request sent none; a spoofed one is ignored below).
    assert_eq!(detail["visitor"]["country"], Value::Null);

    // The same visitor coming back (page reload) gets their chat back in hello.
    let again = visitor_token(app, &s.key, Some(token)).await;
    assert_eq!(again["visitorId"], session["visitorId"]);
    let mut reloaded =
        Ws::visitor(app, &s.key, again["visitorToken"].as_str().expect("t"), Some(ORIGIN)).await.expect("socket");
    let hello = reloaded.next("hello").await;
    assert_eq!(hello["chats"][0]["id"], chat_id.as_str());
    assert_eq!(hello["chats"][0]["lastSeq"], 3);

    // The seed's REST send reaches the visitor too.
    let (status, sent) = app
        .api(
            Method::POST,
            "/api/messages",
            &s.admin,
            Some(json!({ "chatId": chat_id, "content": "From the API", "type": "text", "sender": "admin" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    assert_eq!(reloaded.next("new-message").await["message"]["seq"], 4);
}

async fn a_reconnecting_agent_resumes_exactly_the_missed_messages(app: &TestApp) {
    let s = setup(app).await;
    let token = visitor_token(app, &s.key, None).await["visitorToken"].as_str().expect("t").to_string();
    let mut visitor = visitor_ws(app, &s.key, &token).await;
    let mut agent = agent_ws(app, &s.agent, &s.website).await;
    visitor.send(json!({ "type": "chat-message", "clientMsgId": "m-0", "content": "first" })).await;
    let chat_id = visitor.next("ack").await["chatId"].as_str().expect("chat").to_string();
    assert_eq!(agent.next("new-message").await["message"]["seq"], 1);
    drop(agent);

    for i in 1..=20 {
        visitor
            .send(json!({ "type": "chat-message", "clientMsgId": format!("m-{i}"), "content": format!("missed {i}") }))
            .await;
        assert_eq!(visitor.next("ack").await["seq"], i + 1);
    }

    let mut agent = agent_ws(app, &s.agent, &s.website).await;
    agent.send(json!({ "type": "resume", "chats": { chat_id.clone(): 1 } })).await;
    let got = agent.collect("new-message", Duration::from_millis(700)).await;
    let seqs: Vec<i64> = got.iter().filter_map(|m| m["message"]["seq"].as_i64()).collect();
    assert_eq!(seqs, (2..=21).collect::<Vec<i64>>(), "exactly the 20 missed messages, in order");
    assert_eq!(got[0]["message"]["content"], "missed 1");
    assert_eq!(got[19]["message"]["content"], "missed 20");
}

async fn a_retried_message_is_stored_once(app: &TestApp) {
    let s = setup(app).await;
    let token = visitor_token(app, &s.key, None).await["visitorToken"].as_str().expect("t").to_string();
    let mut visitor = visitor_ws(app, &s.key, &token).await;
    let mut acks = Vec::new();
    for _ in 0..3 {
        visitor.send(json!({ "type": "chat-message", "clientMsgId": "same-id", "content": "only once" })).await;
        acks.push(visitor.next("ack").await);
    }
    assert!(acks.iter().all(|a| a["seq"] == 1 && a["messageId"] == acks[0]["messageId"]), "{acks:?}");
    let chat_id = acks[0]["chatId"].as_str().expect("chat");
    let (_, history) = app.api(Method::GET, &format!("/api/chats/{chat_id}/messages"), &s.agent, None).await;
    assert_eq!(history.as_array().expect("list").len(), 1);
    visitor.send(json!({ "type": "chat-message", "clientMsgId": "next-id", "content": "then the next" })).await;
    assert_eq!(visitor.next("ack").await["seq"], 2, "no seq was burnt by the retries");

    // Retries sent back to back (one write batch on SQLite) are stored once too, beside a new message.
    for (id, text) in [("burst", "a"), ("burst", "a"), ("other", "b"), ("burst", "a")] {
        visitor.send(json!({ "type": "chat-message", "chatId": chat_id, "clientMsgId": id, "content": text })).await;
    }
    let mut acks = Vec::new();
    for _ in 0..4 {
        let ack = visitor.next("ack").await;
        acks.push((ack["clientMsgId"].as_str().unwrap_or_default().to_string(), ack["seq"].as_i64().unwrap_or(0)));
    }
    let burst: Vec<i64> = acks.iter().filter(|(id, _)| id == "burst").map(|(_, seq)| *seq).collect();
    let other: Vec<i64> = acks.iter().filter(|(id, _)| id == "other").map(|(_, seq)| *seq).collect();
    assert_eq!(burst.len(), 3, "{acks:?}");
    assert!(burst.iter().all(|s| *s == burst[0]), "{acks:?}");
    assert_eq!(other.len(), 1);
    let mut seqs = vec![burst[0], other[0]];
    seqs.sort();
    assert_eq!(seqs, [3, 4], "{acks:?}");
    let (_, history) = app.api(Method::GET, &format!("/api/chats/{chat_id}/messages"), &s.agent, None).await;
    assert_eq!(history.as_array().expect("list").len(), 4);
}

/// A retry that reaches another node (or this one after a restart, knowing nothing yet) is still a retry, both
/// ways. On SQLite the writer finds retries in memory, so this is it noticing messages it did not write itself.
async fn a_retry_through_another_node_is_stored_once(app: &TestApp) {
    let s = setup(app).await;
    let token = visitor_token(app, &s.key, None).await["visitorToken"].as_str().expect("t").to_string();
    let mut here = visitor_ws(app, &s.key, &token).await;
    here.send(json!({ "type": "chat-message", "clientMsgId": "first", "content": "hello" })).await;
    let first = here.next("ack").await;
    let chat_id = first["chatId"].as_str().expect("chat").to_string();

    let node = app.second_node().await;
    let mut there = visitor_ws(&node, &s.key, &token).await;
    let send = |cid: &str| json!({ "type": "chat-message", "chatId": chat_id, "clientMsgId": cid, "content": "x" });
    there.send(send("first")).await;
    let again = there.next("ack").await;
    assert_eq!((&again["seq"], &again["messageId"]), (&first["seq"], &first["messageId"]), "{again}");
    there.send(send("second")).await;
    let second = there.next("ack").await;
    assert_eq!(second["seq"], 2, "{second}");

    here.send(send("second")).await;
    let retried = here.next("ack").await;
    assert_eq!((&retried["seq"], &retried["messageId"]), (&second["seq"], &second["messageId"]), "{retried}");
    here.send(send("third")).await;
    assert_eq!(here.next("ack").await["seq"], 3);
    let (_, history) = app.api(Method::GET, &format!("/api/chats/{chat_id}/messages"), &s.agent, None).await;
    let cids: Vec<&str> = history.as_array().expect("list").iter().filter_map(|m| m["clientMsgId"].as_str()).collect();
    assert_eq!(cids, ["first", "second", "third"]);
    // A chat's last seq is read from its messages, whichever node stored them.
    let (_, chat) = app.api(Method::GET, &format!("/api/chats/{chat_id}"), &s.agent, None).await;
    assert_eq!(chat["lastSeq"], 3, "{chat}");
    let (_, inbox) = node.api(Method::GET, "/api/chats", &s.agent, None).await;
    assert_eq!(inbox[0]["lastSeq"], 3, "{inbox}");
    drop(there);
    node.stop().await;
}

/// Many chats written together (one batch on SQLite: one `UPDATE … FROM (VALUES …)` for every chat, one join for
/// the retries): each visitor's messages get 1, 2, 3 … in their own chat, and the agent hears every chat's messages
/// in seq order.
async fn many_visitors_at_once_get_their_own_gap_free_seqs(app: &TestApp) {
    const VISITORS: usize = 30;
    const EACH: usize = 4;
    let s = setup(app).await;
    let mut agent = agent_ws(app, &s.agent, &s.website).await;
    let mut visitors = Vec::new();
    for _ in 0..VISITORS {
        let token = visitor_token(app, &s.key, None).await["visitorToken"].as_str().expect("t").to_string();
        visitors.push(visitor_ws(app, &s.key, &token).await);
    }
    // Every visitor's first message opens its chat, all at once (on SQLite the chats are created in the batch that
    // stores their first messages); then the rest, without waiting for acks.
    for (v, ws) in visitors.iter_mut().enumerate() {
        ws.send(json!({ "type": "chat-message", "clientMsgId": format!("v{v}-0"), "content": format!("v{v} m0") }))
            .await;
    }
    let mut chat_of = Vec::new();
    for ws in visitors.iter_mut() {
        let ack = ws.next("ack").await;
        assert_eq!(ack["seq"], 1, "{ack}");
        chat_of.push(ack["chatId"].as_str().expect("chat").to_string());
    }
    for m in 1..EACH {
        for (v, ws) in visitors.iter_mut().enumerate() {
            let event = json!({ "type": "chat-message", "chatId": chat_of[v], "clientMsgId": format!("v{v}-{m}"),
                                "content": format!("v{v} m{m}") });
            ws.send(event).await;
        }
    }
    for (v, ws) in visitors.iter_mut().enumerate() {
        let mut acks: Vec<(String, i64)> = Vec::new();
        for _ in 1..EACH {
            let ack = ws.next("ack").await;
            assert_eq!(ack["chatId"], chat_of[v].as_str());
            acks.push((ack["clientMsgId"].as_str().expect("id").into(), ack["seq"].as_i64().expect("seq")));
        }
        acks.sort();
        let expected: Vec<(String, i64)> = (1..EACH).map(|m| (format!("v{v}-{m}"), m as i64 + 1)).collect();
        assert_eq!(acks, expected, "visitor {v}");
    }
    let mut heard: std::collections::HashMap<String, Vec<i64>> = Default::default();
    let mut announced = std::collections::HashSet::new();
    while heard.values().map(Vec::len).sum::<usize>() < VISITORS * EACH {
        let event = agent.next_of(&["new-message", "chat-created"]).await;
        if event["type"] == "chat-created" {
            let chat = event["chat"]["id"].as_str().expect("chat").to_string();
            assert!(!heard.contains_key(&chat), "a chat is announced before its messages");
            assert!(announced.insert(chat), "each chat is announced once");
            continue;
        }
        assert!(announced.contains(event["chatId"].as_str().expect("chat")), "messages come after their chat");
        let message = &event["message"];
        let seq = message["seq"].as_i64().expect("seq");
        let v: usize =
            message["clientMsgId"].as_str().and_then(|id| id[1..].split('-').next()?.parse().ok()).expect("v");
        assert_eq!(message["content"], format!("v{v} m{}", seq - 1), "the content stored under each seq");
        heard.entry(event["chatId"].as_str().expect("chat").into()).or_default().push(seq);
    }
    assert_eq!(heard.len(), VISITORS);
    assert_eq!(announced.len(), VISITORS);
    for seqs in heard.values() {
        assert_eq!(*seqs, (1..=EACH as i64).collect::<Vec<_>>(), "in seq order, none missing or repeated");
    }
}

async fn refusals_foreign_tokens_forged_chats_non_members(app: &TestApp) {
    let s = setup(app).await;
    let other = app.create_website(&s.admin, "Other", &["other.example.com"]).await;
    let other_key = other["apiKey"].as_str().expect("key");
    let token_a = visitor_token(app, &s.key, None).await["visitorToken"].as_str().expect("t").to_string();

    // A visitor token of website A is refused on website B, and from an origin A does not allow.
    let refused = Ws::visitor(app, other_key, &token_a, Some("https://other.example.com")).await;
    assert_eq!(refused.err(), Some(401));
    let refused = Ws::visitor(app, &s.key, &token_a, Some("https://evil.test")).await;
    assert_eq!(refused.err(), Some(403));
    let refused = Ws::visitor(app, &s.key, "forged", Some(ORIGIN)).await;
    assert_eq!(refused.err(), Some(401));
    assert_eq!(Ws::connect(app, "", &[], &[]).await.err(), Some(401), "no credentials");
    // The session endpoint applies the same key and origin rules.
    for (key, origin, want) in [(s.key.as_str(), "https://evil.test", 403), ("hdk_unknown", ORIGIN, 401)] {
        let res = app
            .client
            .post(app.url(&format!("/api/widget/session?apiKey={key}")))
            .header("Origin", origin)
            .json(&json!({}))
            .send()
            .await
            .expect("session");
        assert_eq!(res.status().as_u16(), want, "{key} from {origin}");
        assert!(res.headers().get("access-control-allow-origin").is_none());
    }

    // Another visitor's chat id gets an error and nothing else.
    let mut a = visitor_ws(app, &s.key, &token_a).await;
    a.send(json!({ "type": "chat-message", "content": "mine" })).await;
    let chat_a = a.next("ack").await["chatId"].as_str().expect("chat").to_string();
    let token_b = visitor_token(app, &s.key, None).await["visitorToken"].as_str().expect("t").to_string();
    let mut b = visitor_ws(app, &s.key, &token_b).await;
    for forged in [
        json!({ "type": "chat-message", "chatId": chat_a, "content": "injected" }),
        json!({ "type": "typing-start", "chatId": chat_a }),
        json!({ "type": "resume", "chats": { chat_a.clone(): 0 } }),
        json!({ "type": "join-website", "websiteId": s.website }),
    ] {
        b.send(forged.clone()).await;
        let err = b.next("error").await;
        assert!(err["code"] == "not_found" || err["code"] == "forbidden", "{forged}: {err}");
    }
    let (_, history) = app.api(Method::GET, &format!("/api/chats/{chat_a}/messages"), &s.agent, None).await;
    assert_eq!(history.as_array().expect("list").len(), 1, "nothing was injected");
    assert!(a.collect("new-message", Duration::from_millis(300)).await.is_empty(), "visitor A heard nothing");

    // An agent who is not a member cannot join, and hears nothing.
    app.create_user(&s.admin, "h@helpdesk.test", "agent", &[]).await;
    let h_token = app.token("h@helpdesk.test", PASSWORD).await;
    let mut h = Ws::agent(app, &h_token).await.expect("socket");
    h.next("hello").await;
    h.send(json!({ "type": "join-website", "websiteId": s.website })).await;
    assert_eq!(h.next("error").await["code"], "not_found");
    // Agents cannot pose as visitors, nor resume more than 100 chats at once.
    h.send(json!({ "type": "page-view", "url": "https://shop.example.com/" })).await;
    assert_eq!(h.next("error").await["code"], "forbidden");
    let many: serde_json::Map<String, Value> = (0..101).map(|i| (format!("chat-{i}"), json!(0))).collect();
    h.send(json!({ "type": "resume", "chats": many })).await;
    assert_eq!(h.next("error").await["code"], "validation_failed");
    a.send(json!({ "type": "chat-message", "content": "second" })).await;
    a.next("ack").await;
    assert!(h.collect("new-message", Duration::from_millis(400)).await.is_empty());
    let (status, _) = app.api(Method::GET, &format!("/api/chats/{chat_a}"), &h_token, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) =
        app.api(Method::PATCH, &format!("/api/chats/{chat_a}"), &h_token, Some(json!({ "status": "closed" }))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a non-member cannot close the chat");

    // Assigning is limited to people who work on the website; the REST send cannot pose as the visitor.
    let h_id = app.api(Method::GET, "/api/auth/me", &h_token, None).await.1["id"].as_str().expect("id").to_string();
    let (status, body) =
        app.api(Method::PATCH, &format!("/api/chats/{chat_a}"), &s.admin, Some(json!({ "assignedTo": h_id }))).await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("assignedTo")));
    let (status, body) = app
        .api(Method::PATCH, &format!("/api/chats/{chat_a}"), &s.admin, Some(json!({ "assignedTo": s.agent_id })))
        .await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("ongoing")), "{body}");
    let (status, body) = app
        .api(
            Method::PATCH,
            &format!("/api/chats/{chat_a}"),
            &s.agent,
            Some(json!({ "status": "resolved", "resolution": "Answered." })),
        )
        .await;
    assert_eq!((status, body["resolution"].as_str()), (StatusCode::OK, Some("Answered.")));
    assert!(body["endedAt"].is_string());
    let (status, body) = app
        .api(Method::PATCH, &format!("/api/chats/{chat_a}"), &s.agent, Some(json!({ "resolution": "x".repeat(2001) })))
        .await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("resolution")));
    let (status, body) = app.api(Method::GET, "/api/chats?status=lost", &s.agent, None).await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("status")));
    let (status, body) = app
        .api(
            Method::POST,
            "/api/messages",
            &s.agent,
            Some(json!({ "chatId": chat_a, "content": "hi", "type": "text", "sender": "visitor" })),
        )
        .await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("sender")));

    // A dashboard cookie from another site's page cannot open a socket.
    // Nor one from our own host reached by another scheme, while our pages open theirs.
    let cookie = app.dashboard_session("g@helpdesk.test", PASSWORD).await.expect("session");
    let other_scheme = app.base.replace("http://", "https://");
    for (origin, want) in
        [("https://evil.test", Err(403)), (other_scheme.as_str(), Err(403)), (app.base.as_str(), Ok(()))]
    {
        let got = Ws::connect(app, "", &[], &[("Cookie", &cookie), ("Origin", origin)]).await.map(|_| ());
        assert_eq!(got, want, "cookie socket from {origin}");
    }
}

async fn deactivating_an_agent_closes_their_socket(app: &TestApp) {
    let s = setup(app).await;
    let mut agent = agent_ws(app, &s.agent, &s.website).await;
    let (status, _) = app
        .api(Method::PATCH, &format!("/api/users/{}", s.agent_id), &s.admin, Some(json!({ "isActive": false })))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(agent.close_code().await, Some(4001));
    assert_eq!(Ws::agent(app, &s.agent).await.err(), Some(401));
}

async fn bad_frames_get_errors_and_the_socket_survives(app: &TestApp) {
    let s = setup(app).await;
    let mut agent = agent_ws(app, &s.agent, &s.website).await;
    for bad in ["not json", r#"{"type":"no-such-event"}"#, r#"{"type":"chat-message"}"#] {
        agent.0.send(Message::Text(bad.into())).await.expect("send");
        assert_eq!(agent.next("error").await["code"], "bad_request", "{bad}");
    }
    agent.send(json!({ "type": "chat-message", "chatId": "nope", "content": "x".repeat(6000) })).await;
    assert_eq!(agent.next("error").await["code"], "validation_failed");
    agent.send(json!({ "type": "ping" })).await;
    agent.next("pong").await;

    // More than 20 events a second: the excess is refused, the socket stays.
    for _ in 0..60 {
        agent.send(json!({ "type": "ping" })).await;
    }
    let errors = agent.collect("error", Duration::from_millis(500)).await;
    assert!(errors.iter().any(|e| e["code"] == "rate_limited"), "{errors:?}");
    // The refusal holds the socket for the second it announces: a frame sent behind a refused one is refused too,
    // even once the allowance has refilled, so no message is stored ahead of one refused before it.
    let refused = errors.iter().find(|e| e["code"] == "rate_limited").expect("a refusal");
    assert_eq!(refused["retryAfter"], 1, "{refused}");
    agent.send(json!({ "type": "ping" })).await;
    assert_eq!(agent.next_of(&["pong", "error"]).await["code"], "rate_limited", "still held");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    agent.send(json!({ "type": "ping" })).await;
    agent.next("pong").await;

    // A frame over 64 KB ends that socket; the server goes on.
    let big = json!({ "type": "ping", "pad": "x".repeat(70 * 1024) });
    let _ = agent.0.send(Message::Text(big.to_string().into())).await;
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match agent.0.next().await {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return true,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await
    .unwrap_or(false);
    assert!(ended, "oversized frame closes the socket");
    let mut again = agent_ws(app, &s.agent, &s.website).await;
    again.send(json!({ "type": "ping" })).await;
    again.next("pong").await;
}

async fn after_a_chat_is_closed_the_next_visitor_message_starts_a_new_one(app: &TestApp) {
    let s = setup(app).await;
    let token = visitor_token(app, &s.key, None).await["visitorToken"].as_str().expect("t").to_string();
    let mut visitor = visitor_ws(app, &s.key, &token).await;
    visitor.send(json!({ "type": "chat-message", "clientMsgId": "c-1", "content": "first chat" })).await;
    let first = visitor.next("ack").await["chatId"].as_str().expect("chat").to_string();
    visitor.send(json!({ "type": "chat-message", "clientMsgId": "c-2", "content": "same chat" })).await;
    assert_eq!(visitor.next("ack").await["chatId"], first.as_str());

    let (status, _) =
        app.api(Method::PATCH, &format!("/api/chats/{first}"), &s.agent, Some(json!({ "status": "closed" }))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(visitor.next("chat-updated").await["chat"]["status"], "closed");

    visitor.send(json!({ "type": "chat-message", "clientMsgId": "c-3", "content": "a new question" })).await;
    let ack = visitor.next("ack").await;
    assert_ne!(ack["chatId"], first.as_str(), "the closed chat is not reused");
    assert_eq!(ack["seq"], 1);
}

async fn a_batch_with_a_message_for_a_deleted_chat_still_stores_the_others(app: &TestApp) {
    use sea_orm::ConnectionTrait;
    let s = setup(app).await;
    let mut sockets = Vec::new();
    let mut chats = Vec::new();
    for v in ["a", "b"] {
        let token = visitor_token(app, &s.key, None).await["visitorToken"].as_str().expect("t").to_string();
        let mut ws = visitor_ws(app, &s.key, &token).await;
        ws.send(json!({ "type": "chat-message", "clientMsgId": format!("{v}-1"), "content": "hello" })).await;
        chats.push(ws.next("ack").await["chatId"].as_str().expect("chat").to_string());
        sockets.push(ws);
    }

    // While the test holds the writer's turn, both sends pass their checks and wait in its queue (`queued` says
    // when); chat a is then deleted, so the batch that takes both fails on it.
    let turn = app.state.lane().turn().await;
    for (i, ws) in sockets.iter_mut().enumerate() {
        ws.send(json!({ "type": "chat-message", "chatId": chats[i], "clientMsgId": format!("second-{i}"),
                        "content": "second" }))
            .await;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while app.state.writer().queued() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "the two sends never reached the writer");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    app.state
        .db()
        .execute_unprepared(&format!("DELETE FROM chats WHERE id = '{}'", chats[0]))
        .await
        .expect("delete chat a");
    drop(turn);

    assert_eq!(sockets[0].next_of(&["ack", "error"]).await["code"], "not_found");
    let ack = sockets[1].next_of(&["ack", "error"]).await;
    assert_eq!((ack["type"].as_str(), ack["seq"].as_i64()), (Some("ack"), Some(2)), "{ack}");
    let (status, history) =
        app.api(Method::GET, &format!("/api/chats/{}/messages?after_seq=0", chats[1]), &s.agent, None).await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let contents: Vec<&str> = history.as_array().expect("list").iter().filter_map(|m| m["content"].as_str()).collect();
    assert_eq!(contents, ["hello", "second"]);
}

/// Waits until the server has handled everything sent on `ws` before: events of one socket are handled in order.
async fn settle(ws: &mut Ws) {
    ws.send(json!({ "type": "ping" })).await;
    ws.next("pong").await;
}

async fn read_seq(app: &TestApp, token: &str, chat_id: &str) -> (i64, i64) {
    let (status, chat) = app.api(Method::GET, &format!("/api/chats/{chat_id}"), token, None).await;
    assert_eq!(status, StatusCode::OK, "{chat}");
    (chat["lastSeq"].as_i64().unwrap_or(-1), chat["readSeq"].as_i64().unwrap_or(-1))
}

async fn unread_counts_follow_what_each_agent_read(app: &TestApp) {
    let s = setup(app).await;
    app.create_user(&s.admin, "h@helpdesk.test", "agent", &[s.website.as_str()]).await;
    let other_agent = app.token("h@helpdesk.test", PASSWORD).await;
    let token = visitor_token(app, &s.key, None).await["visitorToken"].as_str().expect("t").to_string();
    let mut visitor = visitor_ws(app, &s.key, &token).await;
    for i in 1..=3 {
        visitor
            .send(json!({ "type": "chat-message", "clientMsgId": format!("u-{i}"), "content": format!("hi {i}") }))
            .await;
        visitor.next("ack").await;
    }
    let chat_id = {
        let (_, list) = app.api(Method::GET, "/api/chats", &s.agent, None).await;
        assert_eq!(list[0]["lastSeq"], 3);
        assert_eq!(list[0]["readSeq"], 0, "nothing read yet: {list}");
        list[0]["id"].as_str().expect("id").to_string()
    };

    // Reading moves the agent's position, never back; another agent's position is their own.
    let mut agent = agent_ws(app, &s.agent, &s.website).await;
    agent.send(json!({ "type": "read", "chatId": chat_id, "seq": 2 })).await;
    settle(&mut agent).await;
    assert_eq!(read_seq(app, &s.agent, &chat_id).await, (3, 2));
    agent.send(json!({ "type": "read", "chatId": chat_id, "seq": 1 })).await;
    settle(&mut agent).await;
    assert_eq!(read_seq(app, &s.agent, &chat_id).await, (3, 2), "an older position from another tab is ignored");
    assert_eq!(read_seq(app, &other_agent, &chat_id).await, (3, 0));

    // Opening the conversation in the dashboard reads it all.
    let cookie = app.dashboard_session("h@helpdesk.test", PASSWORD).await.expect("session");
    let (status, detail) = app.sfn("chat_detail", &cookie, json!({ "id": chat_id })).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["chat"]["readSeq"], 3);
    assert_eq!(read_seq(app, &other_agent, &chat_id).await, (3, 3));
    assert_eq!(read_seq(app, &s.agent, &chat_id).await, (3, 2));

    // Refusals: another website's chat (not found, as if it did not exist), a visitor, a negative seq.
    let other = app.create_website(&s.admin, "Other", &["other.example.com"]).await;
    let other_key = other["apiKey"].as_str().expect("key");
    let res = app
        .client
        .post(app.url(&format!("/api/widget/session?apiKey={other_key}")))
        .header("Origin", "https://other.example.com")
        .json(&json!({}))
        .send()
        .await
        .expect("session");
    let other_token = res.json::<Value>().await.expect("json")["visitorToken"].as_str().expect("t").to_string();
    let mut outsider =
        Ws::visitor(app, other_key, &other_token, Some("https://other.example.com")).await.expect("socket");
    outsider.send(json!({ "type": "chat-message", "content": "elsewhere" })).await;
    let foreign_chat = outsider.next("ack").await["chatId"].as_str().expect("chat").to_string();
    agent.send(json!({ "type": "read", "chatId": foreign_chat, "seq": 1 })).await;
    assert_eq!(agent.next("error").await["code"], "not_found");
    agent.send(json!({ "type": "read", "chatId": chat_id, "seq": -1 })).await;
    assert_eq!(agent.next("error").await["code"], "validation_failed");
    // The visitor reading is their read receipt, not an agent's position: unread counts stay.
    visitor.send(json!({ "type": "read", "chatId": chat_id, "seq": 3 })).await;
    assert_eq!(agent.next("read").await["senderType"], "visitor");
    assert_eq!(read_seq(app, &s.agent, &chat_id).await, (3, 2));
    // A visitor cannot report reading another visitor's chat.
    outsider.send(json!({ "type": "read", "chatId": chat_id, "seq": 3 })).await;
    assert_eq!(outsider.next("error").await["code"], "not_found");
}

async fn a_socket_that_cannot_keep_up_is_closed_with_4008_and_resumes(app: &TestApp) {
    use domain::hub::{frame, Topic};
    let s = setup(app).await;
    let session = visitor_token(app, &s.key, None).await;
    let mut visitor = visitor_ws(app, &s.key, session["visitorToken"].as_str().expect("token")).await;
    visitor.send(json!({ "type": "chat-message", "clientMsgId": "v-1", "content": "before" })).await;
    let chat = visitor.next("ack").await["chatId"].as_str().expect("chat").to_string();
    let mut agent = agent_ws(app, &s.agent, &s.website).await;
    // The agent stops reading while the website's events pour in: far more than its queue (4 096 frames) and the
    // kernel's socket buffers hold.
    let pad = "x".repeat(1000);
    let event = protocol::ServerEvent::VisitorPage {
        website_id: s.website.clone(),
        visitor_id: "someone".into(),
        url: format!("https://shop.example.com/{pad}"),
        title: None,
    };
    let topic = Topic::Website(s.website.clone());
    let mut refused = 0;
    for _ in 0..30_000 {
        if app.state.hub().publish(&topic, frame(&event), None) == 0 {
            refused += 1;
        }
    }
    assert!(refused > 0, "the queue filled");
    assert_eq!(agent.close_code().await, Some(4008), "closed as lagging, after what it was sent");
    // Nothing is lost: a new socket resumes from the last seq it had.
    visitor.send(json!({ "type": "chat-message", "chatId": chat, "clientMsgId": "v-2", "content": "during" })).await;
    visitor.next("ack").await;
    let mut again = agent_ws(app, &s.agent, &s.website).await;
    again.send(json!({ "type": "resume", "chats": { chat.clone(): 1 } })).await;
    let resumed = again.next("new-message").await;
    assert_eq!((resumed["message"]["seq"].as_i64(), resumed["message"]["content"].as_str()), (Some(2), Some("during")));
}

async fn a_visitor_goes_offline_when_their_last_socket_closes(app: &TestApp) {
    let s = setup(app).await;
    let mut agent = agent_ws(app, &s.agent, &s.website).await;
    let session = visitor_token(app, &s.key, None).await;
    let (token, visitor_id) = (session["visitorToken"].as_str().expect("token"), session["visitorId"].clone());
    let first = visitor_ws(app, &s.key, token).await;
    assert_eq!(agent.next("visitor-online").await["visitorId"], visitor_id);
    let mut second = visitor_ws(app, &s.key, token).await;
    assert_eq!(agent.next("visitor-online").await["visitorId"], visitor_id);
    // One of two tabs closes: still online.
    drop(first);
    second.until_pong().await;
    let heard = agent.until_pong().await;
    assert!(heard.iter().all(|e| e["type"] != "visitor-offline"), "{heard:?}");
    // The last one closes: offline, with who and where.
    second.0.close(None).await.expect("close");
    let offline = agent.next("visitor-offline").await;
    assert_eq!((offline["visitorId"].clone(), offline["websiteId"].as_str()), (visitor_id, Some(s.website.as_str())));
}
