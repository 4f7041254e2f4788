//! CSAT: a visitor rates their chat once it has ended (1–5 and a comment; again replaces it), keeping the agent who
//! had it; the agent sees it in the conversation, the analytics report counts it for the website and the agent, and
//! no one else sees it. Refusals: a chat still going on, a score outside 1–5, a long comment, another visitor's
//! chat, no or a forged token.

mod common;

use common::ws::{visitor_session, visitor_ws, ORIGIN};
use common::{TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

backend_tests!(visitors_rate_ended_chats_and_agents_see_it);

async fn rate(app: &TestApp, key: &str, token: &str, body: Value) -> (StatusCode, Value) {
    let res = app
        .client
        .post(app.url(&format!("/api/widget/rating?apiKey={key}")))
        .header("Origin", ORIGIN)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("rating");
    let status = res.status();
    assert_eq!(res.headers().get("access-control-allow-origin").and_then(|v| v.to_str().ok()), Some(ORIGIN));
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn visitors_rate_ended_chats_and_agents_see_it(app: &TestApp) {
    let (a, c) = app.two_tenants("Shop", "Other").await;
    let key = a["apiKey"].as_str().expect("key");
    let website = a["id"].as_str().expect("id");
    let ana = app.token("ana@helpdesk.test", PASSWORD).await;
    let owner = app.token("owner@helpdesk.test", PASSWORD).await;
    let other = app.token("other@helpdesk.test", PASSWORD).await;
    let (_, me) = app.api(Method::GET, "/api/auth/me", &ana, None).await;
    let ana_id = me["id"].as_str().expect("id").to_string();

    let session = visitor_session(app, key, None).await;
    let token = session["visitorToken"].as_str().expect("token").to_string();
    let mut ws = visitor_ws(app, key, &token).await;
    ws.send(json!({ "type": "chat-message", "clientMsgId": "r-1", "content": "My order is late" })).await;
    let chat = ws.next("ack").await["chatId"].as_str().expect("chat").to_string();
    let (status, _) =
        app.api(Method::PATCH, &format!("/api/chats/{chat}"), &ana, Some(json!({ "assignedTo": ana_id }))).await;
    assert_eq!(status, StatusCode::OK);

    // Not before it has ended.
    let (status, error) = rate(app, key, &token, json!({ "chatId": chat, "rating": 5 })).await;
    assert_eq!((status, error["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("chatId")), "{error}");
    let (status, _) =
        app.api(Method::PATCH, &format!("/api/chats/{chat}"), &ana, Some(json!({ "status": "resolved" }))).await;
    assert_eq!(status, StatusCode::OK);

    for (body, field) in [
        (json!({ "chatId": chat, "rating": 0 }), "rating"),
        (json!({ "chatId": chat, "rating": 6 }), "rating"),
        (json!({ "chatId": chat, "rating": 4, "comment": "x".repeat(1001) }), "comment"),
    ] {
        let (status, error) = rate(app, key, &token, body.clone()).await;
        assert_eq!(
            (status, error["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{body}: {error}"
        );
    }
    // Another visitor (of this website or another), no token, a forged one: not theirs to rate.
    let stranger = visitor_session(app, key, None).await;
    let (status, _) =
        rate(app, key, stranger["visitorToken"].as_str().expect("token"), json!({ "chatId": chat, "rating": 1 })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let outsider = visitor_session(app, c["apiKey"].as_str().expect("key"), None).await;
    let (status, _) =
        rate(app, key, outsider["visitorToken"].as_str().expect("token"), json!({ "chatId": chat, "rating": 1 })).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = rate(app, key, "forged", json!({ "chatId": chat, "rating": 1 })).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let res = app
        .client
        .post(app.url(&format!("/api/widget/rating?apiKey={key}")))
        .header("Origin", ORIGIN)
        .json(&json!({ "chatId": chat, "rating": 1 }))
        .send()
        .await
        .expect("rating");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // The visitor rates, then changes their mind: one rating, the last one, with the agent who had the chat.
    let (status, rated) = rate(app, key, &token, json!({ "chatId": chat, "rating": 3, "comment": "  Slow  " })).await;
    assert_eq!(status, StatusCode::OK, "{rated}");
    assert_eq!((rated["rating"].as_i64(), rated["comment"].as_str()), (Some(3), Some("Slow")));
    let (status, rated) =
        rate(app, key, &token, json!({ "chatId": chat, "rating": 5, "comment": "Quick and kind" })).await;
    assert_eq!(status, StatusCode::OK, "{rated}");
    assert_eq!(rated["agentId"], json!(ana_id));

    // The conversation page's data (the server function behind it): the agent sees it; another tenant not the chat.
    let cookie = app.dashboard_session("ana@helpdesk.test", PASSWORD).await.expect("session");
    let (status, detail) = app.sfn("chat_detail", &cookie, json!({ "id": chat })).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["rating"]["rating"], 5, "{detail}");
    assert_eq!(detail["rating"]["comment"], "Quick and kind");
    let outsider_cookie = app.dashboard_session("other@helpdesk.test", PASSWORD).await.expect("session");
    let (status, _) = app.sfn("chat_detail", &outsider_cookie, json!({ "id": chat })).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Analytics: the website's and the agent's ratings; another tenant sees none.
    let (status, report) =
        app.api(Method::GET, &format!("/api/analytics?days=1&websiteId={website}"), &owner, None).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["ratings"], json!({ "count": 1, "sum": 5, "byScore": [0, 0, 0, 0, 1] }), "{report}");
    let agent = report["agents"].as_array().expect("agents").iter().find(|x| x["userId"] == json!(ana_id)).cloned();
    assert_eq!(agent.expect("ana in the report")["ratings"]["count"], 1);
    let (_, theirs) = app.api(Method::GET, "/api/analytics?days=1", &other, None).await;
    assert_eq!(theirs["ratings"]["count"], 0, "{theirs}");
}
