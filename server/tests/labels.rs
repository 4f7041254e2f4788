//! Labels and inbox views: those who manage a website define its labels, everyone who works on it puts them on its
//! chats, and the inbox filters by view, website and label with counts. Every refusal: another website's label on a
//! chat, an agent defining labels, another tenant's label. Visitors never hear of labels; inbox rows carry the
//! visitor's name and the last message.

mod common;

use common::ws::{agent_ws, visitor_session, visitor_ws};
use common::{TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

backend_tests!(labels_are_defined_per_website_and_put_on_its_chats, inbox_views_filter_and_count);

fn ids(list: &Value) -> Vec<String> {
    list.as_array().expect("list").iter().map(|c| c["id"].as_str().unwrap_or_default().to_string()).collect()
}

/// A chat opened by a new visitor of `key` with `text`; its id.
async fn chat_of(app: &TestApp, key: &str, text: &str) -> String {
    let session = visitor_session(app, key, None).await;
    let mut visitor = visitor_ws(app, key, session["visitorToken"].as_str().expect("token")).await;
    visitor.send(json!({ "type": "chat-message", "clientMsgId": "v-1", "content": text })).await;
    visitor.next("ack").await["chatId"].as_str().expect("chat").to_string()
}

async fn labels_are_defined_per_website_and_put_on_its_chats(app: &TestApp) {
    let root = app.admin_token().await;
    app.create_user(&root, "a@helpdesk.test", "admin", &[]).await;
    let admin = app.token("a@helpdesk.test", PASSWORD).await;
    let shop = app.create_website(&admin, "Shop", &["shop.example.com"]).await;
    let (shop_id, shop_key) = (shop["id"].as_str().expect("id"), shop["apiKey"].as_str().expect("key"));
    let blog = app.create_website(&admin, "Blog", &["blog.example.com"]).await;
    let blog_id = blog["id"].as_str().expect("id");
    app.create_user(&admin, "g@helpdesk.test", "agent", &[shop_id]).await;
    let agent = app.token("g@helpdesk.test", PASSWORD).await;
    app.create_user(&root, "b@helpdesk.test", "admin", &[]).await;
    let stranger = app.token("b@helpdesk.test", PASSWORD).await;
    let post = |token: &str, body: Value| {
        let token = token.to_string();
        async move { app.api(Method::POST, "/api/labels", &token, Some(body)).await }
    };

    let (status, vip) = post(&admin, json!({ "websiteId": shop_id, "name": "VIP", "color": "#D97706" })).await;
    assert_eq!((status, vip["color"].as_str()), (StatusCode::CREATED, Some("#d97706")), "{vip}");
    let vip_id = vip["id"].as_str().expect("id").to_string();
    let (_, bug) = post(&admin, json!({ "websiteId": shop_id, "name": "Bug", "color": "#b42318" })).await;
    let bug_id = bug["id"].as_str().expect("id").to_string();
    let (_, blog_label) = post(&admin, json!({ "websiteId": blog_id, "name": "VIP", "color": "#000000" })).await;
    let blog_label_id = blog_label["id"].as_str().expect("id").to_string();
    for (body, code, field) in [
        (json!({ "websiteId": shop_id, "name": "vip", "color": "#000000" }), StatusCode::CONFLICT, "name"),
        (json!({ "websiteId": shop_id, "name": " ", "color": "#000000" }), StatusCode::UNPROCESSABLE_ENTITY, "name"),
        (
            json!({ "websiteId": shop_id, "name": "x".repeat(51), "color": "#000000" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (json!({ "websiteId": shop_id, "name": "Red", "color": "red" }), StatusCode::UNPROCESSABLE_ENTITY, "color"),
    ] {
        let (status, error) = post(&admin, body.clone()).await;
        assert_eq!((status, error["field"].as_str()), (code, Some(field)), "{body}: {error}");
    }
    // An agent uses labels but does not define them; a stranger does not see the website.
    let (status, _) = post(&agent, json!({ "websiteId": shop_id, "name": "Mine", "color": "#000000" })).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post(&stranger, json!({ "websiteId": shop_id, "name": "Mine", "color": "#000000" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = app.api(Method::GET, "/api/labels", &agent, None).await;
    assert_eq!(ids(&list), [bug_id.clone(), vip_id.clone()], "the shop's only, by name: {list}");
    let (_, list) = app.api(Method::GET, "/api/labels", &stranger, None).await;
    assert_eq!(ids(&list), Vec::<String>::new());
    for (method, body) in [(Method::PATCH, Some(json!({ "name": "Taken" }))), (Method::DELETE, None)] {
        let (status, _) = app.api(method.clone(), &format!("/api/labels/{vip_id}"), &agent, body.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} as the agent");
        let (status, _) = app.api(method.clone(), &format!("/api/labels/{vip_id}"), &stranger, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} as a stranger");
    }

    // On a chat: the agent adds the shop's labels; the blog's label, or one that does not exist, is refused.
    let session = visitor_session(app, shop_key, None).await;
    let mut visitor = visitor_ws(app, shop_key, session["visitorToken"].as_str().expect("token")).await;
    visitor.send(json!({ "type": "chat-message", "clientMsgId": "v-1", "content": "Hello" })).await;
    let chat = visitor.next("ack").await["chatId"].as_str().expect("chat").to_string();
    visitor.until_pong().await;
    let mut watcher = agent_ws(app, &agent, shop_id).await;
    let path = format!("/api/chats/{chat}/labels");
    let (status, summary) = app.api(Method::PATCH, &path, &agent, Some(json!({ "add": [vip_id, bug_id] }))).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(summary["labels"], json!([vip_id, bug_id]));
    let updated = watcher.next("chat-updated").await;
    assert_eq!(updated["chat"]["labels"], json!([vip_id, bug_id]), "the website's agents hear it");
    for change in
        [json!({ "add": [blog_label_id] }), json!({ "add": ["no-such-label"] }), json!({ "remove": [blog_label_id] })]
    {
        let (status, error) = app.api(Method::PATCH, &path, &agent, Some(change.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{change}: {error}");
    }
    let (status, _) = app.api(Method::PATCH, &path, &stranger, Some(json!({ "remove": [vip_id] }))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Adding again is no error; removing takes it off.
    let (_, summary) =
        app.api(Method::PATCH, &path, &agent, Some(json!({ "add": [vip_id], "remove": [bug_id] }))).await;
    assert_eq!(summary["labels"], json!([vip_id]));
    // The visitor heard nothing of it.
    let heard = visitor.until_pong().await;
    assert!(heard.iter().all(|e| !e.to_string().contains(&vip_id) && !e.to_string().contains("labels")), "{heard:?}");

    // The inbox filters by label; a deleted label leaves every chat.
    let (_, list) = app.api(Method::GET, &format!("/api/chats?label={vip_id}"), &agent, None).await;
    assert_eq!(ids(&list), [chat.as_str()]);
    let (_, list) = app.api(Method::GET, &format!("/api/chats?label={bug_id}"), &agent, None).await;
    assert_eq!(ids(&list), Vec::<String>::new());
    let (status, _) = app.api(Method::DELETE, &format!("/api/labels/{vip_id}"), &admin, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, summary) = app.api(Method::GET, &format!("/api/chats/{chat}"), &agent, None).await;
    assert_eq!(summary["labels"], json!([]), "{summary}");

    // At most 100 labels at once on a chat, and per website.
    let many = vec![bug_id.clone(); 101];
    let (status, error) = app.api(Method::PATCH, &path, &agent, Some(json!({ "add": many }))).await;
    assert_eq!((status, error["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("add")), "{error}");
    // The blog has one label already.
    let mut first = String::new();
    for i in 0..99 {
        let (status, created) =
            post(&admin, json!({ "websiteId": blog_id, "name": format!("L{i}"), "color": "#000000" })).await;
        assert_eq!(status, StatusCode::CREATED, "label {i}");
        if i == 0 {
            first = created["id"].as_str().expect("id").to_string();
        }
    }
    let (status, error) =
        post(&admin, json!({ "websiteId": blog_id, "name": "One too many", "color": "#000000" })).await;
    assert_eq!((status, error["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("name")), "{error}");
    // Renaming to a name the website has, whatever the case, is refused too.
    let (status, error) =
        app.api(Method::PATCH, &format!("/api/labels/{first}"), &admin, Some(json!({ "name": "l1" }))).await;
    assert_eq!((status, error["field"].as_str()), (StatusCode::CONFLICT, Some("name")), "{error}");

    // Through the dashboard's server functions, the same scope.
    let cookie = app.dashboard_session("g@helpdesk.test", PASSWORD).await.expect("session");
    let (status, _) =
        app.sfn("set_chat_labels", &cookie, json!({ "chat_id": chat, "change": { "add": [blog_label_id] } })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, list) = app.sfn("list_labels", &cookie, json!({ "website_id": null })).await;
    assert_eq!((status, ids(&list)), (StatusCode::OK, vec![bug_id.clone()]));
}

async fn inbox_views_filter_and_count(app: &TestApp) {
    let admin = app.admin_token().await;
    let (_, me) = app.api(Method::GET, "/api/auth/me", &admin, None).await;
    let me_id = me["id"].as_str().expect("id").to_string();
    let shop = app.create_website(&admin, "Shop", &["shop.example.com"]).await;
    let (shop_id, key) =
        (shop["id"].as_str().expect("id").to_string(), shop["apiKey"].as_str().expect("key").to_string());
    let waiting = chat_of(app, &key, "First, still waiting").await;
    let mine = chat_of(app, &key, "Second, taken").await;
    let ended = chat_of(app, &key, "Third, resolved").await;
    let (status, _) =
        app.api(Method::PATCH, &format!("/api/chats/{mine}"), &admin, Some(json!({ "assignedTo": me_id }))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) =
        app.api(Method::PATCH, &format!("/api/chats/{ended}"), &admin, Some(json!({ "status": "resolved" }))).await;
    assert_eq!(status, StatusCode::OK);
    // A visitor who left their name through the offline form shows by it.
    let session = visitor_session(app, &key, None).await;
    let offline = json!({ "visitorToken": session["visitorToken"], "name": "Zoé Martin", "email": "zoe@example.com", "message": "Call me back" });
    let res = app
        .client
        .post(app.url(&format!("/api/widget/offline?apiKey={key}")))
        .header("Origin", common::ws::ORIGIN)
        .json(&offline)
        .send()
        .await
        .expect("offline");
    assert!(res.status().is_success(), "{}", res.status());

    let list = |query: &str| {
        let path = format!("/api/chats{query}");
        let admin = admin.clone();
        async move {
            let (status, list) = app.api(Method::GET, &path, &admin, None).await;
            assert_eq!(status, StatusCode::OK, "{path}: {list}");
            list
        }
    };
    let all = list("").await;
    assert_eq!(all.as_array().expect("list").len(), 4);
    assert_eq!(ids(&list("?assignee=me&status=open").await), [mine.as_str()]);
    assert_eq!(ids(&list("?assignee=none&status=open").await).len(), 2, "the waiting chat and the offline message");
    assert_eq!(ids(&list("?status=ended").await), [ended.as_str()]);
    assert_eq!(ids(&list("?status=waiting").await), [waiting.as_str()]);
    assert_eq!(ids(&list(&format!("?websiteId={shop_id}&status=ongoing")).await), [mine.as_str()]);
    let (status, error) = app.api(Method::GET, "/api/chats?status=someday", &admin, None).await;
    assert_eq!((status, error["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("status")));

    // Rows carry the visitor's name when they gave one, and the last message.
    let rows = all.as_array().expect("list");
    let offline_row = rows.iter().find(|c| c["status"] == "offline").expect("offline row");
    assert_eq!(offline_row["visitorName"], "Zoé Martin");
    assert_eq!(offline_row["lastMessage"]["text"], "Call me back");
    let waiting_row = rows.iter().find(|c| c["id"] == waiting.as_str()).expect("waiting row");
    assert_eq!(
        (&waiting_row["visitorName"], &waiting_row["lastMessage"]["senderType"]),
        (&Value::Null, &json!("visitor"))
    );
    let ended_row = rows.iter().find(|c| c["id"] == ended.as_str()).expect("ended row");
    assert_eq!(ended_row["lastMessage"]["senderType"], "system", "resolving said so: {ended_row}");

    let (status, counts) = app.api(Method::GET, "/api/chats/counts", &admin, None).await;
    assert_eq!(status, StatusCode::OK, "{counts}");
    assert_eq!(
        (counts["mine"].as_u64(), counts["unassigned"].as_u64(), counts["open"].as_u64()),
        (Some(1), Some(2), Some(3)),
        "{counts}"
    );
    assert_eq!(counts["byStatus"], json!({ "waiting": 1, "ongoing": 1, "offline": 1, "resolved": 1 }));
    // An agent of another website counts nothing of this one.
    let other = app.create_website(&admin, "Other", &["other.example.com"]).await;
    app.create_user(&admin, "o@helpdesk.test", "agent", &[other["id"].as_str().expect("id")]).await;
    let outsider = app.token("o@helpdesk.test", PASSWORD).await;
    let (_, counts) = app.api(Method::GET, "/api/chats/counts", &outsider, None).await;
    assert_eq!((counts["open"].as_u64(), &counts["byStatus"]), (Some(0), &json!({})), "{counts}");
}
