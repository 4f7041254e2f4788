//! Exports and erasure on both databases, through real HTTP and sockets: an inbox view and a transcript as CSV
//! within the caller's scope (formula-looking text quoted), everything about one visitor as JSON for the website's
//! owner only, erasing a visitor (rows, files on disk, search, their open socket), and the retention sweep deleting
//! old ended chats and nothing else. Each refusal: another website's admin or agent, an agent, no token.

mod common;

use common::ws::{agent_ws, visitor_session, visitor_ws, Ws, ORIGIN};
use common::{TestApp, PASSWORD};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

backend_tests!(
    exports_are_csv_within_the_callers_scope,
    a_visitor_is_exported_and_erased_by_the_websites_owner_only,
    retention_deletes_old_ended_chats_and_nothing_else
);

fn s(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_else(|| panic!("{key} in {v}")).to_string()
}

/// A GET with a Bearer token: status, content type, disposition, body.
async fn download(app: &TestApp, path: &str, token: Option<&str>) -> (StatusCode, String, String, String) {
    let mut req = app.client.get(app.url(path));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.expect("download");
    let header = |name: &str| res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let (status, mime, disposition) = (res.status(), header("content-type"), header("content-disposition"));
    (status, mime, disposition, res.text().await.expect("body"))
}

fn rows(csv: &str) -> Vec<Vec<String>> {
    csv::Reader::from_reader(csv.as_bytes())
        .records()
        .map(|r| r.expect("a CSV record").iter().map(String::from).collect())
        .collect()
}

/// A visitor of website `key` who says `lines` (one chat), on a page; returns (visitor id, chat id, token, socket).
async fn visitor_says(app: &TestApp, key: &str, lines: &[&str]) -> (String, String, String, Ws) {
    let session = visitor_session(app, key, None).await;
    let token = s(&session, "visitorToken");
    let mut ws = visitor_ws(app, key, &token).await;
    ws.send(json!({ "type": "page-view", "url": "https://shop.example.com/cart", "title": "Cart" })).await;
    let mut chat = String::new();
    for (i, line) in lines.iter().enumerate() {
        ws.send(json!({ "type": "chat-message", "clientMsgId": format!("v-{i}"), "content": line })).await;
        chat = s(&ws.next("ack").await, "chatId");
    }
    (s(&session, "visitorId"), chat, token, ws)
}

async fn exports_are_csv_within_the_callers_scope(app: &TestApp) {
    let (a, c) = app.two_tenants("Shop A", "Shop C").await;
    let owner = app.token("owner@helpdesk.test", PASSWORD).await;
    let other = app.token("other@helpdesk.test", PASSWORD).await;
    let ana = app.token("ana@helpdesk.test", PASSWORD).await;
    let cem = app.token("cem@helpdesk.test", PASSWORD).await;
    let mut ana_ws = agent_ws(app, &ana, &s(&a, "id")).await;
    let (visitor, chat, _, _ws) =
        visitor_says(app, &s(&a, "apiKey"), &["Hello", "=HYPERLINK(\"http://evil.example\",\"click\")"]).await;
    ana_ws.next("new-message").await;
    let (status, body) = app
        .api(
            Method::PATCH,
            &format!("/api/visitors/{visitor}"),
            &ana,
            Some(json!({ "name": "Rosa Diaz", "email": "rosa@example.com" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for body in [
        json!({ "chatId": chat, "content": "Hi Rosa, looking now.", "clientMsgId": "a1" }),
        json!({ "chatId": chat, "content": "Asked twice before", "type": "note", "clientMsgId": "n1" }),
    ] {
        let (status, sent) = app.api(Method::POST, "/api/messages", &ana, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{sent}");
    }
    // A chat on C, which A's people must never see.
    let (_, c_chat, _, _c_ws) = visitor_says(app, &s(&c, "apiKey"), &["Secret of C"]).await;

    // The inbox as CSV: a download, one row per chat the caller sees.
    let (status, mime, disposition, csv) = download(app, "/api/chats/export.csv", Some(&owner)).await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    assert_eq!(mime, "text/csv; charset=utf-8");
    assert!(disposition.starts_with("attachment; filename=\"chats-"), "{disposition}");
    let header = csv.lines().next().expect("header");
    assert_eq!(
        header,
        "chat_id,website,status,visitor,visitor_email,assignee,labels,started_at,ended_at,messages,last_message,resolution"
    );
    let table = rows(&csv);
    assert_eq!(table.len(), 1, "{csv}");
    let row = &table[0];
    assert_eq!((row[0].as_str(), row[1].as_str(), row[2].as_str()), (chat.as_str(), "Shop A", "ongoing"));
    assert_eq!((row[3].as_str(), row[4].as_str(), row[5].as_str()), ("Rosa Diaz", "rosa@example.com", "ana"));
    assert_eq!(row[9], "5", "two visitor lines, the joined line, the answer and the note");
    assert_eq!(row[10], "Asked twice before");

    // Filters are the inbox's; other tenants and other websites see none of it.
    for (token, path) in [
        (&owner, "/api/chats/export.csv?status=ended".to_string()),
        (&owner, format!("/api/chats/export.csv?websiteId={}", s(&c, "id"))),
        (&other, format!("/api/chats/export.csv?websiteId={}", s(&a, "id"))),
        (&cem, "/api/chats/export.csv".to_string()),
    ] {
        let (status, _, _, csv) = download(app, &path, Some(token)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!csv.contains(&chat), "{path}: {csv}");
        if token == &cem {
            assert!(csv.contains(&c_chat), "C's agent exports C's chat: {csv}");
        } else {
            assert_eq!(rows(&csv).len(), 0, "{path}: {csv}");
        }
    }
    let (status, _, _, csv) = download(app, "/api/chats/export.csv?assignee=me", Some(&ana)).await;
    assert_eq!((status, rows(&csv).len()), (StatusCode::OK, 1), "ana answered, so the chat is hers: {csv}");
    let (status, _, _, body) = download(app, "/api/chats/export.csv?status=lost", Some(&owner)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _, _, _) = download(app, "/api/chats/export.csv", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // One chat's transcript: notes included for agents, formula-looking text quoted.
    let path = format!("/api/chats/{chat}/transcript.csv");
    let (status, mime, disposition, csv) = download(app, &path, Some(&ana)).await;
    assert_eq!((status, mime.as_str()), (StatusCode::OK, "text/csv; charset=utf-8"), "{csv}");
    assert!(disposition.contains("chat-"), "{disposition}");
    let table = rows(&csv);
    let lines: Vec<(&str, &str, &str, &str)> =
        table.iter().map(|r| (r[2].as_str(), r[3].as_str(), r[4].as_str(), r[5].as_str())).collect();
    assert_eq!(lines[0], ("visitor", "Rosa Diaz", "text", "Hello"));
    assert_eq!(lines[1], ("visitor", "Rosa Diaz", "text", "'=HYPERLINK(\"http://evil.example\",\"click\")"));
    assert_eq!(lines[2].0, "system", "the joined line");
    assert_eq!(lines[3], ("admin", "ana", "text", "Hi Rosa, looking now."));
    assert_eq!(lines[4], ("admin", "ana", "note", "Asked twice before"));
    assert_eq!(table.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(), ["1", "2", "3", "4", "5"]);
    for token in [&cem, &other] {
        let (status, _, _, _) = download(app, &path, Some(token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "another tenant's chat does not exist for them");
    }
    let (status, _, _, _) = download(app, &path, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn a_visitor_is_exported_and_erased_by_the_websites_owner_only(app: &TestApp) {
    let (a, c) = app.two_tenants("Shop A", "Shop C").await;
    let root = app.admin_token().await;
    let owner = app.token("owner@helpdesk.test", PASSWORD).await;
    let other = app.token("other@helpdesk.test", PASSWORD).await;
    let ana = app.token("ana@helpdesk.test", PASSWORD).await;
    let key = s(&a, "apiKey");
    let mut ana_ws = agent_ws(app, &ana, &s(&a, "id")).await;
    let (visitor, chat, token, mut ws) = visitor_says(app, &key, &["My parcel 88231 never came"]).await;
    ana_ws.next("new-message").await;
    let (status, sent) = app
        .api(
            Method::POST,
            "/api/messages",
            &ana,
            Some(json!({ "chatId": chat, "content": "Checking parcel 88231", "clientMsgId": "a1" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec();
    let res = app
        .client
        .post(app.url(&format!("/api/widget/attachments?apiKey={key}")))
        .header("Origin", ORIGIN)
        .bearer_auth(&token)
        .multipart(
            Form::new()
                .part("file", Part::bytes(pdf).file_name("receipt.pdf"))
                .text("clientMsgId", "file-1".to_string()),
        )
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), StatusCode::CREATED);
    let files_before = std::fs::read_dir(app.state.upload_dir()).expect("upload dir").count();
    assert!(files_before >= 1);
    // Another visitor of A, who must be left alone.
    let (bystander, bystander_chat, _, _b_ws) = visitor_says(app, &key, &["I stay"]).await;

    // Export: the website's owner and the super admin; not its agent, not another tenant.
    let path = format!("/api/visitors/{visitor}/export");
    let (status, _, _, _) = download(app, &path, Some(&ana)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _, _) = download(app, &path, Some(&other)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _, _) = download(app, &path, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, mime, disposition, body) = download(app, &path, Some(&owner)).await;
    assert_eq!((status, mime.as_str()), (StatusCode::OK, "application/json"), "{body}");
    assert!(disposition.contains("visitor-"), "{disposition}");
    let data: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(data["visitor"]["id"], visitor.as_str());
    assert!(data["visitor"]["ipAddress"].is_string(), "{data}");
    assert_eq!(data["pages"][0]["url"], "https://shop.example.com/cart");
    assert_eq!(data["chats"].as_array().map(Vec::len), Some(1));
    let contents: Vec<&str> = data["chats"][0]["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert!(contents.contains(&"My parcel 88231 never came") && contents.contains(&"Checking parcel 88231"));
    assert_eq!(data["chats"][0]["files"][0]["name"], "receipt.pdf");
    let (status, _, _, _) = download(app, &path, Some(&root)).await;
    assert_eq!(status, StatusCode::OK);
    let (_, log) = app.api(Method::GET, "/api/activity?action=visitor.export", &owner, None).await;
    assert_eq!(log["total"], 2, "{log}");

    // Erase: the same people only.
    let erase = format!("/api/visitors/{visitor}");
    let (status, _) = app.api(Method::DELETE, &erase, &ana, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.api(Method::DELETE, &erase, &other, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = app.api(Method::DELETE, &erase, &owner, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({ "chats": 1, "messages": 4, "files": 1, "pages": 1 }), "two lines, joined, a file");
    let (status, _) = app.api(Method::DELETE, &erase, &owner, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "gone");

    // Nothing of theirs is left: not the chat, not its search entries, not the file on disk.
    let (status, _) = app.api(Method::GET, &format!("/api/chats/{chat}"), &owner, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, found) = app.api(Method::GET, "/api/search?q=88231", &owner, None).await;
    assert_eq!((status, found["hits"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)), "{found}");
    assert_eq!(std::fs::read_dir(app.state.upload_dir()).expect("upload dir").count(), files_before - 1);
    let (status, _) = app.api(Method::GET, &format!("/api/visitors/{visitor}/export"), &owner, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Their open widget is closed and starts again as somebody new.
    assert_eq!(ws.close_code().await, Some(protocol::CLOSE_WEBSITE_GONE));
    let again = visitor_session(app, &key, Some(&token)).await;
    assert_ne!(s(&again, "visitorId"), visitor);
    // The other visitor, and the other tenant, are untouched.
    let (status, _) = app.api(Method::GET, &format!("/api/chats/{bystander_chat}"), &owner, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.api(Method::GET, &format!("/api/visitors/{bystander}/export"), &owner, None).await;
    assert_eq!(status, StatusCode::OK);
    let (_, log) = app.api(Method::GET, "/api/activity?action=visitor.erase", &owner, None).await;
    assert_eq!(log["total"], 1, "{log}");
    let entry = log["items"][0].to_string();
    assert!(!entry.contains("88231") && !entry.contains("parcel"), "the log keeps no content: {entry}");
    let _ = c;
}

async fn retention_deletes_old_ended_chats_and_nothing_else(app: &TestApp) {
    let (a, c) = app.two_tenants("Shop A", "Shop C").await;
    let owner = app.token("owner@helpdesk.test", PASSWORD).await;
    let other = app.token("other@helpdesk.test", PASSWORD).await;
    let ana = app.token("ana@helpdesk.test", PASSWORD).await;
    let site = format!("/api/websites/{}", s(&a, "id"));

    // The setting: the owner sets it, within range; an agent or another tenant cannot.
    let (status, body) = app.api(Method::PUT, &site, &owner, Some(json!({ "retentionDays": 5000 }))).await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("retentionDays")), "{body}");
    let (status, _) = app.api(Method::PUT, &site, &ana, Some(json!({ "retentionDays": 30 }))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.api(Method::PUT, &site, &other, Some(json!({ "retentionDays": 30 }))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = app.api(Method::PUT, &site, &owner, Some(json!({ "retentionDays": 30 }))).await;
    assert_eq!((status, body["retentionDays"].as_u64()), (StatusCode::OK, Some(30)), "{body}");

    // Four chats on A: old and resolved (goes), old but open (stays), recent and resolved (stays); and an old
    // resolved chat on C, whose website keeps everything (stays).
    let mut chats = Vec::new();
    for (key, line) in [
        (s(&a, "apiKey"), "old resolved"),
        (s(&a, "apiKey"), "old open"),
        (s(&a, "apiKey"), "recent resolved"),
        (s(&c, "apiKey"), "old on C"),
    ] {
        let (_, chat, _, ws) = visitor_says(app, &key, &[line]).await;
        drop(ws);
        chats.push(chat);
    }
    let cem = app.token("cem@helpdesk.test", PASSWORD).await;
    for (chat, token) in [(&chats[0], &ana), (&chats[2], &ana), (&chats[3], &cem)] {
        let (status, body) =
            app.api(Method::PATCH, &format!("/api/chats/{chat}"), token, Some(json!({ "status": "resolved" }))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    {
        use domain::entities::{chats as c, visitor_pages, visitors};
        use sea_orm::sea_query::Expr;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let long_ago = chrono::Utc::now().naive_utc() - chrono::Duration::days(40);
        let old = [chats[0].as_str(), chats[1].as_str(), chats[3].as_str()];
        c::Entity::update_many()
            .col_expr(c::Column::UpdatedAt, Expr::value(long_ago))
            .filter(c::Column::Id.is_in(old))
            .exec(app.state.db())
            .await
            .expect("backdate chats");
        visitor_pages::Entity::update_many()
            .col_expr(visitor_pages::Column::CreatedAt, Expr::value(long_ago))
            .exec(app.state.db())
            .await
            .expect("backdate pages");
        visitors::Entity::update_many()
            .col_expr(visitors::Column::LastSeen, Expr::value(long_ago))
            .exec(app.state.db())
            .await
            .expect("backdate visitors");
    }

    let deleted = domain::services::privacy::apply_retention(&app.state).await.expect("retention");
    assert_eq!(deleted, 1);
    let paths: Vec<String> = chats.iter().map(|c| format!("/api/chats/{c}")).collect();
    assert_eq!(app.api(Method::GET, &paths[0], &owner, None).await.0, StatusCode::NOT_FOUND, "old and ended: deleted");
    assert_eq!(app.api(Method::GET, &paths[1], &owner, None).await.0, StatusCode::OK, "open chats are never deleted");
    assert_eq!(app.api(Method::GET, &paths[2], &owner, None).await.0, StatusCode::OK, "recent");
    let (status, _) = app.api(Method::GET, &format!("/api/chats/{}", chats[3]), &other, None).await;
    assert_eq!(status, StatusCode::OK, "C keeps everything");
    {
        use domain::entities::{visitor_pages, visitors};
        use sea_orm::{EntityTrait, PaginatorTrait};
        // A's three visitors were last seen long ago: the one whose chat went goes too; C's page views stay.
        assert_eq!(visitors::Entity::find().count(app.state.db()).await.expect("count"), 3);
        assert_eq!(visitor_pages::Entity::find().count(app.state.db()).await.expect("count"), 1, "C's only");
    }
    assert_eq!(domain::services::privacy::apply_retention(&app.state).await.expect("retention"), 0, "idempotent");
}
