//! Agents correct a visitor's name and email: for a visitor of a website they work on (404 otherwise), checked like
//! the offline form, shown in the inbox rows after, and recorded in the activity log.

mod common;

use common::ws::visitor_session;
use common::{TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::json;

backend_tests!(agents_correct_the_visitors_name_and_email);

async fn agents_correct_the_visitors_name_and_email(app: &TestApp) {
    let admin = app.admin_token().await;
    let site = app.create_website(&admin, "Shop", &["shop.example.com"]).await;
    let (website, key) = (site["id"].as_str().expect("id"), site["apiKey"].as_str().expect("key"));
    app.create_user(&admin, "g@helpdesk.test", "agent", &[website]).await;
    let agent = app.token("g@helpdesk.test", PASSWORD).await;
    let other = app.create_website(&admin, "Other", &["other.example.com"]).await;
    app.create_user(&admin, "o@helpdesk.test", "agent", &[other["id"].as_str().expect("id")]).await;
    let outsider = app.token("o@helpdesk.test", PASSWORD).await;
    let session = visitor_session(app, key, None).await;
    let visitor = session["visitorId"].as_str().expect("visitor").to_string();
    let path = format!("/api/visitors/{visitor}");

    let (status, saved) = app
        .api(Method::PATCH, &path, &agent, Some(json!({ "name": "  Zoé Martin ", "email": "zoe@example.com" })))
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved, json!({ "name": "Zoé Martin", "email": "zoe@example.com" }));
    // A field left out stays; an empty one is cleared.
    let (_, saved) = app.api(Method::PATCH, &path, &agent, Some(json!({ "email": "" }))).await;
    assert_eq!(saved, json!({ "name": "Zoé Martin", "email": null }));
    for (body, field) in [(json!({ "email": "not an email" }), "email"), (json!({ "name": "x".repeat(101) }), "name")] {
        let (status, error) = app.api(Method::PATCH, &path, &agent, Some(body)).await;
        assert_eq!((status, error["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{error}");
    }
    // Another website's agent, an unknown visitor: not found; nothing changed.
    let (status, _) = app.api(Method::PATCH, &path, &outsider, Some(json!({ "name": "Eve" }))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.api(Method::PATCH, "/api/visitors/nobody", &agent, Some(json!({ "name": "Eve" }))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let cookie = app.dashboard_session("o@helpdesk.test", PASSWORD).await.expect("session");
    let (status, _) =
        app.sfn("update_visitor", &cookie, json!({ "visitor_id": visitor, "contact": { "name": "Eve" } })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The inbox row shows the name once the visitor writes; the changes are in the activity log.
    let mut ws = common::ws::visitor_ws(app, key, session["visitorToken"].as_str().expect("token")).await;
    ws.send(json!({ "type": "chat-message", "clientMsgId": "v-1", "content": "Hello" })).await;
    ws.next("ack").await;
    let (_, list) = app.api(Method::GET, "/api/chats", &agent, None).await;
    assert_eq!(list[0]["visitorName"], "Zoé Martin", "{list}");
    let (_, log) = app.api(Method::GET, "/api/activity?action=visitor.update", &admin, None).await;
    assert_eq!(log["total"], 2, "{log}");
}
