//! Sign-in and tokens through the REST API: the seed's login shape, one 401 for unknown email and wrong password,
//! refused tokens (alg none, expired, wrong audience, wrong key, revoked), throttling, sign-out.

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::{error_body, test_secret, TestApp, ADMIN_EMAIL, ADMIN_PASSWORD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use domain::entities::{activity_logs, users};

backend_tests!(
    login_answers_the_seed_shape_and_the_token_works,
    unknown_email_and_wrong_password_look_the_same,
    protected_api_answers_401_without_a_valid_token,
    forged_expired_and_foreign_tokens_are_refused,
    deactivation_and_token_version_bump_revoke_tokens,
    twenty_wrong_passwords_get_429_with_retry_after,
    email_is_case_insensitive_and_sign_in_is_logged,
);

async fn me(app: &TestApp, token: &str) -> reqwest::Response {
    app.client.get(app.url("/api/auth/me")).bearer_auth(token).send().await.expect("me")
}

async fn admin_row(app: &TestApp) -> users::Model {
    users::Entity::find()
        .filter(users::Column::Email.eq(ADMIN_EMAIL))
        .one(app.state.db())
        .await
        .expect("query")
        .expect("bootstrap admin exists")
}

async fn login_answers_the_seed_shape_and_the_token_works(app: &TestApp) {
    let res = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    let token = body["token"].as_str().expect("token");
    assert_eq!(body["expiresIn"], 12 * 3600);
    assert_eq!(body["user"]["email"], ADMIN_EMAIL);
    assert_eq!(body["user"]["role"], "super_admin");
    assert_eq!(body["user"]["name"], "Administrator");
    assert!(body["user"]["id"].as_str().is_some_and(|id| id.len() == 36));
    assert!(body["user"].get("password_hash").is_none() && body["user"].get("passwordHash").is_none());

    let res = me(app, token).await;
    assert_eq!(res.status(), StatusCode::OK);
    let user: Value = res.json().await.expect("json");
    assert_eq!(user["email"], ADMIN_EMAIL);
}

async fn unknown_email_and_wrong_password_look_the_same(app: &TestApp) {
    let wrong_password = error_body(app.login(ADMIN_EMAIL, "not the password").await).await;
    let unknown_email = error_body(app.login("nobody@helpdesk.test", "not the password").await).await;
    assert_eq!(wrong_password.0, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_password, unknown_email);
    assert_eq!(wrong_password.1, "invalid_credentials");
}

async fn protected_api_answers_401_without_a_valid_token(app: &TestApp) {
    let res = app.client.get(app.url("/api/auth/me")).send().await.expect("me");
    let (status, code, _) = error_body(res).await;
    assert_eq!((status, code.as_str()), (StatusCode::UNAUTHORIZED, "unauthorized"));
    for token in ["garbage", "a.b.c", ""] {
        let res = app.client.get(app.url("/api/auth/me")).header("Authorization", format!("Bearer {token}")).send();
        assert_eq!(res.await.expect("me").status(), StatusCode::UNAUTHORIZED, "{token:?}");
    }
    let res = app.client.post(app.url("/api/auth/logout")).send().await.expect("logout");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

fn sign(claims: &Value, key: &[u8]) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(key)).expect("sign")
}

async fn forged_expired_and_foreign_tokens_are_refused(app: &TestApp) {
    let user = admin_row(app).await;
    let now = jsonwebtoken::get_current_timestamp();
    let claims = |aud: &str, exp: u64| json!({ "sub": user.id, "jti": "9b2f7a44-0d3e-4c55-a1a9-7f4f3c2d1e00", "aud": aud, "iss": "helpdesk", "iat": now, "exp": exp, "ver": user.token_version });
    let secret = test_secret();

    // The same claims, correctly signed, are accepted: the refusals below are about the one thing changed.
    let good = sign(&claims("helpdesk:agent", now + 600), secret.as_bytes());
    assert_eq!(me(app, &good).await.status(), StatusCode::OK);

    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims("helpdesk:agent", now + 600).to_string());
    let cases = [
        ("alg none", format!("{header}.{payload}.")),
        ("expired", sign(&claims("helpdesk:agent", now - 3600), secret.as_bytes())),
        ("wrong audience", sign(&claims("helpdesk:visitor", now + 600), secret.as_bytes())),
        ("wrong key", sign(&claims("helpdesk:agent", now + 600), b"some-other-secret-some-other-secret")),
        ("no token id (it could never be signed out)", {
            let mut c = claims("helpdesk:agent", now + 600);
            c.as_object_mut().expect("claims").remove("jti");
            sign(&c, secret.as_bytes())
        }),
        ("HS512", {
            let h = Header::new(Algorithm::HS512);
            jsonwebtoken::encode(&h, &claims("helpdesk:agent", now + 600), &EncodingKey::from_secret(secret.as_bytes()))
                .expect("sign")
        }),
    ];
    for (what, token) in cases {
        let (status, code, _) = error_body(me(app, &token).await).await;
        assert_eq!((status, code.as_str()), (StatusCode::UNAUTHORIZED, "unauthorized"), "{what} token accepted");
    }
}

async fn deactivation_and_token_version_bump_revoke_tokens(app: &TestApp) {
    use sea_orm::{ActiveModelTrait, Set};
    let token = app.admin_token().await;
    assert_eq!(me(app, &token).await.status(), StatusCode::OK);

    let user = admin_row(app).await;
    let mut bumped: users::ActiveModel = user.clone().into();
    bumped.token_version = Set(user.token_version + 1);
    bumped.update(app.state.db()).await.expect("bump");
    assert_eq!(me(app, &token).await.status(), StatusCode::UNAUTHORIZED, "old token survives a version bump");

    let token = app.admin_token().await;
    assert_eq!(me(app, &token).await.status(), StatusCode::OK, "a fresh token carries the new version");
    let mut inactive: users::ActiveModel = admin_row(app).await.into();
    inactive.is_active = Set(false);
    inactive.update(app.state.db()).await.expect("deactivate");
    assert_eq!(me(app, &token).await.status(), StatusCode::UNAUTHORIZED, "deactivated user's token survives");
    let (status, code, _) = error_body(app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await).await;
    assert_eq!((status, code.as_str()), (StatusCode::UNAUTHORIZED, "invalid_credentials"));
}

async fn twenty_wrong_passwords_get_429_with_retry_after(app: &TestApp) {
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..20 {
        let res = app.login(ADMIN_EMAIL, "wrong password").await;
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            retry_after = res.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(String::from);
        }
        statuses.push(res.status());
    }
    assert_eq!(statuses[0], StatusCode::UNAUTHORIZED);
    assert_eq!(statuses[19], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    let secs: u64 = retry_after.expect("Retry-After header").parse().expect("Retry-After is seconds");
    assert!(secs >= 1, "Retry-After {secs}");
    // Throttled means throttled: the right password does not get through until the wait is over.
    let res = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (status, code, _) = error_body(res).await;
    assert_eq!((status, code.as_str()), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"));
}

async fn email_is_case_insensitive_and_sign_in_is_logged(app: &TestApp) {
    let res = app.login(&format!("  {}  ", ADMIN_EMAIL.to_uppercase()), ADMIN_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    let token = res.json::<Value>().await.expect("json")["token"].as_str().expect("token").to_string();
    let res = app.client.post(app.url("/api/auth/logout")).bearer_auth(&token).send().await.expect("logout");
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    let user = admin_row(app).await;
    assert!(user.last_login_at.is_some());
    let actions: Vec<String> = activity_logs::Entity::find()
        .filter(activity_logs::Column::UserId.eq(user.id.as_str()))
        .all(app.state.db())
        .await
        .expect("activity")
        .into_iter()
        .map(|row| {
            assert_eq!(row.ip_address.as_deref(), Some("127.0.0.1"));
            row.action
        })
        .collect();
    assert!(actions.contains(&"auth.login".to_string()) && actions.contains(&"auth.logout".to_string()), "{actions:?}");
}
