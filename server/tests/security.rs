//! The holes an outside attack found, each closed at its mechanism, on both databases: access that changes while a
//! socket is open (membership, key rotation, deactivation, deletion, sign-out), an admin reaching another admin's
//! websites through a shared agent, agent-only fields reaching visitors, client ids that differ in case, tokens in
//! URLs, sign-in CSRF and lockout fairness, the dashboard's headers, and the widget's limits.

mod common;

use std::time::Duration;

use common::ws::{agent_ws, visitor_session, visitor_ws, Ws, ORIGIN};
use common::{TestApp, ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::json;

backend_tests!(
    removing_an_agent_from_a_website_stops_its_events_at_once,
    a_shared_agent_is_managed_only_by_their_creator,
    visitors_never_see_what_agents_keep_for_each_other,
    a_rotated_key_a_deactivated_or_a_deleted_website_closes_visitor_sockets,
    a_send_for_a_website_deleted_meanwhile_is_not_found,
    client_ids_differing_only_in_case_are_two_messages,
    signing_out_revokes_that_token_only_and_closes_its_sockets,
    sign_in_and_cookie_requests_must_come_from_our_origin,
    a_guesser_does_not_lock_the_owner_out,
    tokens_are_refused_in_websocket_urls,
    the_widget_key_may_come_in_a_header,
    dashboard_pages_carry_a_strict_csp_and_private_answers_are_not_stored,
);

struct Site {
    admin: String,
    website: String,
    key: String,
    agent: String,
    agent_id: String,
}

async fn site(app: &TestApp) -> Site {
    let admin = app.admin_token().await;
    let created = app.create_website(&admin, "Shop", &["shop.example.com"]).await;
    let website = created["id"].as_str().expect("id").to_string();
    let key = created["apiKey"].as_str().expect("key").to_string();
    let agent_id = app.create_user(&admin, "g@helpdesk.test", "agent", &[website.as_str()]).await;
    let agent = app.token("g@helpdesk.test", PASSWORD).await;
    Site { admin, website, key, agent, agent_id }
}

/// A visitor with an open socket and one chat: (socket, chat id, visitor token).
async fn visitor_with_chat(app: &TestApp, key: &str) -> (Ws, String, String) {
    let token = visitor_session(app, key, None).await["visitorToken"].as_str().expect("token").to_string();
    let mut visitor = visitor_ws(app, key, &token).await;
    visitor.send(json!({ "type": "chat-message", "clientMsgId": "first", "content": "Hello?" })).await;
    let chat = visitor.next("ack").await["chatId"].as_str().expect("chat").to_string();
    (visitor, chat, token)
}

async fn removing_an_agent_from_a_website_stops_its_events_at_once(app: &TestApp) {
    let s = site(app).await;
    let mut agent = agent_ws(app, &s.agent, &s.website).await;
    let (mut visitor, chat, _) = visitor_with_chat(app, &s.key).await;
    agent.next("new-message").await;

    let (status, body) = app
        .api(Method::PATCH, &format!("/api/users/{}", s.agent_id), &s.admin, Some(json!({ "websiteIds": [] })))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(agent.next("left-website").await["websiteId"], s.website.as_str());

    // The visitor writes again; once their ack is back the message has been published to everyone it goes to.
    visitor.send(json!({ "type": "chat-message", "chatId": chat, "clientMsgId": "second", "content": "secret" })).await;
    visitor.next("ack").await;
    visitor.send(json!({ "type": "typing-start", "chatId": chat })).await;
    visitor.until_pong().await;
    let heard = agent.until_pong().await;
    assert!(heard.is_empty(), "a removed agent still heard {heard:?}");

    // Nor can the socket follow the website again, or act on its chats.
    agent.send(json!({ "type": "join-website", "websiteId": s.website })).await;
    assert_eq!(agent.next("error").await["code"], "not_found");
    agent.send(json!({ "type": "resume", "chats": { chat.clone(): 0 } })).await;
    assert_eq!(agent.next("error").await["code"], "not_found");

    // Added back, a new join works; another agent who never lost access was never interrupted.
    app.api(
        Method::PATCH,
        &format!("/api/users/{}", s.agent_id),
        &s.admin,
        Some(json!({ "websiteIds": [s.website.as_str()] })),
    )
    .await;
    agent.send(json!({ "type": "join-website", "websiteId": s.website })).await;
    agent.next("joined").await;
}

async fn a_shared_agent_is_managed_only_by_their_creator(app: &TestApp) {
    let root = app.admin_token().await;
    app.create_user(&root, "a@helpdesk.test", "admin", &[]).await;
    app.create_user(&root, "b@helpdesk.test", "admin", &[]).await;
    let a = app.token("a@helpdesk.test", PASSWORD).await;
    let b = app.token("b@helpdesk.test", PASSWORD).await;
    let site_a = app.create_website(&a, "Site A", &["shop.example.com"]).await;
    let (wa, key_a) = (site_a["id"].as_str().expect("id"), site_a["apiKey"].as_str().expect("key"));
    let wb = app.create_website(&b, "Site B", &["b.example.com"]).await["id"].as_str().expect("id").to_string();
    let shared = app.create_user(&a, "shared@helpdesk.test", "agent", &[wa]).await;
    // A super admin also puts A's agent on B's website.
    let (status, _) = app
        .api(Method::PATCH, &format!("/api/users/{shared}"), &root, Some(json!({ "websiteIds": [wa, wb.as_str()] })))
        .await;
    assert_eq!(status, StatusCode::OK);

    // The agent works on A's website: resolves a chat with a note, and signs in.
    let agent = app.token("shared@helpdesk.test", PASSWORD).await;
    let (_visitor, chat, _) = visitor_with_chat(app, key_a).await;
    let note = json!({ "status": "resolved", "resolution": "refund approved by A's finance team" });
    let (status, _) = app.api(Method::PATCH, &format!("/api/chats/{chat}"), &agent, Some(note)).await;
    assert_eq!(status, StatusCode::OK);

    // B sees the agent (they work on B's website) but cannot take the account over.
    let (_, users) = app.api(Method::GET, "/api/users", &b, None).await;
    let row = users.as_array().expect("list").iter().find(|u| u["id"] == shared.as_str()).expect("listed for B");
    assert_eq!(row["canManage"], false);
    assert_eq!(row["websiteIds"], json!([wb]), "B sees only B's side of the agent's access");
    let new_password = json!({ "password": "taken-over-123" });
    let (status, _) = app.api(Method::POST, &format!("/api/users/{shared}/password"), &b, Some(new_password)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "B resets the agent's password");
    for change in [json!({ "isActive": false }), json!({ "name": "Mine now" }), json!({ "role": "admin" })] {
        let (status, _) = app.api(Method::PATCH, &format!("/api/users/{shared}"), &b, Some(change.clone())).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "B changes {change}");
    }
    assert_eq!(app.login("shared@helpdesk.test", PASSWORD).await.status(), StatusCode::OK, "the password held");

    // B's activity log shows nothing of what happened on A's website, nor the agent's sign-ins.
    let (_, log) = app.api(Method::GET, "/api/activity?perPage=100", &b, None).await;
    let text = log.to_string();
    assert!(!text.contains("refund approved") && !text.contains(chat.as_str()), "B reads A's chat: {text}");
    let b_items = log["items"].as_array().expect("items");
    assert!(b_items.iter().all(|e| e["userId"] != shared.as_str()), "B reads the agent's activity: {text}");
    // A, who manages the agent and owns the website, sees both.
    let (_, log) = app.api(Method::GET, "/api/activity?perPage=100", &a, None).await;
    let text = log.to_string();
    assert!(text.contains("refund approved"), "A's own website's events: {text}");
    let actions: Vec<&str> = log["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["userId"] == shared.as_str())
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(actions.contains(&"auth.login") && actions.contains(&"chat.update"), "{actions:?}");

    // B decides who works on B's website: removing the agent from it leaves A's membership alone.
    let (status, body) =
        app.api(Method::PATCH, &format!("/api/users/{shared}"), &b, Some(json!({ "websiteIds": [] }))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, users) = app.api(Method::GET, "/api/users", &root, None).await;
    let row = users.as_array().expect("list").iter().find(|u| u["id"] == shared.as_str()).expect("listed");
    assert_eq!(row["websiteIds"], json!([wa]));
    // No longer on B's websites, the agent is gone from B's list: an unknown user to B from now on.
    let (status, _) = app
        .api(Method::POST, &format!("/api/users/{shared}/password"), &b, Some(json!({ "password": "taken-over-123" })))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The creator still manages them.
    let (status, _) = app
        .api(Method::POST, &format!("/api/users/{shared}/password"), &a, Some(json!({ "password": "new-password-9" })))
        .await;
    assert!(status.is_success(), "{status}");
}

async fn visitors_never_see_what_agents_keep_for_each_other(app: &TestApp) {
    let s = site(app).await;
    let (mut visitor, chat, token) = visitor_with_chat(app, &s.key).await;
    let update = json!({ "assignedTo": s.agent_id, "status": "resolved", "resolution": "VIP, refund without asking" });
    let (status, _) = app.api(Method::PATCH, &format!("/api/chats/{chat}"), &s.agent, Some(update)).await;
    assert_eq!(status, StatusCode::OK);
    let updated = visitor.next("chat-updated").await;
    assert_eq!(
        (updated["chat"]["id"].as_str(), updated["chat"]["status"].as_str()),
        (Some(chat.as_str()), Some("resolved"))
    );
    let hidden = ["VIP", "resolution", "assignedTo", s.agent_id.as_str()];
    let text = updated.to_string();
    assert!(hidden.iter().all(|h| !text.contains(h)), "reached the visitor: {text}");
    // Nor after a reload, in hello.
    let mut reloaded = Ws::visitor(app, &s.key, &token, Some(ORIGIN)).await.expect("socket");
    let hello = reloaded.next("hello").await;
    assert_eq!(hello["chats"][0]["status"], "resolved");
    let text = hello.to_string();
    assert!(hidden.iter().all(|h| !text.contains(h)), "reached the visitor: {text}");
    // The agents still see everything.
    let (_, agent_view) = app.api(Method::GET, &format!("/api/chats/{chat}"), &s.agent, None).await;
    assert_eq!(agent_view["resolution"], "VIP, refund without asking", "{agent_view}");
}

async fn a_rotated_key_a_deactivated_or_a_deleted_website_closes_visitor_sockets(app: &TestApp) {
    let s = site(app).await;
    let session = visitor_session(app, &s.key, None).await;
    let token = session["visitorToken"].as_str().expect("token").to_string();

    // Re-keyed: the socket closes, and the old key opens nothing.
    let mut visitor = visitor_ws(app, &s.key, &token).await;
    let (status, rotated) =
        app.api(Method::POST, &format!("/api/websites/{}/rotate-key", s.website), &s.admin, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(visitor.close_code().await, Some(4003));
    assert_eq!(Ws::visitor(app, &s.key, &token, Some(ORIGIN)).await.err(), Some(401));
    let key = rotated["apiKey"].as_str().expect("new key").to_string();

    // Deactivated: likewise; the agents keep the website in their inbox.
    let mut agent = agent_ws(app, &s.agent, &s.website).await;
    let token = visitor_session(app, &key, Some(&token)).await["visitorToken"].as_str().expect("t").to_string();
    let mut visitor = visitor_ws(app, &key, &token).await;
    let (status, _) = app
        .api(Method::PUT, &format!("/api/websites/{}", s.website), &s.admin, Some(json!({ "isActive": false })))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(visitor.close_code().await, Some(4003));
    assert_eq!(Ws::visitor(app, &key, &token, Some(ORIGIN)).await.err(), Some(401));
    let heard = agent.until_pong().await;
    assert!(heard.iter().all(|e| e["type"] != "left-website"), "{heard:?}");

    // Deleted: the visitor's socket closes and the agents' sockets stop following it.
    app.api(Method::PUT, &format!("/api/websites/{}", s.website), &s.admin, Some(json!({ "isActive": true }))).await;
    let mut visitor = visitor_ws(app, &key, &token).await;
    let (status, _) = app.api(Method::DELETE, &format!("/api/websites/{}", s.website), &s.admin, None).await;
    assert!(status.is_success(), "{status}");
    assert_eq!(visitor.close_code().await, Some(4003));
    assert_eq!(agent.next("left-website").await["websiteId"], s.website.as_str());
}

async fn a_send_for_a_website_deleted_meanwhile_is_not_found(app: &TestApp) {
    use sea_orm::ConnectionTrait;
    let s = site(app).await;
    let (mut visitor, chat, _) = visitor_with_chat(app, &s.key).await;
    let token = visitor_session(app, &s.key, None).await["visitorToken"].as_str().expect("t").to_string();
    let mut newcomer = visitor_ws(app, &s.key, &token).await;
    // Deleted behind this node's back (another node, or the instant before its sockets close).
    app.state
        .db()
        .execute_unprepared(&format!("DELETE FROM websites WHERE id = '{}'", s.website))
        .await
        .expect("delete website");
    visitor
        .send(json!({ "type": "chat-message", "chatId": chat, "clientMsgId": "late", "content": "still there?" }))
        .await;
    assert_eq!(visitor.next("error").await["code"], "not_found");
    newcomer.send(json!({ "type": "chat-message", "clientMsgId": "opening", "content": "hello?" })).await;
    let err = newcomer.next("error").await;
    assert_eq!((err["code"].as_str(), err["clientMsgId"].as_str()), (Some("not_found"), Some("opening")));
}

async fn client_ids_differing_only_in_case_are_two_messages(app: &TestApp) {
    let s = site(app).await;
    let (mut visitor, chat, _) = visitor_with_chat(app, &s.key).await;
    let mut seqs = Vec::new();
    for (round, id) in ["CaseId-x", "caseid-x", "CaseId-x", "caseid-x"].into_iter().enumerate() {
        let text = format!("message {id}");
        visitor.send(json!({ "type": "chat-message", "chatId": chat, "clientMsgId": id, "content": text })).await;
        let ack = visitor.next_of(&["ack", "error"]).await;
        assert_eq!(ack["type"], "ack", "round {round}: {ack}");
        seqs.push(ack["seq"].as_i64().expect("seq"));
    }
    assert_eq!(seqs, [2, 3, 2, 3], "two messages, each retry answered with its own");
    let (_, history) = app.api(Method::GET, &format!("/api/chats/{chat}/messages"), &s.agent, None).await;
    let ids: Vec<&str> = history.as_array().expect("list").iter().filter_map(|m| m["clientMsgId"].as_str()).collect();
    assert_eq!(ids, ["first", "CaseId-x", "caseid-x"]);
}

async fn signing_out_revokes_that_token_only_and_closes_its_sockets(app: &TestApp) {
    let s = site(app).await;
    let other = app.token("g@helpdesk.test", PASSWORD).await;
    let mut socket = agent_ws(app, &s.agent, &s.website).await;
    let mut other_socket = agent_ws(app, &other, &s.website).await;
    let res = app.client.post(app.url("/api/auth/logout")).bearer_auth(&s.agent).send().await.expect("logout");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let me = |token: String| async move {
        app.client.get(app.url("/api/auth/me")).bearer_auth(token).send().await.expect("me").status()
    };
    assert_eq!(me(s.agent.clone()).await, StatusCode::UNAUTHORIZED, "the signed-out token");
    assert_eq!(me(other.clone()).await, StatusCode::OK, "another session of the same agent");
    assert_eq!(socket.close_code().await, Some(4001));
    assert!(other_socket.until_pong().await.iter().all(|e| e["type"] != "error"));
    assert_eq!(Ws::agent(app, &s.agent).await.err(), Some(401));
    // Signing out twice is harmless; the second time the token is already refused.
    let res = app.client.post(app.url("/api/auth/logout")).bearer_auth(&s.agent).send().await.expect("logout");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // The dashboard's sign-out revokes its cookie's token too.
    let cookie = app.dashboard_session("g@helpdesk.test", PASSWORD).await.expect("session");
    let (status, _) = app.sfn("logout", &cookie, json!({})).await;
    assert!(status.is_success() || status.is_redirection(), "{status}");
    let res = app.client.get(app.url("/api/auth/me")).header("Cookie", &cookie).send().await.expect("me");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "a copied cookie is useless after sign-out");
}

async fn sign_in_and_cookie_requests_must_come_from_our_origin(app: &TestApp) {
    let sign_in = |origin: String| async move {
        app.client
            .post(app.url("/sfn/login"))
            .header("Origin", origin)
            .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)])
            .send()
            .await
            .expect("login form")
    };
    let res = sign_in("https://evil.test".into()).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "login CSRF");
    assert!(res.headers().get("set-cookie").is_none());
    let res = sign_in(app.base.replace("http://", "https://")).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "our host under another scheme");
    let res = sign_in(app.base.clone()).await;
    assert!(res.headers().get("set-cookie").is_some(), "{}", res.status());

    // With a session cookie, any state change from another scheme is refused too.
    let cookie = app.dashboard_session(ADMIN_EMAIL, ADMIN_PASSWORD).await.expect("session");
    let res = app
        .client
        .post(app.url("/api/websites"))
        .header("Cookie", &cookie)
        .header("Origin", app.base.replace("http://", "https://"))
        .json(&json!({ "name": "X", "domains": ["x.example.com"] }))
        .send()
        .await
        .expect("create");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

async fn a_guesser_does_not_lock_the_owner_out(app: &TestApp) {
    let mut throttled = false;
    for _ in 0..15 {
        throttled |= app.login(ADMIN_EMAIL, "wrong guess").await.status() == StatusCode::TOO_MANY_REQUESTS;
    }
    assert!(throttled, "the guesser is throttled");
    assert_eq!(app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS);
    // The owner, from another address (127.0.0.2 is loopback too), signs in.
    let owner = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let res = owner
        .post(app.url("/api/auth/login"))
        .json(&json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD }))
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), StatusCode::OK);
}

async fn tokens_are_refused_in_websocket_urls(app: &TestApp) {
    let s = site(app).await;
    let token = visitor_session(app, &s.key, None).await["visitorToken"].as_str().expect("t").to_string();
    let origin = [("Origin", ORIGIN)];
    for query in [format!("token={}", s.agent), format!("apiKey={}&visitorToken={token}", s.key)] {
        assert_eq!(Ws::connect(app, &query, &[], &origin).await.err(), Some(400), "{query}");
    }
    // A client that can set headers may use Authorization instead of the protocol list.
    let bearer = format!("Bearer {}", s.agent);
    let mut ws = Ws::connect(app, "", &[], &[("Authorization", &bearer)]).await.expect("bearer socket");
    ws.next("hello").await;
}

async fn the_widget_key_may_come_in_a_header(app: &TestApp) {
    let s = site(app).await;
    let res = app
        .client
        .get(app.url("/api/widget/config"))
        .header("x-api-key", &s.key)
        .header("Origin", ORIGIN)
        .send()
        .await
        .expect("config");
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .client
        .get(app.url("/api/widget/config"))
        .header("x-api-key", "hdk_unknown")
        .header("Origin", ORIGIN)
        .send()
        .await
        .expect("config");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let token = visitor_session(app, &s.key, None).await["visitorToken"].as_str().expect("t").to_string();
    let protocols = common::ws::visitor_protocols(&token);
    let mut ws = Ws::connect(app, "", &protocols, &[("Origin", ORIGIN), ("x-api-key", &s.key)]).await.expect("socket");
    ws.next("hello").await;
}

async fn dashboard_pages_carry_a_strict_csp_and_private_answers_are_not_stored(app: &TestApp) {
    let res = app.client.get(app.url("/admin/login")).send().await.expect("page");
    assert_eq!(res.status(), StatusCode::OK);
    let header = |name: &str| res.headers().get(name).and_then(|v| v.to_str().ok()).map(String::from);
    assert_eq!(header("x-frame-options").as_deref(), Some("DENY"));
    assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
    assert_eq!(header("referrer-policy").as_deref(), Some("strict-origin-when-cross-origin"));
    let csp = header("content-security-policy").expect("CSP");
    let html = res.text().await.expect("html");
    let nonce = csp.split("'nonce-").nth(1).and_then(|r| r.split('\'').next()).expect("a nonce").to_string();
    assert!(nonce.len() >= 16, "{csp}");
    for part in ["default-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"] {
        assert!(csp.contains(part), "{part} missing: {csp}");
    }
    assert!(!csp.contains("'unsafe-eval'") && !csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
    // Every inline script carries this response's nonce.
    let scripts: Vec<&str> = html.split("<script").skip(1).map(|s| s.split('>').next().unwrap_or_default()).collect();
    assert!(!scripts.is_empty());
    for tag in scripts {
        assert!(tag.contains("src=") || tag.contains(&format!("nonce=\"{nonce}\"")), "script without nonce: {tag}");
    }
    // A new nonce per response.
    let again = app.client.get(app.url("/admin/login")).send().await.expect("page");
    let csp2 = again.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(!csp2.contains(&nonce));

    let cookie = app.dashboard_session(ADMIN_EMAIL, ADMIN_PASSWORD).await.expect("session");
    let token = app.admin_token().await;
    for (path, cookie) in [("/admin/dashboard", Some(&cookie)), ("/api/auth/me", None), ("/api/websites", None)] {
        let mut req = app.client.get(app.url(path)).bearer_auth(&token);
        if let Some(cookie) = cookie {
            req = req.header("Cookie", cookie);
        }
        let res = req.send().await.expect(path);
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let cache = res.headers().get("cache-control").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert_eq!(cache, "no-store", "{path}");
    }
}
