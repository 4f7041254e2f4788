//! Verified identity on both databases, through real HTTP and sockets: a website's admin creates the identity
//! secret; a token the website's backend signs with it (HS256, `aud` the website's id, `exp` near) makes the visitor
//! that customer on every device — the anonymous visitor of the first browser becomes theirs, so a chat begun
//! before signing in goes on, and a second device sees it. Without a token, or with another customer's, a visitor
//! token of an identified visitor starts afresh (a shared computer after sign-out). Expired, forged, foreign,
//! long-lived and unsigned tokens are refused with the reason (readable by the page: CORS), a rotated secret's
//! old tokens too; a website that requires identity lets no anonymous session or socket in. Only a website's
//! admins reach its secret.

mod common;

use common::ws::{visitor_session, visitor_ws, Ws, ORIGIN};
use common::{TestApp, PASSWORD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

backend_tests!(verified_customers_follow_across_devices, forged_and_stale_tokens_are_refused, identity_can_be_required);

fn s(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_else(|| panic!("{key} in {v}")).to_string()
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// What a website's backend does: signs its customer's claims with the identity secret.
fn sign(secret: &str, claims: Value) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(secret.as_bytes()))
        .expect("sign")
}

/// A token for customer `sub` of `website`, valid for ten minutes.
fn customer_token(secret: &str, website: &str, sub: &str) -> String {
    sign(
        secret,
        json!({ "sub": sub, "aud": website, "exp": now() + 600, "name": "Ana Lima", "email": "ana@example.com" }),
    )
}

/// `POST /api/widget/session` from [`ORIGIN`]: status, the CORS header, the body.
async fn session(app: &TestApp, key: &str, visitor: Option<&str>, identity: Option<&str>) -> (StatusCode, bool, Value) {
    let res = app
        .client
        .post(app.url(&format!("/api/widget/session?apiKey={key}")))
        .header("Origin", ORIGIN)
        .json(&json!({ "visitorToken": visitor, "identityToken": identity }))
        .send()
        .await
        .expect("session");
    let status = res.status();
    let cors = res.headers().get("access-control-allow-origin").and_then(|v| v.to_str().ok()) == Some(ORIGIN);
    (status, cors, res.json().await.unwrap_or(Value::Null))
}

/// A session refused for its identity: the page can read the reason; returns it.
async fn refused(app: &TestApp, key: &str, visitor: Option<&str>, identity: Option<&str>) -> String {
    let (status, cors, body) = session(app, key, visitor, identity).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "invalid_identity", "{body}");
    assert!(cors, "the page can read why its token was refused");
    s(&body, "message")
}

/// The identity secret of website `id`, created by its owner.
async fn create_secret(app: &TestApp, owner: &str, id: &str) -> String {
    let (status, body) = app.api(Method::POST, &format!("/api/websites/{id}/identity-secret"), owner, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let secret = s(&body, "secret");
    assert!(secret.starts_with("hdid_") && secret.len() > 60, "{secret}");
    secret
}

/// The chat ids the visitor's socket hello lists.
async fn hello_chats(app: &TestApp, key: &str, token: &str) -> Vec<String> {
    let mut ws = Ws::visitor(app, key, token, Some(ORIGIN)).await.expect("visitor socket");
    let hello = ws.next("hello").await;
    hello["chats"].as_array().expect("chats").iter().map(|c| s(c, "id")).collect()
}

async fn verified_customers_follow_across_devices(app: &TestApp) {
    let (a, _) = app.two_tenants("Shop A", "Shop C").await;
    let (id, key) = (s(&a, "id"), s(&a, "apiKey"));
    let owner = app.token("owner@helpdesk.test", PASSWORD).await;
    let (status, body) = app.api(Method::GET, &format!("/api/websites/{id}/identity-secret"), &owner, None).await;
    assert_eq!((status, &body["secret"]), (StatusCode::OK, &Value::Null), "none until created");
    assert_eq!(a["website"]["hasIdentitySecret"], false);
    let secret = create_secret(app, &owner, &id).await;
    let (_, shown) = app.api(Method::GET, &format!("/api/websites/{id}/identity-secret"), &owner, None).await;
    assert_eq!(s(&shown, "secret"), secret);
    let (_, website) = app.api(Method::GET, &format!("/api/websites/{id}"), &owner, None).await;
    assert_eq!(website["hasIdentitySecret"], true);
    assert!(!website.to_string().contains(&secret), "the website itself never carries the secret");

    // Laptop: an anonymous visitor starts a chat, then signs in on the website.
    let anonymous = visitor_session(app, &key, None).await;
    let mut laptop = visitor_ws(app, &key, &s(&anonymous, "visitorToken")).await;
    laptop.send(json!({ "type": "chat-message", "clientMsgId": "c1", "content": "Where is my parcel?" })).await;
    let chat = s(&laptop.next("ack").await, "chatId");
    let token = customer_token(&secret, &id, "cust-1");
    let (status, _, signed_in) = session(app, &key, Some(&s(&anonymous, "visitorToken")), Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{signed_in}");
    assert_eq!(s(&signed_in, "visitorId"), s(&anonymous, "visitorId"), "the anonymous visitor became the customer");
    assert_eq!(hello_chats(app, &key, &s(&signed_in, "visitorToken")).await, vec![chat.clone()]);

    // Phone: the same customer, no visitor token: the same visitor, the same chat.
    let phone_token = customer_token(&secret, &id, "cust-1");
    let (status, _, phone) = session(app, &key, None, Some(&phone_token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(s(&phone, "visitorId"), s(&anonymous, "visitorId"));
    assert_eq!(hello_chats(app, &key, &s(&phone, "visitorToken")).await, vec![chat.clone()]);

    // Agents see the verified customer, with the token's name and email.
    let (status, export) =
        app.api(Method::GET, &format!("/api/visitors/{}/export", s(&phone, "visitorId")), &owner, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (&export["visitor"]["customerId"], &export["visitor"]["name"], &export["visitor"]["email"]),
        (&json!("cust-1"), &json!("Ana Lima"), &json!("ana@example.com"))
    );

    // Signed out (no identity) or someone else signed in, with the customer's visitor token: a fresh visitor who
    // sees none of the customer's chats.
    let (status, _, after) = session(app, &key, Some(&s(&signed_in, "visitorToken")), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(s(&after, "visitorId"), s(&anonymous, "visitorId"));
    assert!(hello_chats(app, &key, &s(&after, "visitorToken")).await.is_empty());
    let other = customer_token(&secret, &id, "cust-2");
    let (status, _, bea) = session(app, &key, Some(&s(&signed_in, "visitorToken")), Some(&other)).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(s(&bea, "visitorId"), s(&anonymous, "visitorId"));
    assert_ne!(s(&bea, "visitorId"), s(&after, "visitorId"));
    assert!(hello_chats(app, &key, &s(&bea, "visitorToken")).await.is_empty());

    // An anonymous visitor token signing in as a customer who already has a visitor joins theirs.
    let fresh = visitor_session(app, &key, None).await;
    let (_, _, joined) =
        session(app, &key, Some(&s(&fresh, "visitorToken")), Some(&customer_token(&secret, &id, "cust-1"))).await;
    assert_eq!(s(&joined, "visitorId"), s(&anonymous, "visitorId"));
}

async fn forged_and_stale_tokens_are_refused(app: &TestApp) {
    let (a, c) = app.two_tenants("Shop A", "Shop C").await;
    let (id, key) = (s(&a, "id"), s(&a, "apiKey"));
    let owner = app.token("owner@helpdesk.test", PASSWORD).await;
    let other = app.token("other@helpdesk.test", PASSWORD).await;

    // No secret yet: any token is refused (never trusted unsigned).
    let early = sign("guess", json!({ "sub": "x", "aud": id, "exp": now() + 60 }));
    assert!(refused(app, &key, None, Some(&early)).await.contains("no identity secret"));

    let secret = create_secret(app, &owner, &id).await;
    let c_secret = create_secret(app, &other, &s(&c, "id")).await;
    let claims = |extra: Value| {
        let mut claims = json!({ "sub": "cust-1", "aud": id, "exp": now() + 600 });
        for (k, v) in extra.as_object().expect("object") {
            claims[k] = v.clone();
        }
        claims
    };
    assert!(refused(app, &key, None, Some(&sign(&secret, claims(json!({ "exp": now() - 3600 })))))
        .await
        .contains("expired"));
    assert!(refused(app, &key, None, Some(&sign(&c_secret, claims(json!({}))))).await.contains("signature"));
    let for_c = sign(&secret, claims(json!({ "aud": s(&c, "id") })));
    assert!(refused(app, &key, None, Some(&for_c)).await.contains("audience"));
    let week = sign(&secret, claims(json!({ "exp": now() + 7 * 86400 })));
    assert!(refused(app, &key, None, Some(&week)).await.contains("24 hours"));
    let no_exp = sign(&secret, json!({ "sub": "cust-1", "aud": id }));
    assert!(refused(app, &key, None, Some(&no_exp)).await.contains("exp"));
    // Made up by the page: `alg: none`, and a token whose body was changed after signing.
    let header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";
    let unsigned = format!("{header}.{}.", sign(&secret, claims(json!({}))).split('.').nth(1).expect("body"));
    refused(app, &key, None, Some(&unsigned)).await;
    let good = sign(&secret, claims(json!({})));
    let mut parts: Vec<String> = good.split('.').map(String::from).collect();
    parts[1] = sign(&secret, claims(json!({ "sub": "admin" }))).split('.').nth(1).expect("body").to_string();
    assert!(refused(app, &key, None, Some(&parts.join("."))).await.contains("signature"));
    // A website's token does not open another website's widget.
    let (status, _, _) = session(app, &s(&c, "apiKey"), None, Some(&good)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A new secret: tokens signed with the old one stop working, the new one's work.
    let (status, _, _) = session(app, &key, None, Some(&good)).await;
    assert_eq!(status, StatusCode::OK);
    let rotated = create_secret(app, &owner, &id).await;
    assert_ne!(rotated, secret);
    assert!(refused(app, &key, None, Some(&good)).await.contains("signature"));
    let (status, _, _) = session(app, &key, None, Some(&sign(&rotated, claims(json!({}))))).await;
    assert_eq!(status, StatusCode::OK);

    // The secret is the website's admins' only: its agent 403, another admin 404, nobody 401.
    let ana = app.token("ana@helpdesk.test", PASSWORD).await;
    for (method, caller, expected) in [
        (Method::GET, ana.as_str(), StatusCode::FORBIDDEN),
        (Method::POST, ana.as_str(), StatusCode::FORBIDDEN),
        (Method::GET, other.as_str(), StatusCode::NOT_FOUND),
        (Method::POST, other.as_str(), StatusCode::NOT_FOUND),
        (Method::GET, "", StatusCode::UNAUTHORIZED),
        (Method::POST, "", StatusCode::UNAUTHORIZED),
    ] {
        let (status, body) =
            app.api(method.clone(), &format!("/api/websites/{id}/identity-secret"), caller, None).await;
        assert_eq!(status, expected, "{method} as {caller:.12}: {body}");
        assert!(!body.to_string().contains(&rotated));
    }
    let (_, shown) = app.api(Method::GET, &format!("/api/websites/{id}/identity-secret"), &owner, None).await;
    assert_eq!(s(&shown, "secret"), rotated, "refused callers changed nothing");
    let (status, _) =
        app.api(Method::PUT, &format!("/api/websites/{id}"), &other, Some(json!({ "identityRequired": true }))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn identity_can_be_required(app: &TestApp) {
    let (a, _) = app.two_tenants("Shop A", "Shop C").await;
    let (id, key) = (s(&a, "id"), s(&a, "apiKey"));
    let owner = app.token("owner@helpdesk.test", PASSWORD).await;
    let path = format!("/api/websites/{id}");
    let (status, body) = app.api(Method::PUT, &path, &owner, Some(json!({ "identityRequired": true }))).await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("identityRequired")));

    let before = visitor_session(app, &key, None).await;
    let mut old_socket = visitor_ws(app, &key, &s(&before, "visitorToken")).await;
    let secret = create_secret(app, &owner, &id).await;
    let (status, body) = app.api(Method::PUT, &path, &owner, Some(json!({ "identityRequired": true }))).await;
    assert_eq!((status, &body["identityRequired"]), (StatusCode::OK, &json!(true)), "{body}");
    assert!(old_socket.close_code().await.is_some(), "anonymous sockets close when identity becomes required");

    let config: Value = app
        .client
        .get(app.url(&format!("/api/widget/config?apiKey={key}")))
        .header("Origin", ORIGIN)
        .send()
        .await
        .expect("config")
        .json()
        .await
        .expect("json");
    assert_eq!(config["identityRequired"], true, "the loader keeps the launcher hidden without a token");
    assert!(refused(app, &key, None, None).await.contains("signed-in customers"));
    assert!(refused(app, &key, Some(&s(&before, "visitorToken")), None).await.contains("signed-in customers"));
    assert_eq!(
        Ws::visitor(app, &key, &s(&before, "visitorToken"), Some(ORIGIN)).await.err(),
        Some(401),
        "an anonymous visitor token from before the rule opens no socket"
    );
    // The offline form too.
    let offline = |identity: Option<String>| {
        app.client
            .post(app.url(&format!("/api/widget/offline?apiKey={key}")))
            .header("Origin", ORIGIN)
            .json(&json!({ "name": "Ana", "email": "ana@example.com", "message": "Hello?", "identityToken": identity }))
            .send()
    };
    assert_eq!(offline(None).await.expect("offline").status(), StatusCode::UNAUTHORIZED);
    let token = customer_token(&secret, &id, "cust-9");
    assert_eq!(offline(Some(token.clone())).await.expect("offline").status(), StatusCode::CREATED);

    let (status, _, customer) = session(app, &key, None, Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    let mut ws = visitor_ws(app, &key, &s(&customer, "visitorToken")).await;
    ws.send(json!({ "type": "chat-message", "clientMsgId": "r1", "content": "Signed in and chatting" })).await;
    ws.next("ack").await;
}
