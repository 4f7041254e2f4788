//! Availability on both databases: each user sets only their own (REST and the dashboard's server function), bad
//! values are refused and change nothing, the agents of the user's websites hear each change (and no one else),
//! the live dashboard shows it, and the widget offers its offline form while no agent of the website is online.

mod common;

use std::time::Duration;

use common::ws::agent_ws;
use common::{Caller, TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

backend_tests!(
    each_user_sets_their_own_availability,
    agents_hear_each_others_availability,
    the_widget_is_offline_while_no_agent_is_online
);

const PATH: &str = "/api/me/availability";

/// Website A (Ana and Ben) of one admin, website C (Cem) of another; returns A and C.
async fn sites(app: &TestApp) -> (Value, Value) {
    let root = app.admin_token().await;
    app.create_user(&root, "owner@helpdesk.test", "admin", &[]).await;
    app.create_user(&root, "other@helpdesk.test", "admin", &[]).await;
    let owner = app.token("owner@helpdesk.test", PASSWORD).await;
    let other = app.token("other@helpdesk.test", PASSWORD).await;
    let a = app.create_website(&owner, "A", &["shop.example.com"]).await;
    let c = app.create_website(&other, "C", &["shop.example.com"]).await;
    let id = |w: &Value| w["id"].as_str().expect("id").to_string();
    app.create_user(&owner, "ana@helpdesk.test", "agent", &[&id(&a)]).await;
    app.create_user(&owner, "ben@helpdesk.test", "agent", &[&id(&a)]).await;
    app.create_user(&other, "cem@helpdesk.test", "agent", &[&id(&c)]).await;
    (a, c)
}

async fn each_user_sets_their_own_availability(app: &TestApp) {
    sites(app).await;
    let ana = app.token("ana@helpdesk.test", PASSWORD).await;
    let ben = app.token("ben@helpdesk.test", PASSWORD).await;
    let (status, body) = app.api(Method::GET, PATH, &ana, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({ "status": "online", "auto": false, "awayAfterMinutes": 10 }));

    let (status, body) = app.api(Method::PATCH, PATH, &ana, Some(json!({ "status": "away" }))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({ "status": "away", "auto": false, "awayAfterMinutes": 10 }));
    let (_, body) = app.api(Method::PATCH, PATH, &ana, Some(json!({ "awayAfterMinutes": 30 }))).await;
    assert_eq!(body, json!({ "status": "away", "auto": false, "awayAfterMinutes": 30 }));
    // The dashboard's idle timer marks its change as automatic.
    let (_, body) = app.api(Method::PATCH, PATH, &ana, Some(json!({ "status": "away", "auto": true }))).await;
    assert_eq!(body["auto"], true);

    // Refused, naming the field, and nothing changes.
    for (bad, field) in [
        (json!({ "awayAfterMinutes": 1441 }), Some("awayAfterMinutes")),
        (json!({ "auto": true }), Some("auto")),
        (json!({ "status": "busy" }), None),
        (json!({ "status": "online", "userId": "someone-else" }), None),
        (json!({ "awayAfterMinutes": -1 }), None),
    ] {
        let (status, body) = app.api(Method::PATCH, PATH, &ana, Some(bad.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        if let Some(field) = field {
            assert_eq!(body["field"], field, "{body}");
        }
    }
    let (_, body) = app.api(Method::GET, PATH, &ana, None).await;
    assert_eq!(body, json!({ "status": "away", "auto": true, "awayAfterMinutes": 30 }));

    // Ana's choice is hers alone.
    let (_, body) = app.api(Method::GET, PATH, &ben, None).await;
    assert_eq!(body["status"], "online");

    // The dashboard's server functions do the same for the signed-in user.
    let Caller::Dashboard(cookie) = app.callers("ben@helpdesk.test", PASSWORD).await.1 else {
        unreachable!("callers gives a cookie second")
    };
    let (status, body) = app.sfn("set_availability", &cookie, json!({ "change": { "status": "offline" } })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "offline");
    let (status, body) = app.sfn("my_availability", &cookie, json!({})).await;
    assert_eq!((status, body["status"].clone()), (StatusCode::OK, json!("offline")));
    let (status, _) = app.sfn("set_availability", &cookie, json!({ "change": { "awayAfterMinutes": 5000 } })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Signed out: nothing, either way.
    let (status, _) = app.api(Method::GET, PATH, "not-a-token", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.api(Method::PATCH, PATH, "not-a-token", Some(json!({ "status": "online" }))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) =
        app.sfn("set_availability", "helpdesk_session=forged", json!({ "change": { "status": "online" } })).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn agents_hear_each_others_availability(app: &TestApp) {
    let (a, c) = sites(app).await;
    let a_id = a["id"].as_str().expect("id");
    let ana_token = app.token("ana@helpdesk.test", PASSWORD).await;
    let ben_token = app.token("ben@helpdesk.test", PASSWORD).await;
    let cem_token = app.token("cem@helpdesk.test", PASSWORD).await;
    let mut ana = agent_ws(app, &ana_token, a_id).await;
    let mut cem = agent_ws(app, &cem_token, c["id"].as_str().expect("id")).await;

    let ben = agent_ws(app, &ben_token, a_id).await;
    let online = ana.next("agent-online").await;
    assert_eq!(online["status"], "online", "{online}");
    let ben_id = online["userId"].clone();

    let (status, _) = app.api(Method::PATCH, PATH, &ben_token, Some(json!({ "status": "away" }))).await;
    assert_eq!(status, StatusCode::OK);
    let heard = ana.next("agent-status").await;
    assert_eq!(
        (heard["userId"].clone(), heard["status"].clone(), heard["websiteId"].clone()),
        (ben_id.clone(), json!("away"), json!(a_id))
    );
    assert!(cem.collect("agent-status", Duration::from_millis(300)).await.is_empty(), "Cem shares no website");
    // Setting the same again is no news.
    app.api(Method::PATCH, PATH, &ben_token, Some(json!({ "status": "away" }))).await;
    assert!(ana.collect("agent-status", Duration::from_millis(300)).await.is_empty());

    // The live dashboard shows it.
    let Caller::Dashboard(cookie) = app.callers("ana@helpdesk.test", PASSWORD).await.1 else {
        unreachable!("callers gives a cookie second")
    };
    let (status, snapshot) = app.sfn("load_dashboard", &cookie, json!({ "tz": "UTC" })).await;
    assert_eq!(status, StatusCode::OK, "{snapshot}");
    let agents: Vec<(Value, Value)> = snapshot[0]["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .map(|a| (a["name"].clone(), a["status"].clone()))
        .collect();
    assert_eq!(agents, [(json!("ana"), json!("online")), (json!("ben"), json!("away"))]);

    // Ben comes back later: he is announced with what he chose.
    drop(ben);
    ana.next("agent-offline").await;
    let _ben = agent_ws(app, &ben_token, a_id).await;
    let again = ana.next("agent-online").await;
    assert_eq!((again["userId"].clone(), again["status"].clone()), (ben_id, json!("away")));
}

async fn the_widget_is_offline_while_no_agent_is_online(app: &TestApp) {
    let (a, _) = sites(app).await;
    let a_id = a["id"].as_str().expect("id");
    let key = a["apiKey"].as_str().expect("key").to_string();
    let owner = app.token("owner@helpdesk.test", PASSWORD).await;
    let mut settings = app.api(Method::GET, &format!("/api/websites/{a_id}/settings"), &owner, None).await.1;
    settings["businessHours"] = json!({ "enabled": false, "timezone": "UTC", "days": [[], [], [], [], [], [], []], "offlineWhenNoAgents": true });
    let (status, body) = app.api(Method::PUT, &format!("/api/websites/{a_id}/settings"), &owner, Some(settings)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let online = || async {
        let res = app
            .client
            .get(app.url(&format!("/api/widget/config?apiKey={key}")))
            .header("Origin", "https://shop.example.com")
            .send()
            .await
            .expect("config");
        res.json::<Value>().await.expect("json")["online"].clone()
    };
    assert_eq!(online().await, false, "nobody is connected");

    let ana_token = app.token("ana@helpdesk.test", PASSWORD).await;
    let ben_token = app.token("ben@helpdesk.test", PASSWORD).await;
    let _ana = agent_ws(app, &ana_token, a_id).await;
    assert_eq!(online().await, true, "Ana is connected and online");
    app.api(Method::PATCH, PATH, &ana_token, Some(json!({ "status": "away", "auto": true }))).await;
    assert_eq!(online().await, false, "Ana is connected but away");
    // Ben chose online but has no dashboard open: still nobody to answer.
    app.api(Method::PATCH, PATH, &ben_token, Some(json!({ "status": "online" }))).await;
    assert_eq!(online().await, false, "Ben is not connected");
    let _ben = agent_ws(app, &ben_token, a_id).await;
    assert_eq!(online().await, true, "Ben is connected and online");
    app.api(Method::PATCH, PATH, &ben_token, Some(json!({ "status": "offline" }))).await;
    assert_eq!(online().await, false, "Ben went offline, Ana is away");
    app.api(Method::PATCH, PATH, &ana_token, Some(json!({ "status": "online" }))).await;
    assert_eq!(online().await, true, "Ana is back");
}
