//! The dashboard over HTTP: sign-in redirects, the login form's session cookie, server-rendered pages, sign-out,
//! the CSRF Origin check, health endpoints.

mod common;

use common::{error_body, TestApp, ADMIN_EMAIL, ADMIN_PASSWORD};
use reqwest::StatusCode;

backend_tests!(
    admin_pages_redirect_to_login_when_signed_out,
    login_form_sets_a_safe_cookie_and_opens_the_dashboard,
    wrong_password_in_the_form_sets_no_cookie,
    logout_clears_the_cookie_and_is_logged,
    cross_origin_posts_with_the_session_cookie_are_refused,
    health_and_unknown_routes,
);

const ADMIN_PAGES: [&str; 9] = [
    "/admin",
    "/admin/dashboard",
    "/admin/websites",
    "/admin/websites/some-id",
    "/admin/chats",
    "/admin/chats/some-id",
    "/admin/analytics",
    "/admin/admins",
    "/admin/activity",
];

async fn get(app: &TestApp, path: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut req = app.client.get(app.url(path));
    if let Some(cookie) = cookie {
        req = req.header("Cookie", cookie);
    }
    req.send().await.unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

fn location(res: &reqwest::Response) -> String {
    res.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

async fn admin_pages_redirect_to_login_when_signed_out(app: &TestApp) {
    for path in ADMIN_PAGES {
        let res = get(app, path, None).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&res), format!("/admin/login?next={path}"), "{path}");
    }
    // A forged or stale cookie is the same as none.
    let res = get(app, "/admin/dashboard", Some("helpdesk_session=not-a-token")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let res = get(app, "/admin/login", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("html");
    assert!(html.contains(r#"id="login-form""#) && html.contains(r#"name="password""#), "{html}");
}

async fn login_form_sets_a_safe_cookie_and_opens_the_dashboard(app: &TestApp) {
    let res = app
        .client
        .post(app.url("/sfn/login"))
        .header("Origin", &app.base)
        // A plain form post, as before hydration or without JS.
        .header("Accept", "text/html")
        .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD), ("next", "/admin/chats")])
        .send()
        .await
        .expect("login form");
    assert!(res.status().is_redirection(), "status {}", res.status());
    assert_eq!(location(&res), "/admin/chats", "goes on to the page that was asked for");
    let set_cookie = res.headers().get("set-cookie").and_then(|v| v.to_str().ok()).expect("cookie").to_string();
    for part in ["helpdesk_session=", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set_cookie.contains(part), "{set_cookie} lacks {part}");
    }
    let cookie = set_cookie.split(';').next().expect("pair").to_string();

    for path in ADMIN_PAGES.into_iter().skip(1) {
        let res = get(app, path, Some(&cookie)).await;
        // A website or chat that does not exist is a 404 page, inside the layout.
        let expected = if path.ends_with("/some-id") { StatusCode::NOT_FOUND } else { StatusCode::OK };
        assert_eq!(res.status(), expected, "{path}");
        let html = res.text().await.unwrap_or_else(|e| panic!("GET {path} body: {e:?}"));
        assert!(html.contains("Sign out"), "{path} lacks the layout");
        assert!(html.contains(ADMIN_EMAIL), "{path} does not show the signed-in user");
    }
    let res = get(app, "/admin/login", Some(&cookie)).await;
    assert_eq!((res.status(), location(&res).as_str()), (StatusCode::SEE_OTHER, "/admin/dashboard"));

    // An open redirect is not followed.
    let res = app
        .client
        .post(app.url("/sfn/login"))
        .header("Origin", &app.base)
        .form(&[("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD), ("next", "//evil.test/")])
        .send()
        .await
        .expect("login form");
    assert_eq!(location(&res), "/admin/dashboard");
}

async fn wrong_password_in_the_form_sets_no_cookie(app: &TestApp) {
    let res = app.dashboard_session(ADMIN_EMAIL, "wrong password").await.expect_err("no session");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "a client mistake, not a 500");
    assert!(res.headers().get("set-cookie").is_none());
    let body = res.text().await.expect("body");
    assert!(body.contains("InvalidCredentials"), "{body}");

    let res = app.client.post(app.url("/sfn/current_user")).header("Origin", &app.base).send().await.expect("fn");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

async fn logout_clears_the_cookie_and_is_logged(app: &TestApp) {
    use domain::entities::activity_logs;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

    let cookie = app.dashboard_session(ADMIN_EMAIL, ADMIN_PASSWORD).await.expect("session");
    let res = app
        .client
        .post(app.url("/sfn/logout"))
        .header("Cookie", &cookie)
        .header("Origin", &app.base)
        .send()
        .await
        .expect("logout");
    assert!(res.status().is_redirection() || res.status().is_success(), "status {}", res.status());
    let cleared = res.headers().get("set-cookie").and_then(|v| v.to_str().ok()).expect("cookie").to_string();
    assert!(cleared.starts_with("helpdesk_session=;") && cleared.contains("Max-Age=0"), "{cleared}");
    let logouts = activity_logs::Entity::find()
        .filter(activity_logs::Column::Action.eq("auth.logout"))
        .count(app.state.db())
        .await
        .expect("count");
    assert_eq!(logouts, 1);
}

async fn cross_origin_posts_with_the_session_cookie_are_refused(app: &TestApp) {
    let cookie = app.dashboard_session(ADMIN_EMAIL, ADMIN_PASSWORD).await.expect("session");
    for origin in ["http://evil.test", "null"] {
        let res = app
            .client
            .post(app.url("/sfn/logout"))
            .header("Cookie", &cookie)
            .header("Origin", origin)
            .send()
            .await
            .expect("logout");
        let (status, code, _) = error_body(res).await;
        assert_eq!((status, code.as_str()), (StatusCode::FORBIDDEN, "forbidden"), "{origin}");
    }
    // The session survived the forged request.
    assert_eq!(get(app, "/admin/dashboard", Some(&cookie)).await.status(), StatusCode::OK);
}

async fn health_and_unknown_routes(app: &TestApp) {
    assert_eq!(get(app, "/healthz", None).await.status(), StatusCode::OK);
    let res = get(app, "/readyz", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<serde_json::Value>().await.expect("json")["database"], "ok");

    let (status, code, _) = error_body(get(app, "/api/no-such-thing", None).await).await;
    assert_eq!((status, code.as_str()), (StatusCode::NOT_FOUND, "not_found"));
    let res = get(app, "/no-such-page", None).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let res = get(app, "/healthz", None).await;
    assert_eq!(res.headers().get("x-content-type-options").and_then(|v| v.to_str().ok()), Some("nosniff"));
}
