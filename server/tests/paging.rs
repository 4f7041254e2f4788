//! Lists that outgrow a page, on both databases: an inbox of more than 500 chats still shows a new waiting chat
//! first, and pages through all of them without overlap; a long conversation opens on its latest messages and
//! reaches the earlier ones page by page.

mod common;

use chrono::Duration;
use common::ws::{agent_ws, visitor_session, visitor_ws};
use common::{TestApp, PASSWORD};
use domain::entities::{chats, messages};
use protocol::{ChatStatus, MessageKind, SenderType};
use reqwest::{Method, StatusCode};
use sea_orm::{EntityTrait, Set};
use serde_json::{json, Value};

backend_tests!(
    the_inbox_shows_open_chats_first_then_newest_a_page_at_a_time,
    a_long_conversation_opens_on_its_latest_messages
);

struct Site {
    agent: String,
    website: String,
    key: String,
}

async fn site(app: &TestApp) -> Site {
    let admin = app.admin_token().await;
    let created = app.create_website(&admin, "Shop", &["shop.example.com"]).await;
    let website = created["id"].as_str().expect("id").to_string();
    app.create_user(&admin, "g@helpdesk.test", "agent", &[website.as_str()]).await;
    let agent = app.token("g@helpdesk.test", PASSWORD).await;
    Site { agent, website, key: created["apiKey"].as_str().expect("key").to_string() }
}

fn chat_row(website: &str, visitor: &str, status: ChatStatus, minutes_ago: i64) -> chats::ActiveModel {
    let at = chrono::Utc::now().naive_utc() - Duration::minutes(minutes_ago);
    chats::ActiveModel {
        id: Set(uuid::Uuid::new_v4().to_string()),
        website_id: Set(website.into()),
        visitor_id: Set(visitor.into()),
        assigned_to: Set(None),
        status: Set(status),
        resolution: Set(None),
        started_at: Set(at),
        ended_at: Set(Some(at)),
        created_at: Set(at),
        updated_at: Set(at),
        first_visitor_at: Set(None),
        first_response_at: Set(None),
        first_response_by: Set(None),
        visitor_read_seq: Set(0),
    }
}

async fn the_inbox_shows_open_chats_first_then_newest_a_page_at_a_time(app: &TestApp) {
    let s = site(app).await;
    let session = visitor_session(app, &s.key, None).await;
    let visitor = session["visitorId"].as_str().expect("visitor").to_string();
    // 520 finished chats of the last days, written as a busy site would have left them.
    let rows: Vec<chats::ActiveModel> = (0..520)
        .map(|i| {
            chat_row(&s.website, &visitor, if i % 2 == 0 { ChatStatus::Closed } else { ChatStatus::Resolved }, 10 + i)
        })
        .collect();
    for chunk in rows.chunks(100) {
        chats::Entity::insert_many(chunk.to_vec()).exec_without_returning(app.state.db()).await.expect("insert chats");
    }
    // Then a visitor writes: a new waiting chat.
    let mut socket = visitor_ws(app, &s.key, session["visitorToken"].as_str().expect("token")).await;
    socket.send(json!({ "type": "chat-message", "clientMsgId": "now", "content": "Anyone there?" })).await;
    let waiting = socket.next("ack").await["chatId"].as_str().expect("chat").to_string();

    let (status, first) = app.api(Method::GET, "/api/chats", &s.agent, None).await;
    assert_eq!(status, StatusCode::OK);
    let first = first.as_array().expect("list");
    assert_eq!(first.len(), 100, "a page");
    assert_eq!(first[0]["id"], waiting.as_str(), "the new waiting chat comes first");
    // The dashboard's inbox gets the same first page.
    let cookie = app.dashboard_session("g@helpdesk.test", PASSWORD).await.expect("session");
    let (status, inbox) = app.sfn("list_chats", &cookie, json!({ "filter": {} })).await;
    assert_eq!(status, StatusCode::OK, "{inbox}");
    assert_eq!(inbox[0]["id"], waiting.as_str());

    // Every chat is reached, once, finished ones newest first.
    let mut seen: Vec<Value> = Vec::new();
    for page in 1.. {
        let (_, list) = app.api(Method::GET, &format!("/api/chats?page={page}&perPage=200"), &s.agent, None).await;
        let list = list.as_array().expect("list").clone();
        if list.is_empty() {
            break;
        }
        seen.extend(list);
    }
    assert_eq!(seen.len(), 521);
    let mut ids: Vec<&str> = seen.iter().filter_map(|c| c["id"].as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 521, "no chat on two pages");
    let finished: Vec<&str> = seen[1..].iter().filter_map(|c| c["startedAt"].as_str()).collect();
    assert!(finished.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let (status, body) = app.api(Method::GET, "/api/chats?perPage=100000", &s.agent, None).await;
    assert_eq!((status, body.as_array().map(Vec::len)), (StatusCode::OK, Some(500)), "at most 500 a page");
}

async fn a_long_conversation_opens_on_its_latest_messages(app: &TestApp) {
    let s = site(app).await;
    let session = visitor_session(app, &s.key, None).await;
    let mut visitor = visitor_ws(app, &s.key, session["visitorToken"].as_str().expect("token")).await;
    visitor.send(json!({ "type": "chat-message", "clientMsgId": "m1", "content": "message 1" })).await;
    let chat = visitor.next("ack").await["chatId"].as_str().expect("chat").to_string();
    // 249 more, as a long conversation leaves them.
    let now = chrono::Utc::now().naive_utc();
    let rows: Vec<messages::ActiveModel> = (2..=250)
        .map(|seq| messages::ActiveModel {
            id: Set(uuid::Uuid::now_v7().to_string()),
            chat_id: Set(chat.clone()),
            seq: Set(seq),
            client_msg_id: Set(Some(format!("m{seq}"))),
            sender_type: Set(SenderType::Visitor),
            sender_id: Set(Some(session["visitorId"].as_str().expect("visitor").into())),
            content: Set(format!("message {seq}")),
            kind: Set(MessageKind::Text),
            metadata: Set(None),
            created_at: Set(now),
        })
        .collect();
    for chunk in rows.chunks(100) {
        messages::Entity::insert_many(chunk.to_vec()).exec_without_returning(app.state.db()).await.expect("insert");
    }

    let cookie = app.dashboard_session("g@helpdesk.test", PASSWORD).await.expect("session");
    let (status, detail) = app.sfn("chat_detail", &cookie, json!({ "id": chat })).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    let seqs = |list: &Value| -> Vec<i64> {
        list.as_array().expect("list").iter().filter_map(|m| m["seq"].as_i64()).collect()
    };
    assert_eq!(seqs(&detail["messages"]), (151..=250).collect::<Vec<_>>(), "the latest page");
    assert_eq!(detail["hasEarlier"], true);
    assert_eq!(detail["chat"]["lastSeq"], 250);
    let (_, earlier) = app.sfn("earlier_messages", &cookie, json!({ "chat_id": chat, "before_seq": 151 })).await;
    assert_eq!(seqs(&earlier), (51..=150).collect::<Vec<_>>());
    let (_, earliest) = app.sfn("earlier_messages", &cookie, json!({ "chat_id": chat, "before_seq": 51 })).await;
    assert_eq!(seqs(&earliest), (1..=50).collect::<Vec<_>>());
    // The same through the REST API; and another website's agent gets nothing.
    let (_, rest) = app.api(Method::GET, &format!("/api/chats/{chat}/messages?before_seq=151"), &s.agent, None).await;
    assert_eq!(seqs(&rest), (51..=150).collect::<Vec<_>>());
    let admin = app.admin_token().await;
    app.create_user(&admin, "h@helpdesk.test", "agent", &[]).await;
    let outsider = app.dashboard_session("h@helpdesk.test", PASSWORD).await.expect("session");
    let (status, _) = app.sfn("earlier_messages", &outsider, json!({ "chat_id": chat, "before_seq": 151 })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The conversation goes on after the rows written behind the writer's back.
    let mut agent = agent_ws(app, &s.agent, &s.website).await;
    agent.send(json!({ "type": "chat-message", "chatId": chat, "clientMsgId": "reply", "content": "Thanks!" })).await;
    // Seq 251 says the agent joined the waiting chat, just before their answer.
    assert_eq!(agent.next("ack").await["seq"], 252);
    visitor.send(json!({ "type": "chat-message", "chatId": chat, "clientMsgId": "m2", "content": "retry of 2" })).await;
    assert_eq!(visitor.next("ack").await["seq"], 2, "a retry of a stored message is still recognised");
}
