//! The pre-chat form: admins set it in the widget settings (each field off, optional or required, a consent text);
//! the widget's config carries it only when it asks something; the visitor's answers are checked against it and
//! land on the visitor (name, email, the consent with the website's words and time), which agents see in the
//! visitor panel and the export. Refusals: required fields, a bad email, an unticked box, no token, a foreign
//! token, a website without a form, and settings that are too long.

mod common;

use common::ws::{visitor_session, ORIGIN};
use common::{TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

backend_tests!(answers_land_on_the_visitor_and_refusals_say_which_field);

async fn answer(app: &TestApp, key: &str, token: &str, body: Value) -> (StatusCode, Value) {
    let res = app
        .client
        .post(app.url(&format!("/api/widget/prechat?apiKey={key}")))
        .header("Origin", ORIGIN)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("prechat");
    let status = res.status();
    // The widget reads refusals too: they carry CORS for the website's page.
    assert_eq!(res.headers().get("access-control-allow-origin").and_then(|v| v.to_str().ok()), Some(ORIGIN));
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn config(app: &TestApp, key: &str) -> Value {
    let res = app
        .client
        .get(app.url(&format!("/api/widget/config?apiKey={key}")))
        .header("Origin", ORIGIN)
        .send()
        .await
        .expect("config");
    res.json().await.expect("json")
}

async fn answers_land_on_the_visitor_and_refusals_say_which_field(app: &TestApp) {
    let admin = app.admin_token().await;
    let site = app.create_website(&admin, "Shop", &["shop.example.com"]).await;
    let (website, key) = (site["id"].as_str().expect("id").to_string(), site["apiKey"].as_str().expect("key"));
    let other = app.create_website(&admin, "Other", &["shop.example.com"]).await;
    let other_key = other["apiKey"].as_str().expect("key");
    app.create_user(&admin, "g@helpdesk.test", "agent", &[&website]).await;
    let agent = app.token("g@helpdesk.test", PASSWORD).await;

    // No form yet: the config has none and answers are refused.
    assert!(config(app, key).await.get("prechat").is_none());
    let session = visitor_session(app, key, None).await;
    let token = session["visitorToken"].as_str().expect("token").to_string();
    let (status, error) = answer(app, key, &token, json!({ "name": "Ana" })).await;
    assert_eq!((status, error["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("prechat")), "{error}");

    // The admin sets it up; an over-long consent text is refused by field.
    let path = format!("/api/websites/{website}/settings");
    let mut settings = app.api(Method::GET, &path, &admin, None).await.1;
    assert_eq!(settings["prechat"], json!({ "name": "off", "email": "off", "question": "off", "consent": "" }));
    settings["prechat"] =
        json!({ "name": "required", "email": "optional", "question": "required", "consent": "x".repeat(501) });
    let (status, error) = app.api(Method::PUT, &path, &admin, Some(settings.clone())).await;
    assert_eq!(
        (status, error["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("prechatConsent")),
        "{error}"
    );
    let consent = "I agree that my messages are kept to answer me.";
    settings["prechat"]["consent"] = json!(format!("  {consent} "));
    let (status, saved) = app.api(Method::PUT, &path, &admin, Some(settings.clone())).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["prechat"]["consent"], consent);
    let (status, _) = app.api(Method::PUT, &path, &agent, Some(settings)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "agents cannot change the widget");
    assert_eq!(
        config(app, key).await["prechat"],
        json!({ "name": "required", "email": "optional", "question": "required", "consent": consent })
    );

    // Refusals, each naming its field; nothing is stored by them.
    for (body, field) in [
        (json!({ "email": "ana@example.com", "consent": true }), "name"),
        (json!({ "name": "  ", "consent": true }), "name"),
        (json!({ "name": "x".repeat(101), "consent": true }), "name"),
        (json!({ "name": "Ana", "email": "not an email", "consent": true }), "email"),
        (json!({ "name": "Ana", "email": "ana@example.com" }), "consent"),
        (json!({ "name": "Ana", "consent": false }), "consent"),
    ] {
        let (status, error) = answer(app, key, &token, body.clone()).await;
        assert_eq!(
            (status, error["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{body}: {error}"
        );
    }
    // No token, a forged one, another website's visitor: not this visitor.
    let res = app
        .client
        .post(app.url(&format!("/api/widget/prechat?apiKey={key}")))
        .header("Origin", ORIGIN)
        .json(&json!({ "name": "Eve", "consent": true }))
        .send()
        .await
        .expect("prechat");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (status, _) = answer(app, key, "forged", json!({ "name": "Eve", "consent": true })).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let stranger = visitor_session(app, other_key, None).await;
    let (status, _) =
        answer(app, key, stranger["visitorToken"].as_str().expect("token"), json!({ "name": "Eve", "consent": true }))
            .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "another website's visitor token");

    // The answers: trimmed, on the visitor; the optional email may be left out.
    let (status, contact) = answer(app, key, &token, json!({ "name": "  Ana Lima ", "consent": true })).await;
    assert_eq!(status, StatusCode::OK, "{contact}");
    assert_eq!(contact, json!({ "name": "Ana Lima", "email": null }));
    let (status, contact) =
        answer(app, key, &token, json!({ "name": "Ana Lima", "email": "ana@example.com", "consent": true })).await;
    assert_eq!((status, contact["email"].as_str()), (StatusCode::OK, Some("ana@example.com")));

    // The question is the chat's first message; the agent sees who asked, and what they agreed to.
    let mut ws = common::ws::visitor_ws(app, key, &token).await;
    ws.send(json!({ "type": "chat-message", "clientMsgId": "q-1", "content": "Where is my parcel?" })).await;
    let ack = ws.next("ack").await;
    let chat = ack["chatId"].as_str().expect("chat").to_string();
    // The conversation page's data (the server function behind it), as the agent.
    let cookie = app.dashboard_session("g@helpdesk.test", PASSWORD).await.expect("session");
    let (status, detail) = app.sfn("chat_detail", &cookie, json!({ "id": chat })).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    let visitor = &detail["visitor"];
    assert_eq!((visitor["name"].as_str(), visitor["email"].as_str()), (Some("Ana Lima"), Some("ana@example.com")));
    assert_eq!(visitor["consent"]["text"], consent, "{visitor}");
    assert!(visitor["consent"]["at"].as_str().is_some_and(|at| at.ends_with('Z')), "{visitor}");
    assert_eq!(detail["messages"][0]["content"], "Where is my parcel?");
    let visitor_id = session["visitorId"].as_str().expect("visitor");
    let (_, export) = app.api(Method::GET, &format!("/api/visitors/{visitor_id}/export"), &admin, None).await;
    assert_eq!(export["visitor"]["consent"]["text"], consent, "{export}");

    // A form with nothing required but the box: an empty answer with the box ticked is enough.
    let mut settings = app.api(Method::GET, &path, &admin, None).await.1;
    settings["prechat"] = json!({ "name": "optional", "email": "off", "question": "off", "consent": consent });
    app.api(Method::PUT, &path, &admin, Some(settings)).await;
    let fresh = visitor_session(app, key, None).await;
    let (status, contact) = answer(
        app,
        key,
        fresh["visitorToken"].as_str().expect("token"),
        json!({ "email": "ignored@example.com", "consent": true }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{contact}");
    assert_eq!(contact, json!({ "name": null, "email": null }), "a field the form does not ask for is ignored");
}
