//! Several nodes on one MariaDB/MySQL database and a Redis of the test's own (started here on a free port; the
//! machine's shared Redis is never touched): events, presence and access changes reach every node.

mod common;

use std::time::Duration;

use common::redis::Redis;
use common::ws::{agent_ws, visitor_session, visitor_session_from, visitor_ws};
use common::{test_config, Backend, TestApp, TestDb, PASSWORD};
use reqwest::Method;
use serde_json::json;

/// Three nodes on one new database, sharing `redis` under a prefix of their own.
async fn three_nodes(redis: &Redis) -> (TestApp, TestApp, TestApp) {
    three_nodes_with(redis, &[]).await
}

async fn three_nodes_with(redis: &Redis, extra: &[(&str, &str)]) -> (TestApp, TestApp, TestApp) {
    let db = TestDb::create(Backend::Mysql).await;
    let prefix = format!("t{:08x}", rand::random::<u32>());
    let mut env = vec![("REDIS_URL", redis.url.as_str()), ("HELPDESK_REDIS_PREFIX", prefix.as_str())];
    env.extend_from_slice(extra);
    let config = test_config(&db, &env);
    let first = TestApp::start(db, config).await;
    let second = first.second_node().await;
    let third = first.second_node().await;
    for node in [&first, &second, &third] {
        wait_until(|| node.state.cluster_healthy() == Some(true), "the node follows Redis").await;
    }
    (first, second, third)
}

/// The widget config node `app` serves for `key` from `origin`: its status and body.
async fn widget_config(app: &TestApp, key: &str, origin: &str) -> (u16, serde_json::Value) {
    let res = app
        .client
        .get(app.url(&format!("/api/widget/config?apiKey={key}")))
        .header("Origin", origin)
        .send()
        .await
        .expect("config");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or_default())
}

/// Polls `check` until it holds (another node hears of a change within a Redis round trip, not in the same
/// instant); panics with `what` after 5 s.
async fn eventually<F, Fut>(mut check: F, what: &str)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}

async fn wait_until(mut ok: impl FnMut() -> bool, what: &str) {
    for _ in 0..200 {
        if ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}

/// Named so that the test command's `--skip mysql::` skips it without a MariaDB; it has no SQLite twin.
mod cluster_mysql {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn events_and_access_changes_reach_every_node() {
        super::events_and_access_changes_reach_every_node().await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn widget_requests_count_across_nodes() {
        super::widget_requests_count_across_nodes().await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn visitor_messages_and_failed_sign_ins_count_across_nodes() {
        super::visitor_messages_and_failed_sign_ins_count_across_nodes().await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn config_changes_and_online_agents_are_seen_by_every_node() {
        super::config_changes_and_online_agents_are_seen_by_every_node().await
    }
}

#[test]
fn several_nodes_on_one_sqlite_file_are_refused() {
    let err = server::Config::from_lookup(|name| match name {
        "REDIS_URL" => Some("redis://127.0.0.1:6379".into()),
        "HELPDESK_DATA_DIR" => Some(std::env::temp_dir().display().to_string()),
        _ => None,
    })
    .expect_err("SQLite with REDIS_URL");
    assert!(err.to_string().contains("shared MySQL/MariaDB database"), "{err}");
}

async fn events_and_access_changes_reach_every_node() {
    let _ = tracing_subscriber::fmt().with_env_filter("info").with_test_writer().try_init();
    let redis = Redis::start().await;
    let (one, two, three) = three_nodes(&redis).await;
    let admin = one.admin_token().await;
    let created = one.create_website(&admin, "Shop", &["shop.example.com"]).await;
    let website = created["id"].as_str().expect("id").to_string();
    let key = created["apiKey"].as_str().expect("key").to_string();
    one.create_user(&admin, "g@helpdesk.test", "agent", &[website.as_str()]).await;
    let agent_token = three.token("g@helpdesk.test", PASSWORD).await;

    // The agent on node 3, the visitor on node 1.
    let mut agent = agent_ws(&three, &agent_token, &website).await;
    let session = visitor_session(&one, &key, None).await;
    let mut visitor = visitor_ws(&one, &key, session["visitorToken"].as_str().expect("token")).await;
    assert_eq!(agent.next("visitor-online").await["visitorId"], session["visitorId"]);

    visitor.send(json!({ "type": "chat-message", "clientMsgId": "v-1", "content": "Hello from node one" })).await;
    let ack = visitor.next("ack").await;
    let chat_id = ack["chatId"].as_str().expect("chat").to_string();
    let heard = agent.next("new-message").await;
    assert_eq!(heard["message"]["content"], "Hello from node one", "{heard}");

    visitor.send(json!({ "type": "typing-start", "chatId": chat_id })).await;
    assert_eq!(agent.next("user-typing").await["senderType"], "visitor");
    agent.send(json!({ "type": "typing-start", "chatId": chat_id })).await;
    assert_eq!(visitor.next("user-typing").await["senderType"], "admin");
    visitor.send(json!({ "type": "page-view", "url": "https://shop.example.com/cart", "title": "Cart" })).await;
    assert_eq!(agent.next("visitor-page").await["url"], "https://shop.example.com/cart");
    agent.send(json!({ "type": "chat-message", "chatId": chat_id, "clientMsgId": "a-1", "content": "Hi!" })).await;
    agent.next("ack").await;
    // Taking the chat is said first ("g joined the chat"), across nodes too.
    assert_eq!(visitor.next("new-message").await["message"]["content"], "g joined the chat");
    assert_eq!(visitor.next("new-message").await["message"]["content"], "Hi!");

    // Presence is one truth: node 2, where nobody is connected, shows the visitor of node 1 and the agent of
    // node 3.
    let cookie = two.dashboard_session("g@helpdesk.test", PASSWORD).await.expect("session");
    let (_, board) = two.sfn("load_dashboard", &cookie, json!({ "tz": "UTC" })).await;
    let board = &board[0];
    let here: Vec<&str> =
        board["visitors"].as_array().expect("visitors").iter().filter_map(|v| v["visitorId"].as_str()).collect();
    assert_eq!(here, [session["visitorId"].as_str().expect("id")], "{board}");
    let agents: Vec<&str> =
        board["agents"].as_array().expect("agents").iter().filter_map(|a| a["name"].as_str()).collect();
    assert_eq!(agents, ["g"], "{board}");

    // A deactivated user's sockets close on every node.
    let user_id = one.create_user(&admin, "h@helpdesk.test", "agent", &[website.as_str()]).await;
    let other_token = two.token("h@helpdesk.test", PASSWORD).await;
    let mut other = agent_ws(&three, &other_token, &website).await;
    let (status, _) =
        one.api(Method::PATCH, &format!("/api/users/{user_id}"), &admin, Some(json!({ "isActive": false }))).await;
    assert!(status.is_success(), "{status}");
    assert_eq!(other.close_code().await, Some(protocol::CLOSE_SIGNED_OUT));

    // A visitor who leaves node 1 is announced offline to the agent on node 3.
    drop(visitor);
    assert_eq!(agent.next("visitor-offline").await["visitorId"], session["visitorId"]);

    drop(agent);
    two.stop().await;
    three.stop().await;
    one.stop().await;
}

async fn config_changes_and_online_agents_are_seen_by_every_node() {
    let redis = Redis::start().await;
    let (one, two, three) = three_nodes(&redis).await;
    let origin = "https://shop.example.com";
    let admin = one.admin_token().await;
    let created = one.create_website(&admin, "Shop", &["shop.example.com"]).await;
    let id = created["id"].as_str().expect("id").to_string();
    let key = created["apiKey"].as_str().expect("key").to_string();
    let mut settings = one.api(Method::GET, &format!("/api/websites/{id}/settings"), &admin, None).await.1;
    settings["businessHours"] = json!({ "enabled": false, "timezone": "UTC", "days": [[], [], [], [], [], [], []], "offlineWhenNoAgents": true });
    let (status, body) = one.api(Method::PUT, &format!("/api/websites/{id}/settings"), &admin, Some(settings)).await;
    assert!(status.is_success(), "{body}");

    // Node 2 caches the config; nobody is connected anywhere, so the widget shows the offline form.
    let (status, body) = widget_config(&two, &key, origin).await;
    assert_eq!((status, body["online"].clone()), (200, json!(false)), "{body}");

    // An agent connects to node 3: node 2's widgets go online; they go offline again when the agent leaves.
    let agent = agent_ws(&three, &admin, &id).await;
    eventually(|| async { widget_config(&two, &key, origin).await.1["online"] == true }, "node 2 sees the agent").await;
    drop(agent);
    eventually(|| async { widget_config(&two, &key, origin).await.1["online"] == false }, "node 2 sees them leave")
        .await;

    // Settings and allowed domains changed on node 1 replace node 2's cached config.
    let mut settings = one.api(Method::GET, &format!("/api/websites/{id}/settings"), &admin, None).await.1;
    settings["welcomeMessage"] = json!("Bonjour !");
    let (status, body) = one.api(Method::PUT, &format!("/api/websites/{id}/settings"), &admin, Some(settings)).await;
    assert!(status.is_success(), "{body}");
    eventually(|| async { widget_config(&two, &key, origin).await.1["welcomeMessage"] == "Bonjour !" }, "new settings")
        .await;
    let domains = json!({ "domains": ["other.example.com"] });
    let (status, _) = one.api(Method::PUT, &format!("/api/websites/{id}"), &admin, Some(domains)).await;
    assert!(status.is_success());
    eventually(|| async { widget_config(&two, &key, origin).await.0 == 403 }, "the old domain refused").await;
    let origin = "https://other.example.com";
    assert_eq!(widget_config(&two, &key, origin).await.0, 200);

    // A rotated key stops on every node at once, and the visitor sockets opened with it on node 3 close.
    let session = visitor_session_from(&three, &key, origin, None).await;
    let mut visitor = common::ws::Ws::visitor(&three, &key, session["visitorToken"].as_str().expect("t"), Some(origin))
        .await
        .expect("visitor socket");
    visitor.next("hello").await;
    let (status, rotated) = one.api(Method::POST, &format!("/api/websites/{id}/rotate-key"), &admin, None).await;
    assert!(status.is_success(), "{rotated}");
    eventually(|| async { widget_config(&two, &key, origin).await.0 == 401 }, "the old key refused").await;
    assert!(visitor.close_code().await.is_some(), "the visitor socket on node 3 closes");
    let new_key = rotated["apiKey"].as_str().expect("key");
    assert_eq!(widget_config(&two, new_key, origin).await.0, 200);

    two.stop().await;
    three.stop().await;
    one.stop().await;
}

async fn widget_requests_count_across_nodes() {
    let redis = Redis::start().await;
    let (one, two, three) = three_nodes_with(&redis, &[("HELPDESK_WIDGET_REQUESTS_PER_15MIN", "4")]).await;
    let admin = one.admin_token().await;
    let created = one.create_website(&admin, "Shop", &["shop.example.com"]).await;
    let key = created["apiKey"].as_str().expect("key").to_string();
    let origin = "https://shop.example.com";
    // Four requests spread over the three nodes use up one client's allowance; the fifth is refused wherever.
    for node in [&one, &two, &three, &one] {
        assert_eq!(widget_config(node, &key, origin).await.0, 200);
    }
    for node in [&two, &three] {
        let (status, body) = widget_config(node, &key, origin).await;
        assert_eq!((status, body["error"].as_str()), (429, Some("rate_limited")), "{body}");
    }
    two.stop().await;
    three.stop().await;
    one.stop().await;
}

async fn visitor_messages_and_failed_sign_ins_count_across_nodes() {
    let redis = Redis::start().await;
    let (one, two, three) = three_nodes_with(&redis, &[("HELPDESK_VISITOR_MESSAGES_PER_MIN", "3")]).await;
    let admin = one.admin_token().await;
    let created = one.create_website(&admin, "Shop", &["shop.example.com"]).await;
    let key = created["apiKey"].as_str().expect("key").to_string();

    // A visitor who moves to another node keeps the allowance they spent.
    let session = visitor_session(&one, &key, None).await;
    let token = session["visitorToken"].as_str().expect("token");
    let mut visitor = visitor_ws(&one, &key, token).await;
    for id in ["a", "b"] {
        visitor.send(json!({ "type": "chat-message", "clientMsgId": id, "content": id })).await;
        visitor.next("ack").await;
    }
    drop(visitor);
    let mut visitor = visitor_ws(&two, &key, token).await;
    visitor.send(json!({ "type": "chat-message", "clientMsgId": "c", "content": "c" })).await;
    visitor.next("ack").await;
    visitor.send(json!({ "type": "chat-message", "clientMsgId": "d", "content": "d" })).await;
    let refused = visitor.next_of(&["ack", "error"]).await;
    assert_eq!((refused["code"].as_str(), refused["clientMsgId"].as_str()), (Some("rate_limited"), Some("d")));

    // Failed sign-ins for one email from one address: ten spread over the nodes use up the allowance; the next
    // attempts are refused on any node, even with the right password.
    one.create_user(&admin, "g@helpdesk.test", "agent", &[]).await;
    let login = |node: &TestApp, password: &str| {
        node.client
            .post(node.url("/api/auth/login"))
            .json(&json!({ "email": "g@helpdesk.test", "password": password }))
            .send()
    };
    for (i, node) in [&one, &two, &three].iter().cycle().take(10).enumerate() {
        assert_eq!(login(node, "wrong password").await.expect("login").status().as_u16(), 401, "attempt {i}");
    }
    assert_eq!(login(&one, "wrong password").await.expect("login").status().as_u16(), 429);
    let res = login(&three, PASSWORD).await.expect("login");
    assert_eq!(res.status().as_u16(), 429);
    assert!(res.headers().contains_key("retry-after"));
    two.stop().await;
    three.stop().await;
    one.stop().await;
}
