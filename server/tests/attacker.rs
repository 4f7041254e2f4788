//! Every documented route, tried like an attacker would: with no credentials, with another tenant's admin token on
//! this tenant's objects, with an agent's token on admin actions, with a visitor token where an agent's belongs, and
//! the widget routes with another website's key or visitor. The routes come from `/api/openapi.json`, so a route
//! documented later is tried too (or the test fails until it is given a sensible request). Afterwards the tenant's
//! objects are as they were.

mod common;

use common::ws::{visitor_session, visitor_ws, ORIGIN};
use common::{TestApp, PASSWORD};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{json, Value};

backend_tests!(every_route_refuses_strangers_other_tenants_and_the_wrong_role);

/// Tenant A's objects, which everyone else tries to reach.
struct Target {
    website: String,
    key: String,
    agent: String,
    chat: String,
    attachment: String,
    visitor_token: String,
    canned: String,
    label: String,
    visitor: String,
    email: String,
    webhook: String,
    webhook_secret: String,
    delivery: String,
}

async fn tenant_a(app: &TestApp, root: &str) -> (Target, String, String) {
    app.create_user(root, "a@helpdesk.test", "admin", &[]).await;
    let admin = app.token("a@helpdesk.test", PASSWORD).await;
    let site = app.create_website(&admin, "Site A", &["shop.example.com"]).await;
    let website = site["id"].as_str().expect("id").to_string();
    let key = site["apiKey"].as_str().expect("key").to_string();
    let agent = app.create_user(&admin, "ga@helpdesk.test", "agent", &[website.as_str()]).await;
    let agent_token = app.token("ga@helpdesk.test", PASSWORD).await;
    let session = visitor_session(app, &key, None).await;
    let visitor_token = session["visitorToken"].as_str().expect("t").to_string();
    let visitor_id = session["visitorId"].as_str().expect("visitor").to_string();
    let mut visitor = visitor_ws(app, &key, &visitor_token).await;
    visitor.send(json!({ "type": "chat-message", "clientMsgId": "a-1", "content": "private to A" })).await;
    let chat = visitor.next("ack").await["chatId"].as_str().expect("chat").to_string();
    let form = Form::new().part("file", Part::bytes(b"invoice for A".to_vec()).file_name("a.txt"));
    let res = app
        .client
        .post(app.url(&format!("/api/chats/{chat}/attachments")))
        .bearer_auth(&agent_token)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), StatusCode::CREATED);
    let attachment =
        res.json::<Value>().await.expect("json")["attachment"]["id"].as_str().expect("attachment").to_string();
    let body = json!({ "websiteId": website, "shortcut": "refund", "content": "Refunds take 5 days." });
    let (status, canned) = app.api(Method::POST, "/api/canned-responses", &admin, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{canned}");
    let canned = canned["id"].as_str().expect("id").to_string();
    let body = json!({ "websiteId": website, "name": "VIP", "color": "#d97706" });
    let (status, label) = app.api(Method::POST, "/api/labels", &admin, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{label}");
    let label = label["id"].as_str().expect("id").to_string();
    let (status, _) =
        app.api(Method::PATCH, &format!("/api/chats/{chat}/labels"), &admin, Some(json!({ "add": [label] }))).await;
    assert_eq!(status, StatusCode::OK);
    // A failed email of A's (this server sends none: it has no SMTP server), for "send again".
    let email = uuid::Uuid::now_v7().to_string();
    let now = chrono::Utc::now().naive_utc();
    domain::entities::emails::ActiveModel {
        id: Set(email.clone()),
        kind: Set(protocol::EmailKind::Transcript),
        website_id: Set(Some(website.clone())),
        chat_id: Set(Some(chat.clone())),
        recipient: Set("customer@example.com".into()),
        reply_to: Set(None),
        subject: Set("Your chat with Site A".into()),
        body: Set("private to A".into()),
        dedupe_key: Set(format!("test:{email}")),
        status: Set(protocol::EmailStatus::Failed),
        attempts: Set(8),
        next_attempt_at: Set(now),
        last_error: Set(Some("550 No such mailbox".into())),
        created_at: Set(now),
        sent_at: Set(None),
    }
    .insert(app.state.db())
    .await
    .expect("an email of A's");
    // A webhook of A's (a public address, so this server, which allows no private ones, accepts it) and a failed
    // delivery of it.
    let body = json!({ "url": "https://93.184.216.34/a-hook", "events": ["chat.resolved"] });
    let (status, webhook) =
        app.api(Method::POST, &format!("/api/websites/{website}/webhooks"), &admin, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{webhook}");
    let webhook_secret = webhook["secret"].as_str().expect("secret").to_string();
    let webhook = webhook["id"].as_str().expect("id").to_string();
    let delivery = uuid::Uuid::now_v7().to_string();
    domain::entities::webhook_deliveries::ActiveModel {
        id: Set(delivery.clone()),
        webhook_id: Set(webhook.clone()),
        website_id: Set(website.clone()),
        chat_id: Set(Some(chat.clone())),
        event: Set(protocol::WebhookEvent::ChatResolved),
        payload: Set("{\"private\":\"to A\"}".into()),
        status: Set(protocol::EmailStatus::Failed),
        attempts: Set(8),
        next_attempt_at: Set(now),
        response_status: Set(Some(500)),
        last_error: Set(Some("the receiver answered 500".into())),
        created_at: Set(now),
        delivered_at: Set(None),
    }
    .insert(app.state.db())
    .await
    .expect("a delivery of A's");
    (
        Target {
            website,
            key,
            agent,
            chat,
            attachment,
            visitor_token,
            canned,
            label,
            visitor: visitor_id,
            email,
            webhook,
            webhook_secret,
            delivery,
        },
        admin,
        agent_token,
    )
}

/// The route with A's ids in place of its parameters.
fn concrete(path: &str, t: &Target) -> String {
    let id = if path.starts_with("/api/websites/") {
        &t.website
    } else if path.starts_with("/api/users/") {
        &t.agent
    } else if path.starts_with("/api/chats/") {
        &t.chat
    } else if path.starts_with("/api/attachments/") || path.starts_with("/api/widget/attachments/") {
        &t.attachment
    } else if path.starts_with("/api/canned-responses/") {
        &t.canned
    } else if path.starts_with("/api/labels/") {
        &t.label
    } else if path.starts_with("/api/visitors/") {
        &t.visitor
    } else if path.starts_with("/api/emails/") {
        &t.email
    } else if path.starts_with("/api/webhooks/") {
        &t.webhook
    } else if path.starts_with("/api/webhook-deliveries/") {
        &t.delivery
    } else {
        assert!(!path.contains('{'), "{path}: say which of tenant A's objects its parameter names");
        ""
    };
    path.replace("{id}", id)
}

/// A request a legitimate caller could make, so a refusal is about who asks, not about the body.
fn body(method: &Method, path: &str, t: &Target) -> Option<Value> {
    let settings = json!({
        "primaryColor": "#112233", "position": "bottom-left", "welcomeMessage": "Hi", "offlineMessage": "Away",
        "customCss": "", "widgetSize": "compact",
        "businessHours": { "enabled": false, "timezone": "UTC", "days": [[], [], [], [], [], [], []] }
    });
    match (method.as_str(), path) {
        ("POST", "/api/auth/login") => Some(json!({ "email": "a@helpdesk.test", "password": "wrong guess!" })),
        ("POST", "/api/websites") => Some(json!({ "name": "Mine", "domains": ["mine.example.com"] })),
        ("PUT", "/api/websites/{id}") => Some(json!({ "name": "Taken over" })),
        ("PUT", "/api/websites/{id}/settings") => Some(settings),
        ("POST", "/api/users") => Some(
            json!({ "email": "new@helpdesk.test", "name": "New", "role": "agent", "password": PASSWORD, "websiteIds": [t.website] }),
        ),
        ("PATCH", "/api/users/{id}") => Some(json!({ "isActive": false })),
        ("POST", "/api/users/{id}/password") => Some(json!({ "password": "taken-over-123" })),
        ("PATCH", "/api/chats/{id}") => Some(json!({ "status": "closed", "resolution": "closed by someone else" })),
        ("POST", "/api/messages") => Some(json!({ "chatId": t.chat, "content": "injected", "type": "text" })),
        ("POST", "/api/canned-responses") => {
            Some(json!({ "websiteId": t.website, "shortcut": "injected", "content": "injected" }))
        }
        ("PATCH", "/api/canned-responses/{id}") => Some(json!({ "content": "injected" })),
        ("POST", "/api/labels") => Some(json!({ "websiteId": t.website, "name": "injected", "color": "#000000" })),
        ("PATCH", "/api/labels/{id}") => Some(json!({ "name": "injected" })),
        ("PATCH", "/api/chats/{id}/labels") => Some(json!({ "remove": [t.label] })),
        ("PATCH", "/api/visitors/{id}") => Some(json!({ "name": "injected" })),
        ("POST", "/api/chats/{id}/transcript") => Some(json!({ "email": "eve@example.com" })),
        ("POST", "/api/websites/{id}/webhooks") => {
            Some(json!({ "url": "https://93.184.216.34/injected", "events": ["message.created"] }))
        }
        ("PATCH", "/api/webhooks/{id}") => Some(json!({ "url": "https://93.184.216.34/injected" })),
        ("POST", "/api/widget/transcript") => Some(json!({ "chatId": t.chat, "email": "eve@example.com" })),
        ("POST", "/api/widget/prechat") => Some(json!({ "name": "Eve", "email": "eve@example.com", "consent": true })),
        ("POST", "/api/widget/rating") => Some(json!({ "chatId": t.chat, "rating": 1, "comment": "injected" })),
        ("POST", "/api/widget/session") => Some(json!({ "visitorToken": t.visitor_token })),
        ("POST", "/api/widget/offline") => Some(
            json!({ "visitorToken": t.visitor_token, "name": "Eve", "email": "eve@example.com", "message": "injected" }),
        ),
        _ => None,
    }
}

fn multipart(path: &str) -> bool {
    path.ends_with("/attachments") && !path.contains("{id}/thumbnail")
}

/// Sends `method path` with `bearer` (if any), `headers`, and the route's usual body; returns status and body.
async fn call(
    app: &TestApp,
    method: &Method,
    path: &str,
    t: &Target,
    bearer: Option<&str>,
    query: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, String) {
    let url = format!("{}{}", app.url(&concrete(path, t)), query);
    let mut req = app.client.request(method.clone(), url);
    if let Some(token) = bearer {
        req = req.bearer_auth(token);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if multipart(path) && *method == Method::POST {
        let mut form = Form::new().part("file", Part::bytes(b"injected".to_vec()).file_name("x.txt"));
        if path.starts_with("/api/widget/") {
            form = form.text("chatId", t.chat.clone());
        }
        req = req.multipart(form);
    } else if let Some(body) = body(method, path, t) {
        req = req.json(&body);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    (status, res.text().await.unwrap_or_default())
}

async fn every_route_refuses_strangers_other_tenants_and_the_wrong_role(app: &TestApp) {
    let root = app.admin_token().await;
    let (t, admin_a, agent_a) = tenant_a(app, &root).await;
    app.create_user(&root, "b@helpdesk.test", "admin", &[]).await;
    let admin_b = app.token("b@helpdesk.test", PASSWORD).await;
    let site_b = app.create_website(&admin_b, "Site B", &["b.example.com"]).await;
    let key_b = site_b["apiKey"].as_str().expect("key").to_string();
    let visitor_b = visitor_session_for(app, &key_b, "https://b.example.com").await;

    let spec: Value =
        app.client.get(app.url("/api/openapi.json")).send().await.expect("spec").json().await.expect("json");
    let mut routes: Vec<(Method, String)> = Vec::new();
    for (path, ops) in spec["paths"].as_object().expect("paths") {
        for method in ops.as_object().expect("operations").keys() {
            routes.push((method.to_uppercase().parse().expect("method"), path.clone()));
        }
    }
    assert!(routes.len() >= 30, "every route is documented: {}", routes.len());
    let a_ids = [&t.website, &t.key, &t.agent, &t.chat, &t.attachment, &t.canned, &t.label, &t.visitor, &t.webhook];
    let mut tried = 0;

    for (method, path) in &routes {
        let public = path == "/api/auth/login" || path == "/api/openapi.json";
        let widget = path.starts_with("/api/widget/");
        let what = format!("{method} {path}");
        if widget {
            // Without a key; with A's key from a page A does not allow; with B's key and B's own visitor.
            let (status, _) = call(app, method, path, &t, Some(&t.visitor_token), "", &[("Origin", ORIGIN)]).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{what} without a key");
            let a_key = format!("?apiKey={}", t.key);
            let (status, _) =
                call(app, method, path, &t, Some(&t.visitor_token), &a_key, &[("Origin", "https://evil.test")]).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{what} from a page A does not allow");
            let b_key = format!("?apiKey={key_b}");
            let (status, text) =
                call(app, method, path, &t, Some(&visitor_b), &b_key, &[("Origin", "https://b.example.com")]).await;
            assert!(a_ids.iter().all(|id| !text.contains(id.as_str())), "{what} as B's visitor: {text}");
            if path.contains("{id}") || path.ends_with("/attachments") {
                assert_eq!(status, StatusCode::NOT_FOUND, "{what} as B's visitor on A's objects: {text}");
            }
            tried += 1;
            continue;
        }
        // No credentials at all.
        let (status, _) = call(app, method, path, &t, None, "", &[]).await;
        if !public {
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{what} without a token");
            // A's own visitor's token is no agent token.
            let (status, _) = call(app, method, path, &t, Some(&t.visitor_token), "", &[]).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{what} with a visitor token");
        }
        if path == "/api/auth/logout" {
            // Signing out would end the attackers' own sessions: it was tried without a token and with a visitor's.
            tried += 1;
            continue;
        }
        // Another tenant's admin: A's objects do not exist for them, and lists show none of them.
        let (status, text) = call(app, method, path, &t, Some(&admin_b), "", &[]).await;
        if path.contains("{id}") {
            assert_eq!(status, StatusCode::NOT_FOUND, "{what} as admin B: {text}");
        }
        if status.is_success() && path != "/api/openapi.json" {
            assert!(a_ids.iter().all(|id| !text.contains(id.as_str())), "{what} as admin B shows A's data: {text}");
        }
        // A's agent may read their website and chats but change no website, settings, user or shared response,
        // and neither export nor erase a visitor.
        let admin_only = path.starts_with("/api/websites/{id}") && *method != Method::GET
            || path.starts_with("/api/users") && *method != Method::GET && !path.ends_with("/password")
            || path.starts_with("/api/canned-responses") && *method != Method::GET
            || path.starts_with("/api/labels") && *method != Method::GET
            || path.starts_with("/api/emails")
            || path.starts_with("/api/webhook")
            || path.starts_with("/api/websites/{id}/webhooks")
            || path.ends_with("/identity-secret")
            || path.starts_with("/api/visitors/{id}") && (*method == Method::DELETE || path.ends_with("/export"));
        if admin_only {
            let (status, text) = call(app, method, path, &t, Some(&agent_a), "", &[]).await;
            assert!(
                status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
                "{what} as A's agent: {status} {text}"
            );
        }
        tried += 1;
    }
    assert_eq!(tried, routes.len());

    // Nothing of A's moved.
    let (status, website) = app.api(Method::GET, &format!("/api/websites/{}", t.website), &admin_a, None).await;
    assert_eq!(
        (status, website["apiKey"].as_str(), website["name"].as_str()),
        (StatusCode::OK, Some(t.key.as_str()), Some("Site A"))
    );
    assert_eq!(website["hasIdentitySecret"], false, "nobody made A an identity secret: {website}");
    let (_, chat) = app.api(Method::GET, &format!("/api/chats/{}", t.chat), &admin_a, None).await;
    // Taken by A's agent when they sent the file; nobody else closed, resolved or reassigned it.
    let state = (chat["status"].as_str(), chat["resolution"].as_str(), chat["assignedTo"].as_str());
    assert_eq!(state, (Some("ongoing"), None, Some(t.agent.as_str())), "{chat}");
    let (_, messages) = app.api(Method::GET, &format!("/api/chats/{}/messages", t.chat), &admin_a, None).await;
    let texts: Vec<&str> = messages.as_array().expect("list").iter().filter_map(|m| m["content"].as_str()).collect();
    assert_eq!(texts, ["private to A", "ga joined the chat", "a.txt"], "nothing was injected");
    let (_, canned) = app.api(Method::GET, "/api/canned-responses", &admin_a, None).await;
    let canned: Vec<(&str, &str)> = canned
        .as_array()
        .expect("list")
        .iter()
        .map(|c| (c["shortcut"].as_str().unwrap_or_default(), c["content"].as_str().unwrap_or_default()))
        .collect();
    assert_eq!(canned, [("refund", "Refunds take 5 days.")], "A's shared responses are A's");
    let (_, labels) = app.api(Method::GET, "/api/labels", &admin_a, None).await;
    assert_eq!(labels[0]["name"], "VIP", "{labels}");
    assert_eq!(chat["labels"], json!([t.label]), "the chat keeps its label: {chat}");
    assert_eq!(app.login("ga@helpdesk.test", PASSWORD).await.status(), StatusCode::OK, "A's agent's password held");
    let (_, users) = app.api(Method::GET, "/api/users", &admin_a, None).await;
    let agent = users.as_array().expect("list").iter().find(|u| u["id"] == t.agent.as_str()).expect("A's agent");
    assert_eq!(agent["isActive"], true);
    let (_, emails) = app.api(Method::GET, "/api/emails", &admin_a, None).await;
    let email = &emails["emails"][0];
    assert_eq!((email["status"].as_str(), email["attempts"].as_u64()), (Some("failed"), Some(8)), "{emails}");
    let (_, hooks) = app.api(Method::GET, &format!("/api/websites/{}/webhooks", t.website), &admin_a, None).await;
    let hook = &hooks[0];
    assert_eq!(hooks.as_array().map(Vec::len), Some(1), "no webhook was added: {hooks}");
    let kept = (hook["url"].as_str(), hook["isActive"].as_bool(), hook["events"].clone(), hook["secret"].as_str());
    let was =
        (Some("https://93.184.216.34/a-hook"), Some(true), json!(["chat.resolved"]), Some(t.webhook_secret.as_str()));
    assert_eq!(kept, was, "{hook}");
    let (_, log) = app.api(Method::GET, "/api/webhook-deliveries", &admin_a, None).await;
    let delivery = &log["deliveries"][0];
    assert_eq!((delivery["status"].as_str(), delivery["attempts"].as_u64()), (Some("failed"), Some(8)), "{log}");
}

async fn visitor_session_for(app: &TestApp, key: &str, origin: &str) -> String {
    let res = app
        .client
        .post(app.url(&format!("/api/widget/session?apiKey={key}")))
        .header("Origin", origin)
        .json(&json!({}))
        .send()
        .await
        .expect("session");
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<Value>().await.expect("json")["visitorToken"].as_str().expect("token").to_string()
}
