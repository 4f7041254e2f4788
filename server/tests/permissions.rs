//! The permission matrix: each role × each admin action, on both surfaces (REST with a Bearer token, and the
//! dashboard's server functions with a session cookie), including every refusal; and cross-tenant isolation.
//!
//! Cast: S the bootstrap super admin; admins A and B; agent G (created by A, member of A's website WA); agent H
//! (created by B). A owns WA, B owns WB.

mod common;

use common::{Caller, TestApp, ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

backend_tests!(role_by_action_matrix_on_rest_and_server_functions, admin_b_cannot_touch_admin_a_website);

#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    Ok,
    Forbidden,
    NotFound,
}

#[derive(Clone, Copy, Debug)]
enum Action {
    GetWebsite,
    UpdateWebsite,
    RotateKey,
    GetSettings,
    SaveSettings,
    CreateWebsite,
    ListUsers,
    CreateAgent,
    CreateAdmin,
}

struct Cast {
    s: (Caller, Caller),
    a: (Caller, Caller),
    b: (Caller, Caller),
    g: (Caller, Caller),
    h: (Caller, Caller),
    wa: String,
    wb: String,
}

async fn cast(app: &TestApp) -> Cast {
    let s_token = app.admin_token().await;
    app.create_user(&s_token, "a@helpdesk.test", "admin", &[]).await;
    app.create_user(&s_token, "b@helpdesk.test", "admin", &[]).await;
    let a_token = app.token("a@helpdesk.test", PASSWORD).await;
    let b_token = app.token("b@helpdesk.test", PASSWORD).await;
    let wa = app.create_website(&a_token, "Site A", &["a.example.com"]).await["id"].as_str().expect("id").to_string();
    let wb = app.create_website(&b_token, "Site B", &["b.example.com"]).await["id"].as_str().expect("id").to_string();
    app.create_user(&a_token, "g@helpdesk.test", "agent", &[wa.as_str()]).await;
    app.create_user(&b_token, "h@helpdesk.test", "agent", &[]).await;
    Cast {
        s: app.callers(ADMIN_EMAIL, ADMIN_PASSWORD).await,
        a: app.callers("a@helpdesk.test", PASSWORD).await,
        b: app.callers("b@helpdesk.test", PASSWORD).await,
        g: app.callers("g@helpdesk.test", PASSWORD).await,
        h: app.callers("h@helpdesk.test", PASSWORD).await,
        wa,
        wb,
    }
}

fn settings_body() -> Value {
    json!({
        "primaryColor": "#112233", "position": "bottom-left", "welcomeMessage": "Hi", "offlineMessage": "Away",
        "customCss": "", "widgetSize": "compact",
        "businessHours": { "enabled": false, "timezone": "UTC", "days": [[], [], [], [], [], [], []] }
    })
}

/// Runs `action` on website `w` as `caller`; returns the status and body.
async fn run(app: &TestApp, caller: &Caller, action: Action, w: &str, n: usize) -> (StatusCode, Value) {
    let email = format!("new{n}@helpdesk.test");
    let user =
        |role: &str| json!({ "email": email, "name": "New", "role": role, "password": PASSWORD, "websiteIds": [] });
    match caller {
        Caller::Rest(token) => {
            let (method, path, body) = match action {
                Action::GetWebsite => (Method::GET, format!("/api/websites/{w}"), None),
                Action::UpdateWebsite => {
                    (Method::PUT, format!("/api/websites/{w}"), Some(json!({ "name": "Renamed" })))
                }
                Action::RotateKey => (Method::POST, format!("/api/websites/{w}/rotate-key"), None),
                Action::GetSettings => (Method::GET, format!("/api/websites/{w}/settings"), None),
                Action::SaveSettings => (Method::PUT, format!("/api/websites/{w}/settings"), Some(settings_body())),
                Action::CreateWebsite => (
                    Method::POST,
                    "/api/websites".into(),
                    Some(json!({ "name": "New", "domains": ["new.example.com"] })),
                ),
                Action::ListUsers => (Method::GET, "/api/users".into(), None),
                Action::CreateAgent => (Method::POST, "/api/users".into(), Some(user("agent"))),
                Action::CreateAdmin => (Method::POST, "/api/users".into(), Some(user("admin"))),
            };
            app.api(method, &path, token, body).await
        }
        Caller::Dashboard(cookie) => {
            let (name, args) = match action {
                Action::GetWebsite => ("get_website", json!({ "id": w })),
                Action::UpdateWebsite => ("update_website", json!({ "id": w, "input": { "name": "Renamed" } })),
                Action::RotateKey => ("rotate_website_key", json!({ "id": w })),
                Action::GetSettings => ("get_widget_settings", json!({ "id": w })),
                Action::SaveSettings => ("save_widget_settings", json!({ "id": w, "settings": settings_body() })),
                Action::CreateWebsite => {
                    ("create_website", json!({ "input": { "name": "New", "domains": ["new.example.com"] } }))
                }
                Action::ListUsers => ("list_users", json!({})),
                Action::CreateAgent => ("create_user", json!({ "input": user("agent") })),
                Action::CreateAdmin => ("create_user", json!({ "input": user("admin") })),
            };
            app.sfn(name, cookie, args).await
        }
    }
}

fn class(status: StatusCode) -> Option<Expect> {
    match status.as_u16() {
        200..=299 => Some(Expect::Ok),
        403 => Some(Expect::Forbidden),
        404 => Some(Expect::NotFound),
        _ => None,
    }
}

async fn role_by_action_matrix_on_rest_and_server_functions(app: &TestApp) {
    use Expect::*;
    let c = cast(app).await;
    //                                   S    A          B          G          H
    let matrix: [(Action, [Expect; 5]); 9] = [
        (Action::GetWebsite, [Ok, Ok, NotFound, Ok, NotFound]),
        (Action::UpdateWebsite, [Ok, Ok, NotFound, Forbidden, NotFound]),
        (Action::RotateKey, [Ok, Ok, NotFound, Forbidden, NotFound]),
        (Action::GetSettings, [Ok, Ok, NotFound, Ok, NotFound]),
        (Action::SaveSettings, [Ok, Ok, NotFound, Forbidden, NotFound]),
        (Action::CreateWebsite, [Ok, Ok, Ok, Forbidden, Forbidden]),
        (Action::ListUsers, [Ok, Ok, Ok, Forbidden, Forbidden]),
        (Action::CreateAgent, [Ok, Ok, Ok, Forbidden, Forbidden]),
        (Action::CreateAdmin, [Ok, Forbidden, Forbidden, Forbidden, Forbidden]),
    ];
    let mut n = 0;
    for surface in 0..2 {
        let actors =
            [&c.s, &c.a, &c.b, &c.g, &c.h].map(|pair| if surface == 0 { pair.0.clone() } else { pair.1.clone() });
        for (action, expected) in &matrix {
            for (who, (caller, want)) in ["S", "A", "B", "G", "H"].iter().zip(actors.iter().zip(expected)) {
                n += 1;
                let (status, body) = run(app, caller, *action, &c.wa, n).await;
                assert_eq!(class(status), Some(*want), "{who} {action:?} via {caller:?}: {status} {body}");
            }
        }
    }

    // Who sees which websites in their list.
    for (who, pair, expect_a, expect_b) in [
        ("S", &c.s, true, true),
        ("A", &c.a, true, false),
        ("B", &c.b, false, true),
        ("G", &c.g, true, false),
        ("H", &c.h, false, false),
    ] {
        for caller in [&pair.0, &pair.1] {
            let (status, body) = match caller {
                Caller::Rest(token) => app.api(Method::GET, "/api/websites", token, None).await,
                Caller::Dashboard(cookie) => app.sfn("list_websites", cookie, json!({})).await,
            };
            assert_eq!(status, StatusCode::OK);
            let ids: Vec<&str> = body.as_array().expect("list").iter().filter_map(|w| w["id"].as_str()).collect();
            assert_eq!(ids.contains(&c.wa.as_str()), expect_a, "{who} sees WA? {caller:?}");
            assert_eq!(ids.contains(&c.wb.as_str()), expect_b, "{who} sees WB? {caller:?}");
        }
    }

    // Deleting: refusals first, then the owner.
    for (who, caller, want) in [
        ("B", &c.b.0, StatusCode::NOT_FOUND),
        ("G", &c.g.0, StatusCode::FORBIDDEN),
        ("H", &c.h.1, StatusCode::NOT_FOUND),
    ] {
        let (status, _) = match caller {
            Caller::Rest(token) => app.api(Method::DELETE, &format!("/api/websites/{}", c.wa), token, None).await,
            Caller::Dashboard(cookie) => app.sfn("delete_website", cookie, json!({ "id": c.wa })).await,
        };
        assert_eq!(status, want, "{who} delete");
    }
    let (status, _) = app
        .sfn(
            "delete_website",
            match &c.a.1 {
                Caller::Dashboard(c) => c,
                _ => unreachable!(),
            },
            json!({ "id": c.wa }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let Caller::Rest(s_token) = &c.s.0 else { unreachable!() };
    let (status, _) = app.api(Method::GET, &format!("/api/websites/{}", c.wa), s_token, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "deleted");
}

async fn admin_b_cannot_touch_admin_a_website(app: &TestApp) {
    let c = cast(app).await;
    let (Caller::Rest(a), Caller::Rest(b)) = (&c.a.0, &c.b.0) else { unreachable!() };
    let (_, wa) = app.api(Method::GET, &format!("/api/websites/{}", c.wa), a, None).await;
    let key = wa["apiKey"].as_str().expect("key").to_string();

    // By id and by key, on every route: the answer is "not found", and nothing changes.
    for id in [c.wa.as_str(), key.as_str()] {
        for (method, path, body) in [
            (Method::GET, format!("/api/websites/{id}"), None),
            (Method::PUT, format!("/api/websites/{id}"), Some(json!({ "name": "Pwned", "domains": ["evil.test"] }))),
            (Method::POST, format!("/api/websites/{id}/rotate-key"), None),
            (Method::GET, format!("/api/websites/{id}/settings"), None),
            (Method::PUT, format!("/api/websites/{id}/settings"), Some(settings_body())),
            (Method::DELETE, format!("/api/websites/{id}"), None),
        ] {
            let (status, body) = app.api(method.clone(), &path, b, body).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {body}");
            assert_eq!(body["error"], "not_found");
        }
    }
    // B cannot assign its agent to A's website either.
    let h_id = {
        let (_, users) = app.api(Method::GET, "/api/users", b, None).await;
        users.as_array().expect("users").iter().find(|u| u["email"] == "h@helpdesk.test").expect("h")["id"]
            .as_str()
            .expect("id")
            .to_string()
    };
    let (status, _) =
        app.api(Method::PATCH, &format!("/api/users/{h_id}"), b, Some(json!({ "websiteIds": [c.wa] }))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // B cannot see or manage A's agent.
    let (_, users) = app.api(Method::GET, "/api/users", b, None).await;
    assert!(!users.to_string().contains("g@helpdesk.test"));
    let g_id = {
        let (_, users) = app.api(Method::GET, "/api/users", a, None).await;
        users.as_array().expect("users").iter().find(|u| u["email"] == "g@helpdesk.test").expect("g")["id"]
            .as_str()
            .expect("id")
            .to_string()
    };
    let (status, _) =
        app.api(Method::PATCH, &format!("/api/users/{g_id}"), b, Some(json!({ "isActive": false }))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .api(Method::POST, &format!("/api/users/{g_id}/password"), b, Some(json!({ "password": "hijacked-123" })))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, after) = app.api(Method::GET, &format!("/api/websites/{}", c.wa), a, None).await;
    assert_eq!(after["name"], "Site A");
    assert_eq!(after["apiKey"], wa["apiKey"]);
    let (_, settings) = app.api(Method::GET, &format!("/api/websites/{}/settings", c.wa), a, None).await;
    assert_eq!(settings["primaryColor"], "#2563eb");
}
