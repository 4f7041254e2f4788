//! Faults an operator meets, each against real servers: a node stopped with SIGTERM drains; a node killed with
//! SIGKILL loses no acked message and its clients resume on another node; Redis stopped for a minute pauses only
//! live delivery between nodes; an unreachable database gets a retryable error, never a false ack.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::process::{Remote, Server};
use common::proxy::Proxy;
use common::redis::Redis;
use common::ws::{agent_protocols, agent_ws, visitor_session, visitor_ws, Ws, ORIGIN};
use common::{test_config, test_secret, Backend, TestApp, TestDb};
use reqwest::Method;
use serde_json::{json, Value};

per_backend!(sigterm_drains_sockets_and_finishes_writes, a_draining_node_refuses_new_sockets);

/// Named so that the test command's `--skip mysql::` skips them without a MariaDB; they have no SQLite twin
/// (several nodes need a shared MySQL/MariaDB).
mod cluster_mysql {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_killed_node_loses_no_acked_message() {
        super::a_killed_node_loses_no_acked_message().await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn redis_stopped_for_a_minute_pauses_only_live_delivery() {
        super::redis_stopped_for_a_minute_pauses_only_live_delivery().await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_unreachable_database_never_acks() {
        super::an_unreachable_database_never_acks().await
    }
}

/// What a socket heard until it closed: acks by client message id, and the close code.
async fn until_closed(ws: &mut Ws, wait: Duration) -> (HashMap<String, Value>, Option<u16>) {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let mut acks = HashMap::new();
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, ws.0.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                let v: Value = serde_json::from_str(text.as_str()).expect("json frame");
                if v["type"] == "ack" {
                    acks.insert(v["clientMsgId"].as_str().unwrap_or_default().to_string(), v);
                }
            }
            Ok(Some(Ok(Message::Close(frame)))) => return (acks, frame.map(|f| u16::from(f.code))),
            Ok(Some(Ok(_))) => {}
            Ok(_) => return (acks, None),
            Err(_) => panic!("the socket did not close within {wait:?}"),
        }
    }
}

fn message(id: &str) -> Value {
    json!({ "type": "chat-message", "clientMsgId": id, "content": id })
}

async fn sigterm_drains_sockets_and_finishes_writes(backend: Backend) {
    let db = TestDb::create(backend).await;
    let env = [("HELPDESK_JWT_SECRET", test_secret()), ("HELPDESK_DRAIN_SECS", "5".to_string())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut server = Server::start(&db, &env).await;
    let admin = Remote::sign_in(&server.base).await;
    let (_, key) = admin.website().await;
    let token = admin.visitor_token(&key).await;
    let mut visitor = admin.visitor(&key, &token).await;
    visitor.send(message("first")).await;
    let chat_id = visitor.next("ack").await["chatId"].as_str().expect("chat").to_string();

    // A burst, and SIGTERM while it is being stored.
    let ids: Vec<String> = (0..20).map(|i| format!("m{i}")).collect();
    for id in &ids {
        visitor.send(message(id)).await;
    }
    server.signal("TERM");
    let (acked, code) = until_closed(&mut visitor, Duration::from_secs(5)).await;
    assert_eq!(code, Some(protocol::CLOSE_RESTARTING), "clients are told to reconnect elsewhere");
    let status = server.exited_within(Duration::from_secs(8)).await.expect("the node exits within its drain time");
    assert!(status.success(), "{status}");
    assert!(server.log().contains("stopping: open sockets are asked to reconnect elsewhere"), "{}", server.log());

    // Restarted: what was acked is there; the rest, sent again with the same ids as the widget does, is stored
    // once, and nothing twice.
    let server = Server::start(&db, &env).await;
    let admin = Remote::sign_in(&server.base).await;
    let stored = admin.messages(&chat_id).await;
    for (id, ack) in &acked {
        assert!(stored.iter().any(|(c, seq)| c == id && Some(*seq) == ack["seq"].as_i64()), "{id} acked: {stored:?}");
    }
    let mut visitor = admin.visitor(&key, &token).await;
    for id in ids.iter().filter(|id| !acked.contains_key(*id)) {
        visitor.send(message(id)).await;
        visitor.next("ack").await;
    }
    let stored = admin.messages(&chat_id).await;
    let contents: Vec<&str> = stored.iter().map(|(c, _)| c.as_str()).collect();
    let expected: Vec<&str> = std::iter::once("first").chain(ids.iter().map(String::as_str)).collect();
    let mut sorted = contents.clone();
    sorted.sort_unstable();
    let mut want = expected.clone();
    want.sort_unstable();
    assert_eq!(sorted, want, "every message once");
    let seqs: Vec<i64> = stored.iter().map(|(_, s)| *s).collect();
    assert_eq!(seqs, (1..=expected.len() as i64).collect::<Vec<_>>(), "no gap, no seq twice");
    drop(visitor);
    drop(server);
    db.drop_db().await;
}

/// Once a node drains, new sockets are refused with a retryable 503 (the widget and dashboard back off and land on
/// another node) and `/readyz` takes it out of the load balancer, while plain HTTP still answers.
async fn a_draining_node_refuses_new_sockets(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token().await;
    let site = app.create_website(&token, "Shop", &["shop.example.com"]).await;
    let key = site["apiKey"].as_str().expect("key").to_string();
    let visitor = visitor_session(&app, &key, None).await["visitorToken"].as_str().expect("token").to_string();
    // Before: both kinds connect and the node is ready.
    Ws::agent(&app, &token).await.expect("agent socket before draining");
    Ws::visitor(&app, &key, &visitor, Some(ORIGIN)).await.expect("visitor socket before draining");
    assert_eq!(app.client.get(app.url("/readyz")).send().await.expect("readyz").status(), 200);

    app.state.begin_drain();
    assert_eq!(Ws::agent(&app, &token).await.err(), Some(503), "an agent's new socket is refused");
    assert_eq!(Ws::visitor(&app, &key, &visitor, Some(ORIGIN)).await.err(), Some(503), "a visitor's too");
    let res = app.client.get(app.url("/readyz")).send().await.expect("readyz");
    assert_eq!(res.status(), 503);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["status"], "draining");
    assert_eq!(app.client.get(app.url("/healthz")).send().await.expect("healthz").status(), 200);
    app.stop().await;
}

async fn a_killed_node_loses_no_acked_message() {
    let redis = Redis::start().await;
    let db = TestDb::create(Backend::Mysql).await;
    let prefix = format!("t{:08x}", rand::random::<u32>());
    let env =
        [("HELPDESK_JWT_SECRET", test_secret()), ("REDIS_URL", redis.url.clone()), ("HELPDESK_REDIS_PREFIX", prefix)];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut one = Server::start(&db, &env).await;
    let two = Server::start(&db, &env).await;
    let admin = Remote::sign_in(&two.base).await;
    let (website, key) = admin.website().await;

    // The agent on node 2, the visitor on node 1.
    let mut agent = Ws::connect_to(&two.base, "", &agent_protocols(&admin.token), &[]).await.expect("agent socket");
    agent.next("hello").await;
    agent.send(json!({ "type": "join-website", "websiteId": website })).await;
    agent.next("joined").await;
    let token = admin.visitor_token(&key).await;
    let mut visitor = Remote { base: one.base.clone(), http: reqwest::Client::new(), token: String::new() }
        .visitor(&key, &token)
        .await;
    visitor.send(message("hello")).await;
    let ack = visitor.next("ack").await;
    let chat_id = ack["chatId"].as_str().expect("chat").to_string();
    assert_eq!(agent.next("new-message").await["message"]["content"], "hello");
    agent.send(json!({ "type": "chat-message", "chatId": chat_id, "clientMsgId": "reply", "content": "reply" })).await;
    agent.next("ack").await;
    let reply = visitor.next("new-message").await;
    let mut last_seq = reply["message"]["seq"].as_i64().expect("seq");

    // Mid-conversation, node 1 is killed while a burst is being stored.
    let ids: Vec<String> = (0..20).map(|i| format!("k{i}")).collect();
    for id in &ids {
        visitor.send(message(id)).await;
    }
    let first = visitor.next("ack").await;
    one.signal("KILL");
    let (mut acked, _) = until_closed(&mut visitor, Duration::from_secs(5)).await;
    acked.insert(first["clientMsgId"].as_str().expect("id").to_string(), first);
    one.exited_within(Duration::from_secs(5)).await.expect("killed");

    // Its visitor is announced offline on node 2 once its heartbeat has stopped long enough.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let event = tokio::time::timeout_at(deadline, agent.event()).await.expect("visitor-offline in time");
        if event.expect("the agent's socket stays open")["type"] == "visitor-offline" {
            break;
        }
    }

    // The widget reconnects (the load balancer sends it to node 2), resumes, and sends again what was not acked.
    let mut visitor = Remote { base: two.base.clone(), http: reqwest::Client::new(), token: String::new() }
        .visitor(&key, &token)
        .await;
    for ack in acked.values() {
        last_seq = last_seq.max(ack["seq"].as_i64().unwrap_or(0));
    }
    visitor.send(json!({ "type": "resume", "chats": { chat_id.clone(): last_seq } })).await;
    for id in ids.iter().filter(|id| !acked.contains_key(*id)) {
        visitor.send(message(id)).await;
        let ack = visitor.next("ack").await;
        assert_eq!(ack["clientMsgId"], id.as_str());
    }
    let stored = admin.messages(&chat_id).await;
    for (id, ack) in &acked {
        assert!(stored.iter().any(|(c, seq)| c == id && Some(*seq) == ack["seq"].as_i64()), "{id} acked: {stored:?}");
    }
    let mut contents: Vec<&str> = stored.iter().map(|(c, _)| c.as_str()).collect();
    contents.sort_unstable();
    // The reply took the waiting chat: the line saying so comes with it.
    let mut want: Vec<&str> =
        ["hello", "Administrator joined the chat", "reply"].into_iter().chain(ids.iter().map(String::as_str)).collect();
    want.sort_unstable();
    assert_eq!(contents, want, "every message once");
    let seqs: Vec<i64> = stored.iter().map(|(_, s)| *s).collect();
    assert_eq!(seqs, (1..=want.len() as i64).collect::<Vec<_>>());

    drop((visitor, agent, two));
    db.drop_db().await;
}

async fn redis_stopped_for_a_minute_pauses_only_live_delivery() {
    let mut redis = Redis::start().await;
    let db = TestDb::create(Backend::Mysql).await;
    let prefix = format!("t{:08x}", rand::random::<u32>());
    let config = test_config(&db, &[("REDIS_URL", &redis.url), ("HELPDESK_REDIS_PREFIX", &prefix)]);
    let one = TestApp::start(db, config).await;
    let three = one.second_node().await;
    for node in [&one, &three] {
        wait_for(|| node.state.cluster_healthy() == Some(true), Duration::from_secs(10), "the node follows Redis")
            .await;
    }
    let admin = one.admin_token().await;
    let created = one.create_website(&admin, "Shop", &["shop.example.com"]).await;
    let website = created["id"].as_str().expect("id").to_string();
    let key = created["apiKey"].as_str().expect("key").to_string();
    let mut agent = agent_ws(&three, &admin, &website).await;
    let session = visitor_session(&one, &key, None).await;
    let visitor_token = session["visitorToken"].as_str().expect("token").to_string();
    let mut visitor = visitor_ws(&one, &key, &visitor_token).await;
    visitor.send(message("before")).await;
    let chat_id = visitor.next("ack").await["chatId"].as_str().expect("chat").to_string();
    let heard = agent.next("new-message").await;
    let agent_seq = heard["message"]["seq"].as_i64().expect("seq");

    redis.stop();
    // Sends are still stored and acked; /readyz says degraded (but 200: the node keeps serving).
    let mut during = Vec::new();
    for i in 0..3 {
        let id = format!("during-{i}");
        visitor.send(message(&id)).await;
        assert_eq!(visitor.next("ack").await["clientMsgId"], id.as_str());
        during.push(id);
    }
    wait_for(|| one.state.cluster_healthy() == Some(false), Duration::from_secs(15), "node 1 notices").await;
    let res = one.client.get(one.url("/readyz")).send().await.expect("readyz");
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    assert_eq!((body["status"].as_str(), body["redis"].as_str()), (Some("degraded"), Some("unavailable")), "{body}");
    // A minute without Redis; the clients keep reading (answering the server's pings, as browsers do), and their
    // sockets stay open.
    let quiet = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            tokio::select! {
                event = agent.event() => assert!(event.is_some(), "the agent's socket stays open"),
                event = visitor.event() => assert!(event.is_some(), "the visitor's socket stays open"),
            }
        }
    });
    assert!(quiet.await.is_err());
    visitor.send(message("late")).await;
    visitor.next("ack").await;
    during.push("late".into());

    // Redis is back (empty, as after a crash): every node follows it again, and every client is asked to resume.
    redis.start_again().await;
    for node in [&one, &three] {
        wait_for(
            || node.state.cluster_healthy() == Some(true),
            Duration::from_secs(20),
            "the node follows Redis again",
        )
        .await;
    }
    assert_eq!(agent.close_code().await, Some(protocol::CLOSE_LAGGING));
    assert_eq!(visitor.close_code().await, Some(protocol::CLOSE_LAGGING));
    let mut agent = agent_ws(&three, &admin, &website).await;
    agent.send(json!({ "type": "resume", "chats": { chat_id.clone(): agent_seq } })).await;
    for id in &during {
        assert_eq!(agent.next("new-message").await["message"]["content"], id.as_str(), "resumed in order");
    }
    // Live delivery between the nodes works again, and presence is rebuilt.
    let mut visitor = visitor_ws(&one, &key, &visitor_token).await;
    visitor.send(message("after")).await;
    assert_eq!(agent.next("new-message").await["message"]["content"], "after");
    let res = three.client.get(three.url("/readyz")).send().await.expect("readyz");
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["status"], "ready", "{body}");

    drop((visitor, agent));
    three.stop().await;
    one.stop().await;
}

async fn an_unreachable_database_never_acks() {
    let db = TestDb::create(Backend::Mysql).await;
    let target = db.url.split('@').nth(1).and_then(|rest| rest.split('/').next()).expect("host:port").to_string();
    let proxy = Proxy::start(&target).await;
    let through = db.url.replacen(&target, &format!("127.0.0.1:{}", proxy.port), 1);
    let config = test_config(&db, &[("DATABASE_URL", &through)]);
    let app = TestApp::start(db, config).await;
    let admin = app.admin_token().await;
    let created = app.create_website(&admin, "Shop", &["shop.example.com"]).await;
    let key = created["apiKey"].as_str().expect("key").to_string();
    let session = visitor_session(&app, &key, None).await;
    let mut visitor = visitor_ws(&app, &key, session["visitorToken"].as_str().expect("token")).await;
    visitor.send(message("before")).await;
    let chat_id = visitor.next("ack").await["chatId"].as_str().expect("chat").to_string();

    proxy.cut();
    visitor
        .send(json!({ "type": "chat-message", "chatId": chat_id, "clientMsgId": "while-down", "content": "x" }))
        .await;
    let refused = visitor.next_within(&["ack", "error"], Duration::from_secs(20)).await;
    assert_eq!(refused["type"], "error", "never an ack while the database is unreachable: {refused}");
    assert_eq!(refused["code"], "unavailable", "{refused}");
    assert_eq!(refused["clientMsgId"], "while-down");
    assert!(refused["retryAfter"].as_u64().is_some_and(|s| s > 0), "{refused}");
    let res = app.client.get(app.url("/readyz")).send().await.expect("readyz");
    assert_eq!(res.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);

    // Back: the client's retry with the same id is stored once, as is a second retry.
    proxy.restore();
    let mut seq = None;
    for _ in 0..2 {
        visitor
            .send(json!({ "type": "chat-message", "chatId": chat_id, "clientMsgId": "while-down", "content": "x" }))
            .await;
        let ack = visitor.next_within(&["ack", "error"], Duration::from_secs(20)).await;
        assert_eq!(ack["type"], "ack", "{ack}");
        seq.get_or_insert(ack["seq"].clone());
        assert_eq!(Some(&ack["seq"]), seq.as_ref());
    }
    let (_, history) = app.api(Method::GET, &format!("/api/chats/{chat_id}/messages?after_seq=0"), &admin, None).await;
    let seqs: Vec<i64> = history.as_array().expect("list").iter().filter_map(|m| m["seq"].as_i64()).collect();
    assert_eq!(seqs, [1, 2]);
    drop(visitor);
    app.stop().await;
}

async fn wait_for(mut ok: impl FnMut() -> bool, limit: Duration, what: &str) {
    let deadline = tokio::time::Instant::now() + limit;
    while !ok() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
