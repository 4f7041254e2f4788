//! Attachments end to end over HTTP: a visitor's image and an agent's PDF reach both sides, files go out as
//! downloads only to the chat's participants, and every refusal (oversize, wrong type, SVG with script, image
//! bombs, other visitors, non-members, foreign origins). Also the widget's offline form.

mod common;

use std::io::{Cursor, Write};

use common::{TestApp, PASSWORD};
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

backend_tests!(
    files_and_images_reach_both_sides_and_only_participants,
    uploads_are_refused_when_too_large_of_the_wrong_type_or_dangerous,
    the_offline_form_leaves_a_message_agents_find,
);

const ORIGIN: &str = "https://shop.example.com";

struct Site {
    admin: String,
    agent: String,
    key: String,
}

async fn site(app: &TestApp) -> Site {
    let admin = app.admin_token().await;
    let created = app.create_website(&admin, "Shop", &["shop.example.com"]).await;
    let website = created["id"].as_str().expect("id").to_string();
    let key = created["apiKey"].as_str().expect("key").to_string();
    app.create_user(&admin, "g@helpdesk.test", "agent", &[website.as_str()]).await;
    let agent = app.token("g@helpdesk.test", PASSWORD).await;
    Site { admin, agent, key }
}

async fn visitor(app: &TestApp, key: &str) -> String {
    let res = app
        .client
        .post(app.url(&format!("/api/widget/session?apiKey={key}")))
        .header("Origin", ORIGIN)
        .json(&json!({}))
        .send()
        .await
        .expect("session");
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<Value>().await.expect("json")["visitorToken"].as_str().expect("token").to_string()
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::DynamicImage::new_rgb8(width, height);
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).expect("png");
    out.into_inner()
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for b in bytes {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
}

/// A valid-looking PNG that claims `width`×`height` pixels of `color_type` and carries a few KB of zlib data
/// that inflates to many megabytes: what a decompression bomb looks like.
fn bomb(width: u32, height: u32, color_type: u8) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, color_type, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&vec![0u8; 16 * 1024 * 1024]).expect("zlib");
    chunk(&mut out, b"IDAT", &z.finish().expect("zlib"));
    chunk(&mut out, b"IEND", &[]);
    out
}

fn form(name: &str, bytes: Vec<u8>) -> Form {
    form_with_id(name, bytes, &uuid::Uuid::new_v4().to_string())
}

fn form_with_id(name: &str, bytes: Vec<u8>, client_msg_id: &str) -> Form {
    Form::new()
        .part("file", Part::bytes(bytes).file_name(name.to_string()))
        .text("clientMsgId", client_msg_id.to_string())
}

/// A visitor upload: (status, body, the CORS header).
async fn visitor_upload(app: &TestApp, key: &str, token: &str, form: Form) -> (StatusCode, Value, Option<String>) {
    let res = app
        .client
        .post(app.url(&format!("/api/widget/attachments?apiKey={key}")))
        .header("Origin", ORIGIN)
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let status = res.status();
    let cors = res.headers().get("access-control-allow-origin").and_then(|v| v.to_str().ok()).map(String::from);
    (status, res.json().await.unwrap_or(Value::Null), cors)
}

async fn visitor_get(app: &TestApp, key: &str, token: &str, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/api/widget/attachments/{path}?apiKey={key}")))
        .header("Origin", ORIGIN)
        .bearer_auth(token)
        .send()
        .await
        .expect("download")
}

async fn files_and_images_reach_both_sides_and_only_participants(app: &TestApp) {
    let s = site(app).await;
    let token = visitor(app, &s.key).await;

    let (status, message, cors) =
        visitor_upload(app, &s.key, &token, form_with_id("holiday photo.png", png(640, 480), "up-1")).await;
    assert_eq!(status, StatusCode::CREATED, "{message}");
    assert_eq!(cors.as_deref(), Some(ORIGIN));
    assert_eq!((message["type"].as_str(), message["seq"].as_i64()), (Some("image"), Some(1)));
    assert_eq!(message["content"], "holiday photo.png");
    let a = &message["attachment"];
    assert_eq!(
        (a["mime"].as_str(), a["width"].as_i64(), a["height"].as_i64()),
        (Some("image/png"), Some(640), Some(480))
    );
    assert_eq!(a["thumbnail"], true);
    let id = a["id"].as_str().expect("attachment id").to_string();
    let chat_id = message["chatId"].as_str().expect("chat").to_string();

    // A retried upload (same client message id) answers the same message and keeps one copy.
    let (status, again, _) =
        visitor_upload(app, &s.key, &token, form_with_id("holiday photo.png", png(640, 480), "up-1")).await;
    assert_eq!((status, &again["id"], &again["attachment"]["id"]), (StatusCode::CREATED, &message["id"], &a["id"]));
    let stored = std::fs::read_dir(app.state.upload_dir()).expect("upload dir").count();
    assert_eq!(stored, 2, "one image and its thumbnail");

    // The agent sees it in the chat and downloads it: re-encoded, as an attachment, never sniffed.
    let (_, history) = app.api(Method::GET, &format!("/api/chats/{chat_id}/messages"), &s.agent, None).await;
    assert_eq!(history[0]["attachment"]["id"], id.as_str());
    let res =
        app.client.get(app.url(&format!("/api/attachments/{id}"))).bearer_auth(&s.agent).send().await.expect("get");
    assert_eq!(res.status(), StatusCode::OK);
    let header = |name: &str| res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert_eq!(header("content-type"), "image/png");
    assert!(header("content-disposition").starts_with("attachment; filename=\"holiday photo.png\""));
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert!(header("content-security-policy").contains("sandbox"));
    let full = image::load_from_memory(&res.bytes().await.expect("bytes")).expect("a PNG");
    assert_eq!((full.width(), full.height()), (640, 480));
    let res = app
        .client
        .get(app.url(&format!("/api/attachments/{id}/thumbnail")))
        .bearer_auth(&s.agent)
        .send()
        .await
        .expect("thumb");
    let thumb = image::load_from_memory(&res.bytes().await.expect("bytes")).expect("thumbnail");
    assert_eq!((thumb.width(), thumb.height()), (320, 240));

    // The visitor reads it back from the customer's page.
    let res = visitor_get(app, &s.key, &token, &format!("{id}/thumbnail")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers().get("access-control-allow-origin").and_then(|v| v.to_str().ok()), Some(ORIGIN));

    // The agent answers with a PDF; the visitor can fetch it, it is not an image.
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
    let res = app
        .client
        .post(app.url(&format!("/api/chats/{chat_id}/attachments")))
        .bearer_auth(&s.agent)
        .multipart(form("invoice.pdf", pdf.clone()))
        .send()
        .await
        .expect("agent upload");
    assert_eq!(res.status(), StatusCode::CREATED);
    let sent: Value = res.json().await.expect("json");
    assert_eq!((sent["type"].as_str(), sent["senderType"].as_str()), (Some("file"), Some("admin")));
    assert_eq!(sent["attachment"]["thumbnail"], false);
    let pdf_id = sent["attachment"]["id"].as_str().expect("id").to_string();
    let res = visitor_get(app, &s.key, &token, &pdf_id).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/pdf"));
    assert_eq!(res.bytes().await.expect("bytes").to_vec(), pdf);
    let res = visitor_get(app, &s.key, &token, &format!("{pdf_id}/thumbnail")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "files have no thumbnail");

    // Nobody else: another visitor of the same site, an agent of another site, a page of another origin.
    let stranger = visitor(app, &s.key).await;
    let into_foreign_chat = form("x.txt", b"hello".to_vec()).text("chatId", chat_id.clone());
    let (status, body, _) = visitor_upload(app, &s.key, &stranger, into_foreign_chat).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a visitor cannot post into another visitor's chat: {body}");
    for path in [id.clone(), format!("{id}/thumbnail"), pdf_id.clone()] {
        assert_eq!(visitor_get(app, &s.key, &stranger, &path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    app.create_user(&s.admin, "h@helpdesk.test", "agent", &[]).await;
    let outsider = app.token("h@helpdesk.test", PASSWORD).await;
    let res =
        app.client.get(app.url(&format!("/api/attachments/{id}"))).bearer_auth(&outsider).send().await.expect("get");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .client
        .post(app.url(&format!("/api/chats/{chat_id}/attachments")))
        .bearer_auth(&outsider)
        .multipart(form("x.pdf", pdf.clone()))
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "a non-member cannot post into the chat");
    let res = app
        .client
        .get(app.url(&format!("/api/widget/attachments/{id}?apiKey={}", s.key)))
        .header("Origin", "https://evil.test")
        .bearer_auth(&token)
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app.client.get(app.url(&format!("/api/attachments/{id}"))).send().await.expect("get");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

async fn uploads_are_refused_when_too_large_of_the_wrong_type_or_dangerous(app: &TestApp) {
    let s = site(app).await;
    let token = visitor(app, &s.key).await;
    let max = app.state.upload_max_bytes();
    let svg = b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(document.cookie)</script></svg>";
    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        ("big.txt", vec![b'a'; max + 1], StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        (
            "tool.exe",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        ("cat.svg", svg.to_vec(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
        ("notes.txt", svg.to_vec(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
        (
            "page.html",
            b"<!doctype html><script>alert(1)</script>".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        ("huge.png", bomb(60_000, 60_000, 0), StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        ("wide.png", bomb(8_000, 8_000, 6), StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        ("broken.png", b"\x89PNG\r\n\x1a\nnot really".to_vec(), StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        ("empty.txt", Vec::new(), StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
    ];
    for (name, bytes, want, code) in cases {
        let (status, body, cors) = visitor_upload(app, &s.key, &token, form(name, bytes)).await;
        assert_eq!((status, body["error"].as_str()), (want, Some(code)), "{name}: {body}");
        assert_eq!(cors.as_deref(), Some(ORIGIN), "{name}: the widget can read why");
    }
    let bad_id = form_with_id("a.txt", b"hello".to_vec(), "not a valid id!");
    let (status, body, _) = visitor_upload(app, &s.key, &token, bad_id).await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("clientMsgId")));
    // No file field, not multipart, no token, a foreign page.
    let (status, body, _) = visitor_upload(app, &s.key, &token, Form::new().text("chatId", "x")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let res = app
        .client
        .post(app.url(&format!("/api/widget/attachments?apiKey={}", s.key)))
        .header("Origin", ORIGIN)
        .bearer_auth(&token)
        .json(&json!({ "file": "x" }))
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let res = app
        .client
        .post(app.url(&format!("/api/widget/attachments?apiKey={}", s.key)))
        .header("Origin", ORIGIN)
        .multipart(form("a.txt", b"hello".to_vec()))
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = app
        .client
        .post(app.url(&format!("/api/widget/attachments?apiKey={}", s.key)))
        .header("Origin", "https://evil.test")
        .bearer_auth(&token)
        .multipart(form("a.txt", b"hello".to_vec()))
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.headers().get("access-control-allow-origin").is_none());

    // Nothing refused was stored: the visitor has no chat yet, and a plain text file still goes through.
    let (_, chats) = app.api(Method::GET, "/api/chats", &s.agent, None).await;
    assert_eq!(chats.as_array().map(Vec::len), Some(0), "{chats}");
    let (status, message, _) = visitor_upload(app, &s.key, &token, form("order.txt", b"Order #42".to_vec())).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(message["attachment"]["mime"], "text/plain; charset=utf-8");
}

async fn the_offline_form_leaves_a_message_agents_find(app: &TestApp) {
    let s = site(app).await;
    let post = |body: Value| {
        app.client
            .post(app.url(&format!("/api/widget/offline?apiKey={}", s.key)))
            .header("Origin", ORIGIN)
            .json(&body)
            .send()
    };
    for (body, field) in [
        (json!({ "name": "", "email": "ana@example.com", "message": "Hi" }), "name"),
        (json!({ "name": "Ana", "email": "not-an-email", "message": "Hi" }), "email"),
        (json!({ "name": "Ana", "email": "ana@example.com", "message": "  " }), "content"),
    ] {
        let res = post(body).await.expect("offline");
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            res.headers().get("access-control-allow-origin").and_then(|v| v.to_str().ok()),
            Some(ORIGIN),
            "the form can show the error"
        );
        assert_eq!(res.json::<Value>().await.expect("json")["field"], field);
    }
    let (_, chats) = app.api(Method::GET, "/api/chats", &s.agent, None).await;
    assert_eq!(chats.as_array().map(Vec::len), Some(0), "refused forms leave nothing");

    let res = post(json!({ "name": "Ana Silva", "email": "ana@example.com", "message": "Do you ship to Lisbon?" }))
        .await
        .expect("offline");
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers().get("access-control-allow-origin").and_then(|v| v.to_str().ok()), Some(ORIGIN));
    let answer: Value = res.json().await.expect("json");
    let chat_id = answer["chatId"].as_str().expect("chat id");
    assert!(answer["visitorToken"].is_string());

    let (_, offline) = app.api(Method::GET, "/api/chats?status=offline", &s.agent, None).await;
    assert_eq!(offline[0]["id"], chat_id);
    assert_eq!(offline[0]["status"], "offline");
    let (_, messages) = app.api(Method::GET, &format!("/api/chats/{chat_id}/messages"), &s.agent, None).await;
    assert_eq!(messages[0]["content"], "Do you ship to Lisbon?");
    let cookie = app.dashboard_session("g@helpdesk.test", PASSWORD).await.expect("session");
    let (status, detail) = app.sfn("chat_detail", &cookie, json!({ "id": chat_id })).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(
        (detail["visitor"]["name"].as_str(), detail["visitor"]["email"].as_str()),
        (Some("Ana Silva"), Some("ana@example.com"))
    );
}
