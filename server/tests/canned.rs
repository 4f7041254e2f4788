//! Canned responses through the REST API and the dashboard's server functions: shared ones are kept by whoever
//! manages the website and used by everyone who works on it; personal ones are their author's alone. Every refusal:
//! another website's, another agent's personal one, an agent changing a shared one, bad and taken shortcuts.

mod common;

use common::{TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

backend_tests!(shared_and_personal_responses_are_scoped_to_who_may_use_them);

fn shortcuts(list: &Value) -> Vec<String> {
    list.as_array().expect("list").iter().map(|c| c["shortcut"].as_str().unwrap_or_default().to_string()).collect()
}

async fn shared_and_personal_responses_are_scoped_to_who_may_use_them(app: &TestApp) {
    let root = app.admin_token().await;
    app.create_user(&root, "a@helpdesk.test", "admin", &[]).await;
    let admin = app.token("a@helpdesk.test", PASSWORD).await;
    let site = app.create_website(&admin, "Shop", &["shop.example.com"]).await;
    let website = site["id"].as_str().expect("id").to_string();
    let other_site = app.create_website(&admin, "Blog", &["blog.example.com"]).await;
    let other_website = other_site["id"].as_str().expect("id").to_string();
    app.create_user(&admin, "g@helpdesk.test", "agent", &[website.as_str()]).await;
    let agent = app.token("g@helpdesk.test", PASSWORD).await;
    app.create_user(&admin, "h@helpdesk.test", "agent", &[website.as_str()]).await;
    let colleague = app.token("h@helpdesk.test", PASSWORD).await;
    app.create_user(&root, "b@helpdesk.test", "admin", &[]).await;
    let stranger = app.token("b@helpdesk.test", PASSWORD).await;
    let post = |token: &str, body: Value| {
        let token = token.to_string();
        async move { app.api(Method::POST, "/api/canned-responses", &token, Some(body)).await }
    };

    // The website's admin shares two; the shortcut is stored without its slash, in lower case.
    let (status, refund) = post(
        &admin,
        json!({ "websiteId": website, "shortcut": "/Refund", "content": "Hi {{visitor.name}}, refunds take 5 days." }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{refund}");
    assert_eq!((refund["shortcut"].as_str(), refund["personal"].as_bool()), (Some("refund"), Some(false)));
    let refund_id = refund["id"].as_str().expect("id").to_string();
    let (status, _) =
        post(&admin, json!({ "websiteId": other_website, "shortcut": "blog", "content": "On the blog." })).await;
    assert_eq!(status, StatusCode::CREATED);
    // Taken (whatever the case), badly named, empty, too long: refused with the field.
    for (body, code, field) in [
        (json!({ "websiteId": website, "shortcut": "REFUND", "content": "again" }), StatusCode::CONFLICT, "shortcut"),
        (
            json!({ "websiteId": website, "shortcut": "two words", "content": "x" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "shortcut",
        ),
        (
            json!({ "websiteId": website, "shortcut": "x".repeat(33), "content": "x" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "shortcut",
        ),
        (
            json!({ "websiteId": website, "shortcut": "empty", "content": "  " }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "content",
        ),
        (json!({ "shortcut": "long", "content": "x".repeat(5001) }), StatusCode::UNPROCESSABLE_ENTITY, "content"),
    ] {
        let (status, error) = post(&admin, body.clone()).await;
        assert_eq!((status, error["field"].as_str()), (code, Some(field)), "{body}: {error}");
    }

    // The agent: shares nothing (403 on their website, 404 on one they do not work on), keeps personal ones.
    let (status, _) = post(&agent, json!({ "websiteId": website, "shortcut": "mine", "content": "x" })).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post(&agent, json!({ "websiteId": other_website, "shortcut": "mine", "content": "x" })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, personal) = post(&agent, json!({ "shortcut": "thanks", "content": "Thanks, {{agent.name}}" })).await;
    assert_eq!((status, personal["personal"].as_bool()), (StatusCode::CREATED, Some(true)), "{personal}");
    let personal_id = personal["id"].as_str().expect("id").to_string();
    // A personal shortcut may repeat a shared one: they belong to different owners.
    let (status, _) = post(&agent, json!({ "shortcut": "refund", "content": "My own way" })).await;
    assert_eq!(status, StatusCode::CREATED);

    // Who sees what.
    let (_, list) = app.api(Method::GET, "/api/canned-responses", &agent, None).await;
    assert_eq!(shortcuts(&list), ["refund", "refund", "thanks"], "{list}");
    let shared = list.as_array().expect("list").iter().find(|c| c["id"] == refund_id.as_str()).expect("shared");
    assert_eq!(shared["canEdit"], false);
    let (_, list) = app.api(Method::GET, "/api/canned-responses", &colleague, None).await;
    assert_eq!(shortcuts(&list), ["refund"], "not the agent's personal ones: {list}");
    let (_, list) = app.api(Method::GET, "/api/canned-responses", &admin, None).await;
    assert_eq!(shortcuts(&list), ["blog", "refund"], "{list}");
    let (_, list) =
        app.api(Method::GET, &format!("/api/canned-responses?websiteId={other_website}"), &admin, None).await;
    assert_eq!(shortcuts(&list), ["blog"], "{list}");
    let (_, list) = app.api(Method::GET, "/api/canned-responses", &stranger, None).await;
    assert_eq!(shortcuts(&list), Vec::<String>::new(), "{list}");
    let (status, _) =
        app.api(Method::GET, &format!("/api/canned-responses?websiteId={website}"), &stranger, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Changing and deleting: the agent may not touch the shared one, nobody else their personal one.
    let path = |id: &str| format!("/api/canned-responses/{id}");
    let change = json!({ "content": "changed" });
    let (status, _) = app.api(Method::PATCH, &path(&refund_id), &agent, Some(change.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.api(Method::DELETE, &path(&refund_id), &agent, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.api(Method::PATCH, &path(&refund_id), &stranger, Some(change.clone())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for token in [&admin, &colleague, &root] {
        let (status, _) = app.api(Method::PATCH, &path(&personal_id), token, Some(change.clone())).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = app.api(Method::DELETE, &path(&personal_id), token, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, renamed) =
        app.api(Method::PATCH, &path(&personal_id), &agent, Some(json!({ "shortcut": "refund" }))).await;
    assert_eq!(
        (status, renamed["field"].as_str()),
        (StatusCode::CONFLICT, Some("shortcut")),
        "taken by their other one"
    );
    let (status, changed) = app.api(Method::PATCH, &path(&refund_id), &admin, Some(change)).await;
    assert_eq!((status, changed["content"].as_str()), (StatusCode::OK, Some("changed")));

    // The dashboard's server functions answer the same, for the same scope.
    let cookie = app.dashboard_session("g@helpdesk.test", PASSWORD).await.expect("session");
    let (status, list) = app.sfn("list_canned", &cookie, json!({ "website_id": website })).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(shortcuts(&list), ["refund", "refund", "thanks"], "{list}");
    let (status, _) = app
        .sfn("update_canned", &cookie, json!({ "id": refund_id, "input": { "content": "via the dashboard" } }))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Deleted: gone for everyone; a deleted website takes its shared ones along.
    let (status, _) = app.api(Method::DELETE, &path(&personal_id), &agent, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.api(Method::DELETE, &path(&personal_id), &agent, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.api(Method::DELETE, &format!("/api/websites/{other_website}"), &admin, None).await;
    assert!(status.is_success(), "{status}");
    let (_, list) = app.api(Method::GET, "/api/canned-responses", &admin, None).await;
    assert_eq!(shortcuts(&list), ["refund"], "{list}");
}
