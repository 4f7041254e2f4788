//! The real binary, as an operator runs it: what it writes to its log at `RUST_LOG=debug` (no credential from any
//! URL), and the files it leaves in its data directory (its user's alone), on both databases.

mod common;

use std::time::Duration;

use common::process::{Remote, Server};
use common::ws::{visitor_protocols, Ws, ORIGIN};
use common::{Backend, TestDb};
use reqwest::StatusCode;

per_backend!(urls_in_debug_logs_carry_no_credentials, everything_in_the_data_directory_is_private);

async fn urls_in_debug_logs_carry_no_credentials(backend: Backend) {
    let db = TestDb::create(backend).await;
    let server = Server::start(&db, &[("HELPDESK_JWT_SECRET", &common::test_secret())]).await;
    let admin = Remote::sign_in(&server.base).await;
    let (http, token) = (&admin.http, admin.token.clone());
    let (_, key) = admin.website().await;
    let visitor_token = admin.visitor_token(&key).await;

    // The widget's socket, and an old client that still puts its tokens in the URL (refused, and logged without).
    let protocols = visitor_protocols(&visitor_token);
    let mut ws = Ws::connect_to(&server.base, &format!("apiKey={key}"), &protocols, &[("Origin", ORIGIN)])
        .await
        .expect("socket");
    ws.next("hello").await;
    let old_query = format!("apiKey={key}&visitorToken={visitor_token}&token={token}");
    let old = Ws::connect_to(&server.base, &old_query, &[], &[]).await;
    assert_eq!(old.err(), Some(400));
    let res = http
        .get(format!("{}/api/widget/config?apiKey={key}&lang=fr", server.base))
        .header("Origin", ORIGIN)
        .send()
        .await;
    assert_eq!(res.expect("config").status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(300)).await;

    let log = server.log();
    assert!(log.contains("/api/widget/config?apiKey=[redacted]&lang=fr"), "requests are logged, redacted:\n{log}");
    for (what, secret) in [("API key", &key), ("visitor token", &visitor_token), ("agent token", &token)] {
        assert!(!log.contains(secret.as_str()), "the {what} is in the debug log:\n{log}");
    }
    // The JWT's signature part is what makes it a credential: not even that appears.
    let signature = token.rsplit('.').next().expect("signature");
    assert!(!log.contains(signature));
    drop(server);
    db.drop_db().await;
}

async fn everything_in_the_data_directory_is_private(backend: Backend) {
    use std::os::unix::fs::PermissionsExt;
    let db = TestDb::create(backend).await;
    // The usual umask leaves new files readable by everyone; the server must not rely on it.
    std::fs::set_permissions(db.dir(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let server = Server::start(&db, &[]).await;
    let admin = Remote::sign_in(&server.base).await;
    let http = &admin.http;
    // A visitor's image: the file and its thumbnail.
    let (_, key) = admin.website().await;
    let visitor_token = admin.visitor_token(&key).await;
    let mut png = Vec::new();
    image::RgbImage::from_pixel(400, 300, image::Rgb([200, 30, 30]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("png");
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(png).file_name("red.png"));
    let res = http
        .post(format!("{}/api/widget/attachments?apiKey={key}", server.base))
        .header("Origin", ORIGIN)
        .bearer_auth(&visitor_token)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), StatusCode::CREATED);

    let mut seen = Vec::new();
    let mut open = Vec::new();
    let mut stack = vec![db.dir().clone()];
    while let Some(path) = stack.pop() {
        let meta = std::fs::metadata(&path).expect("metadata");
        let mode = meta.permissions().mode() & 0o777;
        seen.push(path.strip_prefix(db.dir()).map(|p| p.display().to_string()).unwrap_or_default());
        if mode & 0o077 != 0 {
            open.push(format!("{} {mode:o}", path.display()));
        }
        if meta.is_dir() {
            stack.extend(std::fs::read_dir(&path).expect("read dir").map(|e| e.expect("entry").path()));
        }
    }
    assert!(open.is_empty(), "readable by others: {open:?}");
    let names = seen.join(" ");
    for expected in ["jwt-secret", "uploads"] {
        assert!(names.contains(expected), "{expected} not found among {names}");
    }
    if backend == Backend::Sqlite {
        for expected in ["test.db", "test.db-wal", "test.db-shm"] {
            assert!(seen.iter().any(|n| n == expected), "{expected} not found among {names}");
        }
    }
    assert!(seen.iter().filter(|n| n.starts_with("uploads/")).count() >= 2, "the file and its thumbnail: {names}");
    drop(server);
    db.drop_db().await;
}
