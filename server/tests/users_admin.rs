//! Managing users: who may create whom, nobody raises their own role, the last active super admin stays,
//! deactivation and password resets revoke tokens at once, website assignments decide what an agent sees, and
//! every change lands in the activity log (readable with filters and pagination, within one's scope).

mod common;

use common::{TestApp, ADMIN_EMAIL, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

backend_tests!(
    role_rules_and_the_last_super_admin,
    deactivation_and_password_reset_revoke_tokens,
    assignments_decide_what_an_agent_sees,
    activity_log_records_changes_with_filters_and_scope,
    activity_records_what_changed_and_not_a_save_that_changed_nothing,
);

async fn me_id(app: &TestApp, token: &str) -> String {
    app.api(Method::GET, "/api/auth/me", token, None).await.1["id"].as_str().expect("id").to_string()
}

async fn role_rules_and_the_last_super_admin(app: &TestApp) {
    let s = app.admin_token().await;
    let s_id = me_id(app, &s).await;
    let a_id = app.create_user(&s, "a@helpdesk.test", "admin", &[]).await;
    let a = app.token("a@helpdesk.test", PASSWORD).await;

    // Nobody raises (or changes) their own role; admins cannot make admins.
    let (status, _) =
        app.api(Method::PATCH, &format!("/api/users/{a_id}"), &a, Some(json!({ "role": "super_admin" }))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let g_id = app.create_user(&a, "g@helpdesk.test", "agent", &[]).await;
    let (status, _) = app.api(Method::PATCH, &format!("/api/users/{g_id}"), &a, Some(json!({ "role": "admin" }))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let g = app.token("g@helpdesk.test", PASSWORD).await;
    let (status, _) = app.api(Method::PATCH, &format!("/api/users/{g_id}"), &g, Some(json!({ "role": "admin" }))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The only super admin cannot demote or deactivate themselves.
    for change in [json!({ "role": "admin" }), json!({ "isActive": false })] {
        let (status, _) = app.api(Method::PATCH, &format!("/api/users/{s_id}"), &s, Some(change)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    assert_eq!(app.api(Method::GET, "/api/auth/me", &s, None).await.0, StatusCode::OK);

    // A second super admin can be demoted by the first while the first stays active.
    let s2_id = app.create_user(&s, "s2@helpdesk.test", "super_admin", &[]).await;
    let (status, body) =
        app.api(Method::PATCH, &format!("/api/users/{s2_id}"), &s, Some(json!({ "role": "admin" }))).await;
    assert_eq!((status, body["role"].as_str()), (StatusCode::OK, Some("admin")));

    // Validation and conflicts.
    let (status, body) = app
        .api(
            Method::POST,
            "/api/users",
            &s,
            Some(json!({ "email": "A@HELPDESK.TEST", "name": "Dup", "role": "agent", "password": PASSWORD })),
        )
        .await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::CONFLICT, Some("email")));
    let (status, body) = app
        .api(
            Method::POST,
            "/api/users",
            &s,
            Some(json!({ "email": "x@helpdesk.test", "name": "X", "role": "agent", "password": "short" })),
        )
        .await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("password")));
    let (status, _) = app
        .api(
            Method::POST,
            "/api/users",
            &s,
            Some(json!({ "email": "x@helpdesk.test", "name": "X", "role": "root", "password": PASSWORD })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn deactivation_and_password_reset_revoke_tokens(app: &TestApp) {
    let s = app.admin_token().await;
    app.create_user(&s, "a@helpdesk.test", "admin", &[]).await;
    let a = app.token("a@helpdesk.test", PASSWORD).await;
    let g_id = app.create_user(&a, "g@helpdesk.test", "agent", &[]).await;
    let g = app.token("g@helpdesk.test", PASSWORD).await;
    let g_cookie = app.dashboard_session("g@helpdesk.test", PASSWORD).await.expect("session");

    let (status, body) =
        app.api(Method::PATCH, &format!("/api/users/{g_id}"), &a, Some(json!({ "isActive": false }))).await;
    assert_eq!((status, body["isActive"].as_bool()), (StatusCode::OK, Some(false)));
    assert_eq!(app.api(Method::GET, "/api/auth/me", &g, None).await.0, StatusCode::UNAUTHORIZED, "token revoked");
    let page = app.client.get(app.url("/admin/dashboard")).header("Cookie", &g_cookie).send().await.expect("page");
    assert_eq!(page.status(), StatusCode::SEE_OTHER, "dashboard session revoked");
    assert_eq!(app.login("g@helpdesk.test", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);

    app.api(Method::PATCH, &format!("/api/users/{g_id}"), &a, Some(json!({ "isActive": true }))).await;
    let g = app.token("g@helpdesk.test", PASSWORD).await;
    let (status, _) = app
        .api(
            Method::POST,
            &format!("/api/users/{g_id}/password"),
            &a,
            Some(json!({ "password": "brand-new-password" })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.api(Method::GET, "/api/auth/me", &g, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.login("g@helpdesk.test", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.login("g@helpdesk.test", "brand-new-password").await.status(), StatusCode::OK);
    // An agent cannot reset someone else's password, but may change their own.
    let g = app.token("g@helpdesk.test", "brand-new-password").await;
    let s_id = me_id(app, &s).await;
    let (status, _) = app
        .api(Method::POST, &format!("/api/users/{s_id}/password"), &g, Some(json!({ "password": "hijacked-password" })))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .api(
            Method::POST,
            &format!("/api/users/{g_id}/password"),
            &g,
            Some(json!({ "password": "my-own-new-password" })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

async fn assignments_decide_what_an_agent_sees(app: &TestApp) {
    let s = app.admin_token().await;
    app.create_user(&s, "a@helpdesk.test", "admin", &[]).await;
    let a = app.token("a@helpdesk.test", PASSWORD).await;
    let w1 = app.create_website(&a, "One", &["one.example.com"]).await["id"].as_str().expect("id").to_string();
    let w2 = app.create_website(&a, "Two", &["two.example.com"]).await["id"].as_str().expect("id").to_string();
    let g_id = app.create_user(&a, "g@helpdesk.test", "agent", &[w1.as_str()]).await;
    let g = app.token("g@helpdesk.test", PASSWORD).await;
    let names = |list: Value| -> Vec<String> {
        list.as_array().expect("list").iter().map(|w| w["name"].as_str().expect("name").to_string()).collect()
    };
    assert_eq!(names(app.api(Method::GET, "/api/websites", &g, None).await.1), ["One"]);
    let (status, body) =
        app.api(Method::PATCH, &format!("/api/users/{g_id}"), &a, Some(json!({ "websiteIds": [w2] }))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["websiteIds"], json!([w2]));
    assert_eq!(names(app.api(Method::GET, "/api/websites", &g, None).await.1), ["Two"]);
    let (status, _) = app.api(Method::GET, &format!("/api/websites/{w1}"), &g, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn activity_log_records_changes_with_filters_and_scope(app: &TestApp) {
    let s = app.admin_token().await;
    app.create_user(&s, "a@helpdesk.test", "admin", &[]).await;
    app.create_user(&s, "b@helpdesk.test", "admin", &[]).await;
    let a = app.token("a@helpdesk.test", PASSWORD).await;
    let b = app.token("b@helpdesk.test", PASSWORD).await;
    let w = app.create_website(&a, "Logged", &["log.example.com"]).await["id"].as_str().expect("id").to_string();
    app.api(Method::POST, &format!("/api/websites/{w}/rotate-key"), &a, None).await;

    let list = |token: String, query: &'static str| async move {
        let (status, body) = app.api(Method::GET, &format!("/api/activity{query}"), &token, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    };
    let all = list(s.clone(), "?action=website.create").await;
    assert_eq!(all["total"], 1);
    let entry = &all["items"][0];
    assert_eq!(entry["userEmail"], "a@helpdesk.test");
    assert_eq!(entry["resourceId"], w.as_str());
    assert_eq!(entry["ipAddress"], "127.0.0.1");
    assert!(entry["metadata"].as_str().expect("metadata").contains("Logged"));

    let mine = list(a.clone(), "?resourceType=website").await;
    let actions: Vec<&str> =
        mine["items"].as_array().expect("items").iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, ["website.rotate_key", "website.create"], "newest first");
    let theirs = list(b.clone(), "?resourceType=website").await;
    assert_eq!(theirs["total"], 0, "admin B does not see admin A's activity");
    let own = list(b, "").await;
    assert!(own["items"].as_array().expect("items").iter().all(|e| e["userEmail"] == "b@helpdesk.test"));

    let paged = list(s.clone(), "?perPage=2&page=2").await;
    assert_eq!((paged["page"].as_u64(), paged["perPage"].as_u64()), (Some(2), Some(2)));
    assert!(paged["total"].as_u64().expect("total") >= 6, "{paged}");
    assert_eq!(paged["items"].as_array().expect("items").len(), 2);
    let future = list(s.clone(), "?from=2999-01-01").await;
    assert_eq!(future["total"], 0);
    let (status, body) = app.api(Method::GET, "/api/activity?from=yesterday", &s, None).await;
    assert_eq!((status, body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("from")));
    let logins = list(s, "?action=auth.login").await;
    assert!(logins["items"].as_array().expect("items").iter().any(|e| e["userEmail"] == ADMIN_EMAIL));
}

/// The entries of `action` on `resource`, newest first.
async fn entries(app: &TestApp, token: &str, action: &str, resource: &str) -> Vec<Value> {
    let (_, page) = app.api(Method::GET, &format!("/api/activity?action={action}&perPage=100"), token, None).await;
    page["items"].as_array().expect("items").iter().filter(|e| e["resourceId"] == resource).cloned().collect()
}

fn changes(entry: &Value) -> Value {
    let metadata: Value = serde_json::from_str(entry["metadata"].as_str().expect("metadata")).expect("json");
    metadata["changes"].clone()
}

async fn activity_records_what_changed_and_not_a_save_that_changed_nothing(app: &TestApp) {
    let admin = app.admin_token().await;
    let site = app.create_website(&admin, "Shop", &["shop.example.com"]).await;
    let id = site["id"].as_str().expect("id").to_string();

    // A website: the same name again is no change; a new one is recorded from → to, and nothing else.
    let same = json!({ "name": "Shop", "domains": ["shop.example.com"] });
    assert_eq!(app.api(Method::PUT, &format!("/api/websites/{id}"), &admin, Some(same)).await.0, StatusCode::OK);
    assert!(entries(app, &admin, "website.update", &id).await.is_empty(), "an unchanged save is not logged");
    let renamed = json!({ "name": "Shop 2", "domains": ["shop.example.com"] });
    app.api(Method::PUT, &format!("/api/websites/{id}"), &admin, Some(renamed)).await;
    let logged = entries(app, &admin, "website.update", &id).await;
    assert_eq!(logged.len(), 1);
    assert_eq!(changes(&logged[0]), json!({ "name": { "from": "Shop", "to": "Shop 2" } }));

    // Widget settings: only the fields that changed.
    let (_, mut settings) = app.api(Method::GET, &format!("/api/websites/{id}/settings"), &admin, None).await;
    app.api(Method::PUT, &format!("/api/websites/{id}/settings"), &admin, Some(settings.clone())).await;
    let before = entries(app, &admin, "widget_settings.update", &id).await.len();
    app.api(Method::PUT, &format!("/api/websites/{id}/settings"), &admin, Some(settings.clone())).await;
    assert_eq!(entries(app, &admin, "widget_settings.update", &id).await.len(), before, "the same settings again");
    settings["primaryColor"] = json!("#112233");
    app.api(Method::PUT, &format!("/api/websites/{id}/settings"), &admin, Some(settings)).await;
    let logged = entries(app, &admin, "widget_settings.update", &id).await;
    assert_eq!(changes(&logged[0]), json!({ "primaryColor": { "from": "#2563eb", "to": "#112233" } }));

    // A user.
    let agent = app.create_user(&admin, "g@helpdesk.test", "agent", &[id.as_str()]).await;
    let same = json!({ "name": "g", "websiteIds": [id] });
    app.api(Method::PATCH, &format!("/api/users/{agent}"), &admin, Some(same)).await;
    assert!(entries(app, &admin, "user.update", &agent).await.is_empty(), "an unchanged save is not logged");
    app.api(Method::PATCH, &format!("/api/users/{agent}"), &admin, Some(json!({ "name": "Gil", "websiteIds": [] })))
        .await;
    let logged = entries(app, &admin, "user.update", &agent).await;
    assert_eq!(
        changes(&logged[0]),
        json!({ "name": { "from": "g", "to": "Gil" }, "websiteIds": { "from": [id], "to": [] } })
    );
}
