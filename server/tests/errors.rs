//! Client mistakes get 4xx with a JSON `{error, message}` body, never a 500 and never an internal detail.

mod common;

use common::{error_body, TestApp, ADMIN_EMAIL};
use reqwest::StatusCode;

backend_tests!(bad_request_bodies_get_clear_4xx_answers, openapi_describes_the_rest_api);

async fn bad_request_bodies_get_clear_4xx_answers(app: &TestApp) {
    let url = app.url("/api/auth/login");
    let json = |body: String| app.client.post(&url).header("Content-Type", "application/json").body(body);
    // The oversized body goes last: the server answers 413 without reading it and closes that connection,
    // which a pooled client would otherwise reuse.
    let cases = [
        ("malformed JSON", json("{\"email\": ".into()), StatusCode::BAD_REQUEST, "malformed_json"),
        (
            "missing field",
            json(format!("{{\"email\":\"{ADMIN_EMAIL}\"}}")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        ("wrong type", json("{\"email\":1,\"password\":[]}".into()), StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
        (
            "not JSON",
            app.client.post(&url).body("email=a"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "empty email",
            json("{\"email\":\"  \",\"password\":\"x\"}".into()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        ),
        (
            "oversized",
            json(format!("{{\"email\":\"a@b.c\",\"password\":\"{}\"}}", "x".repeat(200 * 1024))),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
    ];
    for (what, request, status, code) in cases {
        let res = request.send().await.expect(what);
        let (got_status, got_code, message) = error_body(res).await;
        assert_eq!((got_status, got_code.as_str()), (status, code), "{what}: {message}");
        assert!(!message.is_empty(), "{what}");
        for leak in ["sqlx", "sea_orm", "panicked", "DbErr"] {
            assert!(!message.contains(leak), "{what} leaks {leak}: {message}");
        }
    }
}

async fn openapi_describes_the_rest_api(app: &TestApp) {
    let res = app.client.get(app.url("/api/openapi.json")).send().await.expect("openapi");
    assert_eq!(res.status(), StatusCode::OK);
    let doc: serde_json::Value = res.json().await.expect("json");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    for (path, method) in [
        ("/api/auth/login", "post"),
        ("/api/websites", "get"),
        ("/api/websites", "post"),
        ("/api/websites/{id}", "put"),
        ("/api/websites/{id}/rotate-key", "post"),
        ("/api/websites/{id}/settings", "put"),
        ("/api/users/{id}", "patch"),
        ("/api/activity", "get"),
        ("/api/widget/config", "get"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} is not described");
    }
    assert!(doc["components"]["schemas"]["WidgetSettings"].is_object());
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
}
