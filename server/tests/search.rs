//! Search over message text, internal notes and the visitor's name and email, through each database's full-text
//! index: every word, each as a prefix, accents ignored, newest first and paged, scoped to the websites the caller
//! sees. Refused: another website, a visitor's token, no token, nothing to look for. The indexes follow every write:
//! a renamed visitor, a deleted website's messages.

mod common;

use common::ws::{visitor_session, visitor_ws};
use common::{TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

backend_tests!(search_finds_messages_notes_and_visitors_within_scope, search_pages_newest_first_and_refuses);

/// A visitor of `key` who says each of `lines`; (chat id, visitor id, visitor token).
async fn visitor_says(app: &TestApp, key: &str, lines: &[&str]) -> (String, String, String) {
    let session = visitor_session(app, key, None).await;
    let token = session["visitorToken"].as_str().expect("token").to_string();
    let mut visitor = visitor_ws(app, key, &token).await;
    let mut chat = String::new();
    for (i, line) in lines.iter().enumerate() {
        visitor.send(json!({ "type": "chat-message", "clientMsgId": format!("v-{i}"), "content": line })).await;
        chat = visitor.next("ack").await["chatId"].as_str().expect("chat").to_string();
    }
    (chat, session["visitorId"].as_str().expect("visitor").to_string(), token)
}

async fn search(app: &TestApp, token: &str, query: &str) -> (StatusCode, Value) {
    app.api(Method::GET, &format!("/api/search?{query}"), token, None).await
}

/// Each hit as (chat, field, seq, the snippet with hits in brackets).
fn hits(results: &Value) -> Vec<(String, String, i64, String)> {
    results["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| {
            let snippet = h["snippet"]
                .as_array()
                .expect("snippet")
                .iter()
                .map(|p| {
                    let text = p["text"].as_str().unwrap_or_default();
                    if p["hit"] == true {
                        format!("[{text}]")
                    } else {
                        text.to_string()
                    }
                })
                .collect::<String>();
            let field = h["field"].as_str().unwrap_or_default().to_string();
            (h["chat"]["id"].as_str().unwrap_or_default().to_string(), field, h["seq"].as_i64().unwrap_or(0), snippet)
        })
        .collect()
}

async fn search_finds_messages_notes_and_visitors_within_scope(app: &TestApp) {
    let root = app.admin_token().await;
    let shop = app.create_website(&root, "Shop", &["shop.example.com"]).await;
    let (shop_id, shop_key) = (shop["id"].as_str().expect("id"), shop["apiKey"].as_str().expect("key"));
    let blog = app.create_website(&root, "Blog", &["shop.example.com"]).await;
    let (blog_id, blog_key) = (blog["id"].as_str().expect("id"), blog["apiKey"].as_str().expect("key"));
    app.create_user(&root, "g@helpdesk.test", "agent", &[shop_id]).await;
    let agent = app.token("g@helpdesk.test", PASSWORD).await;
    app.create_user(&root, "o@helpdesk.test", "agent", &[blog_id]).await;
    let outsider = app.token("o@helpdesk.test", PASSWORD).await;

    let (chat, visitor, visitor_token) =
        visitor_says(app, shop_key, &["Where is my Parcel? Order 48213 is late."]).await;
    let reply = json!({ "chatId": chat, "content": "Your parcel ships tomorrow.", "clientMsgId": "a-1" });
    let (status, reply) = app.api(Method::POST, "/api/messages", &agent, Some(reply)).await;
    assert_eq!(status, StatusCode::CREATED);
    let reply_seq = reply["seq"].as_i64().expect("seq");
    let note = json!({ "chatId": chat, "content": "Refund approved by finance", "type": "note", "clientMsgId": "a-2" });
    let (status, note) = app.api(Method::POST, "/api/messages", &agent, Some(note)).await;
    assert_eq!(status, StatusCode::CREATED);
    let note_seq = note["seq"].as_i64().expect("seq");
    let contact = json!({ "name": "Zoé Martin", "email": "zoe.martin@example.com" });
    let (status, _) = app.api(Method::PATCH, &format!("/api/visitors/{visitor}"), &agent, Some(contact)).await;
    assert_eq!(status, StatusCode::OK);
    let (blog_chat, _, _) = visitor_says(app, blog_key, &["A parcel question about the blog"]).await;
    // Resolving writes a system line; system lines are not searched.
    let (status, _) =
        app.api(Method::PATCH, &format!("/api/chats/{chat}"), &agent, Some(json!({ "status": "resolved" }))).await;
    assert_eq!(status, StatusCode::OK);

    // Newest first, the words marked, within the agent's website.
    let (status, found) = search(app, &agent, "q=parcel").await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(
        hits(&found),
        [
            (chat.clone(), "message".into(), reply_seq, "Your [parcel] ships tomorrow.".into()),
            (chat.clone(), "message".into(), 1, "Where is my [Parcel]? Order 48213 is late.".into()),
        ]
    );
    assert_eq!(found["more"], false);
    let first = &found["hits"][0];
    assert_eq!((first["senderType"].as_str(), first["note"].as_bool()), (Some("admin"), Some(false)));
    assert_eq!(first["chat"]["visitorName"].as_str(), Some("Zoé Martin"), "the chat as the inbox shows it: {first}");
    // A prefix, another case, every word (AND), a number.
    assert_eq!(hits(&search(app, &agent, "q=PARC").await.1).len(), 2);
    assert_eq!(
        hits(&search(app, &agent, "q=ships%20parcel").await.1).iter().map(|h| h.2).collect::<Vec<_>>(),
        [reply_seq]
    );
    assert_eq!(hits(&search(app, &agent, "q=48213").await.1).iter().map(|h| h.2).collect::<Vec<_>>(), [1]);
    assert!(hits(&search(app, &agent, "q=parcel%20bicycle").await.1).is_empty());
    // Notes are found by agents, and say so.
    let (_, found) = search(app, &agent, "q=refund").await;
    assert_eq!(hits(&found), [(chat.clone(), "message".into(), note_seq, "[Refund] approved by finance".into())]);
    assert_eq!(found["hits"][0]["note"], true);
    // The system line ("… resolved the chat") is not a hit.
    let (_, found) = search(app, &agent, "q=resolved").await;
    assert!(hits(&found).is_empty(), "{found}");
    // The visitor by name (accents ignored) or email, first.
    for q in ["q=zoe", "q=Zo%C3%A9%20Mart", "q=zoe.martin%40example.com", "q=example"] {
        let (_, found) = search(app, &agent, q).await;
        let got = hits(&found);
        assert_eq!(got.first().map(|h| (h.0.as_str(), h.1.as_str())), Some((chat.as_str(), "visitor")), "{q}: {found}");
    }
    let (_, found) = search(app, &agent, "q=martin").await;
    assert_eq!(hits(&found)[0].3, "Zoé [Martin] · zoe.[martin]@example.com");

    // Scope: another website's agent finds theirs only; the super admin finds both, or one website's.
    assert_eq!(
        hits(&search(app, &outsider, "q=parcel").await.1).iter().map(|h| &h.0).collect::<Vec<_>>(),
        [&blog_chat]
    );
    assert!(hits(&search(app, &outsider, "q=zoe").await.1).is_empty());
    assert!(hits(&search(app, &outsider, "q=refund").await.1).is_empty());
    assert_eq!(hits(&search(app, &root, "q=parcel").await.1).len(), 3);
    let (_, found) = search(app, &root, &format!("q=parcel&websiteId={blog_id}")).await;
    assert_eq!(hits(&found).len(), 1);
    let (status, _) = search(app, &agent, &format!("q=parcel&websiteId={blog_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another website is not searched");
    // A visitor's token, or none, searches nothing.
    let (status, _) = search(app, &visitor_token, "q=parcel").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let res = reqwest::get(app.url("/api/search?q=parcel")).await.expect("request");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // The indexes follow changes: a renamed visitor, a deleted website's messages.
    let rename = json!({ "name": "Ada Lovelace", "email": "ada@example.org" });
    app.api(Method::PATCH, &format!("/api/visitors/{visitor}"), &agent, Some(rename)).await;
    let (_, found) = search(app, &agent, "q=zoe").await;
    assert!(hits(&found).iter().all(|h| h.1 != "visitor"), "{found}");
    let (_, found) = search(app, &agent, "q=lovelace").await;
    assert_eq!(hits(&found).first().map(|h| h.1.as_str()), Some("visitor"));
    let (status, _) = app.api(Method::DELETE, &format!("/api/websites/{blog_id}"), &root, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(hits(&search(app, &root, "q=parcel").await.1).len(), 2);
}

async fn search_pages_newest_first_and_refuses(app: &TestApp) {
    let root = app.admin_token().await;
    let shop = app.create_website(&root, "Shop", &["shop.example.com"]).await;
    let key = shop["apiKey"].as_str().expect("key");
    let lines: Vec<String> = (1..=25).map(|i| format!("Tracking update number {i}")).collect();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let (chat, _, _) = visitor_says(app, key, &refs).await;

    let (_, first) = search(app, &root, "q=tracking").await;
    let (_, second) = search(app, &root, "q=tracking&page=2").await;
    let seqs = |page: &Value| hits(page).iter().map(|h| h.2).collect::<Vec<_>>();
    assert_eq!(seqs(&first), (6..=25).rev().collect::<Vec<_>>(), "newest first, 20 a page");
    assert_eq!(first["more"], true);
    assert_eq!(seqs(&second), (1..=5).rev().collect::<Vec<_>>());
    assert_eq!(second["more"], false);
    assert!(hits(&first).iter().all(|h| h.0 == chat));
    let (_, third) = search(app, &root, "q=tracking&page=3").await;
    assert!(hits(&third).is_empty());

    // Nothing to look for, or too much: a clear error on `q`.
    let long = "a".repeat(201);
    for q in ["q=ok", "q=", "q=%20%3F%21", &format!("q={long}")] {
        let (status, error) = search(app, &root, q).await;
        assert_eq!((status, error["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("q")), "{q}: {error}");
    }
    let (status, _) = app.api(Method::GET, "/api/search", &root, None).await;
    assert!(status.is_client_error(), "no q at all: {status}");
    // Characters that mean something to FTS5 or to MySQL's boolean mode are only separators.
    for q in ["q=%22tracking", "q=tracking*%20OR%20upd", "q=-tracking%20%2Bupdate", "q=(tracking)%3A%5E"] {
        let (status, found) = search(app, &root, q).await;
        assert_eq!(status, StatusCode::OK, "{q}: {found}");
        assert_eq!(hits(&found).len(), 20, "{q}");
    }
}
