//! Authentication: argon2id password hashes, signed JWTs (HS256 only, audience and expiry required, checked against
//! the user's `token_version` on every use so deactivation or a password change revokes every token at once), the
//! dashboard's session cookie, and sign-in with throttling of failures.

use std::net::IpAddr;
use std::sync::OnceLock;
use std::time::Duration;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use http::HeaderMap;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use protocol::LoginResponse;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};

use crate::ctx::{Ctx, TokenId};
use crate::entities::{revoked_tokens, users};
use crate::services::activity::{self, Activity};
use crate::services::users::{normalize_email, to_view};
use crate::AppState;
use protocol::AppError;

/// The dashboard's session cookie (httpOnly, SameSite=Lax).
pub const SESSION_COOKIE: &str = "helpdesk_session";
/// Audience of dashboard/API tokens; visitor tokens get their own, so one can never pass for the other.
pub const AGENT_AUDIENCE: &str = "helpdesk:agent";
/// Audience of visitor tokens: one website, one visitor.
pub const VISITOR_AUDIENCE: &str = "helpdesk:visitor";
/// Visitors keep their conversation across visits for this long.
pub const VISITOR_TOKEN_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
const ISSUER: &str = "helpdesk";
/// Passwords longer than this are refused before hashing (argon2 would take them, but nobody types 1 KB).
pub const MAX_PASSWORD_LEN: usize = 1024;
pub const MIN_PASSWORD_LEN: usize = 8;

#[derive(Debug, Serialize, Deserialize)]
struct AgentClaims {
    sub: String,
    /// The token's id, so signing out revokes this token and no other.
    jti: String,
    aud: String,
    iss: String,
    iat: u64,
    exp: u64,
    /// `users.token_version` when issued.
    ver: i32,
}

#[derive(Debug, Serialize, Deserialize)]
struct VisitorClaims {
    /// The visitor id.
    sub: String,
    /// The website the visitor belongs to.
    wid: String,
    aud: String,
    iss: String,
    iat: u64,
    exp: u64,
}

/// Keys and token settings, built once from the configured secret.
pub struct AuthKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    visitor_validation: Validation,
    pub token_ttl: Duration,
    pub cookie_secure: bool,
}

impl AuthKeys {
    pub fn new(secret: &[u8], token_ttl: Duration, cookie_secure: bool) -> Self {
        // `Validation::new` allows exactly one algorithm, so `alg: none` or an RS256/HS256 confusion is refused.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AGENT_AUDIENCE]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
        validation.leeway = 5;
        let mut visitor_validation = validation.clone();
        visitor_validation.set_audience(&[VISITOR_AUDIENCE]);
        AuthKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            visitor_validation,
            token_ttl,
            cookie_secure,
        }
    }

    /// Issues a token for `user`; returns it with its lifetime in seconds.
    pub fn issue(&self, user: &users::Model) -> Result<(String, u64), AppError> {
        let now = jsonwebtoken::get_current_timestamp();
        let ttl = self.token_ttl.as_secs();
        let claims = AgentClaims {
            sub: user.id.clone(),
            jti: uuid::Uuid::new_v4().to_string(),
            aud: AGENT_AUDIENCE.to_string(),
            iss: ISSUER.to_string(),
            iat: now,
            exp: now + ttl,
            ver: user.token_version,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|e| {
            tracing::error!(error = %e, "cannot sign token");
            AppError::Internal
        })?;
        Ok((token, ttl))
    }

    fn decode(&self, token: &str) -> Result<AgentClaims, AppError> {
        jsonwebtoken::decode::<AgentClaims>(token, &self.decoding, &self.validation).map(|data| data.claims).map_err(
            |e| {
                tracing::debug!(error = %e, "token refused");
                AppError::Unauthorized
            },
        )
    }

    /// A token for one visitor of one website.
    pub fn issue_visitor(&self, visitor_id: &str, website_id: &str) -> Result<String, AppError> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = VisitorClaims {
            sub: visitor_id.to_string(),
            wid: website_id.to_string(),
            aud: VISITOR_AUDIENCE.to_string(),
            iss: ISSUER.to_string(),
            iat: now,
            exp: now + VISITOR_TOKEN_TTL.as_secs(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|e| {
            tracing::error!(error = %e, "cannot sign visitor token");
            AppError::Internal
        })
    }

    /// (visitor id, website id) of a valid visitor token.
    pub fn decode_visitor(&self, token: &str) -> Result<(String, String), AppError> {
        jsonwebtoken::decode::<VisitorClaims>(token, &self.decoding, &self.visitor_validation)
            .map(|data| (data.claims.sub, data.claims.wid))
            .map_err(|_| AppError::Unauthorized)
    }

    /// `Set-Cookie` value carrying a session token.
    pub fn session_cookie(&self, token: &str) -> String {
        self.cookie(token.to_string(), cookie::time::Duration::seconds(self.token_ttl.as_secs() as i64))
    }

    /// `Set-Cookie` value that removes the session.
    pub fn clear_cookie(&self) -> String {
        self.cookie(String::new(), cookie::time::Duration::ZERO)
    }

    fn cookie(&self, value: String, max_age: cookie::time::Duration) -> String {
        cookie::Cookie::build((SESSION_COOKIE, value))
            .path("/")
            .http_only(true)
            .same_site(cookie::SameSite::Lax)
            .secure(self.cookie_secure)
            .max_age(max_age)
            .build()
            .to_string()
    }
}

/// Bearer token first (REST integrations), then the session cookie (dashboard).
pub fn token_from_headers(headers: &HeaderMap) -> Option<String> {
    bearer_token(headers).or_else(|| session_cookie_value(headers))
}

/// The token of `Authorization: Bearer …` (scheme case-insensitive), never a cookie: what the widget sends.
pub fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok())?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_string())
}

fn session_cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == SESSION_COOKIE && !c.value().is_empty())
        .map(|c| c.value().to_string())
}

/// Whether the request carries a session cookie (used by the CSRF Origin check).
pub fn has_session_cookie(headers: &HeaderMap) -> bool {
    session_cookie_value(headers).is_some()
}

/// Verifies a token and loads its user; refuses deactivated users, revoked (older `token_version`) tokens and
/// tokens signed out by their holder.
pub async fn authenticate(state: &AppState, token: &str, ip: Option<IpAddr>) -> Result<Ctx, AppError> {
    let claims = state.auth.decode(token)?;
    let user = users::Entity::find_by_id(claims.sub).one(&state.db).await?.ok_or(AppError::Unauthorized)?;
    if !user.is_active || user.token_version != claims.ver {
        return Err(AppError::Unauthorized);
    }
    if revoked_tokens::Entity::find_by_id(claims.jti.as_str()).one(&state.db).await?.is_some() {
        return Err(AppError::Unauthorized);
    }
    let view = to_view(&user)?;
    let permissions = state.permissions(view.role);
    let expires_at = chrono::DateTime::from_timestamp(claims.exp as i64, 0).unwrap_or_default().naive_utc();
    Ok(Ctx::for_user(view, permissions, ip).with_token(TokenId { id: claims.jti, expires_at }))
}

/// The acting user of a request, from its Bearer token or session cookie.
pub async fn ctx_from_headers(state: &AppState, headers: &HeaderMap, ip: Option<IpAddr>) -> Result<Ctx, AppError> {
    let token = token_from_headers(headers).ok_or(AppError::Unauthorized)?;
    authenticate(state, &token, ip).await
}

/// Signs in with email and password. Unknown email, wrong password and deactivated account give the same answer
/// and take the same time; failures are throttled per IP and per email.
pub async fn login(
    state: &AppState,
    email: &str,
    password: &str,
    ip: Option<IpAddr>,
) -> Result<LoginResponse, AppError> {
    let email = normalize_email(email);
    if email.is_empty() {
        return Err(AppError::validation("email", "Enter your email address."));
    }
    if password.is_empty() {
        return Err(AppError::validation("password", "Enter your password."));
    }
    if password.len() > MAX_PASSWORD_LEN || email.len() > 255 {
        return Err(AppError::InvalidCredentials);
    }
    state.login_throttle.check(ip, &email).await.map_err(rate_limited)?;

    let user = users::Entity::find().filter(users::Column::Email.eq(email.as_str())).one(&state.db).await?;
    let hash = match &user {
        Some(u) => u.password_hash.clone(),
        None => dummy_hash().await?,
    };
    let password_ok = verify_password(&hash, password).await;
    let user = match user {
        Some(u) if password_ok && u.is_active => u,
        _ => {
            state.login_throttle.record_failure(ip, &email).await.map_err(rate_limited)?;
            return Err(AppError::InvalidCredentials);
        }
    };

    let (token, expires_in) = state.auth.issue(&user)?;
    let view = to_view(&user)?;
    let mut active: users::ActiveModel = user.into();
    active.last_login_at = Set(Some(chrono::Utc::now().naive_utc()));
    active.update(&state.db).await?;
    let ctx = Ctx::for_user(view.clone(), state.permissions(view.role), ip);
    activity::record(
        &ctx,
        &state.db,
        Activity {
            action: "auth.login",
            resource_type: "user",
            resource_id: Some(ctx.user_id()),
            website_id: None,
            metadata: None,
        },
    )
    .await?;
    Ok(LoginResponse { token, user: view, expires_in })
}

/// Signs out the token `ctx` was authenticated with: it is refused from now on, everywhere (the row is kept until
/// the token would have expired), and the sockets opened with it close. The user's other sessions stay signed in;
/// revoking all of them is what `token_version` is for. The cookie is cleared by the caller.
pub async fn logout(ctx: &Ctx, state: &AppState) -> Result<(), AppError> {
    let now = chrono::Utc::now().naive_utc();
    let txn = crate::db::begin_write(&state.db).await?;
    if let Some(token) = ctx.token() {
        let revoked = revoked_tokens::ActiveModel {
            jti: Set(token.id.clone()),
            user_id: Set(ctx.user_id().to_string()),
            expires_at: Set(token.expires_at),
        };
        // Signing out twice with the same token is no error.
        match revoked_tokens::Entity::insert(revoked)
            .on_conflict(
                sea_orm::sea_query::OnConflict::column(revoked_tokens::Column::Jti)
                    .do_nothing_on([revoked_tokens::Column::Jti])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await
        {
            Ok(_) | Err(sea_orm::DbErr::RecordNotInserted) => {}
            Err(e) => return Err(e.into()),
        }
        // Rows of expired tokens say nothing any more.
        revoked_tokens::Entity::delete_many().filter(revoked_tokens::Column::ExpiresAt.lt(now)).exec(&txn).await?;
    }
    activity::record(
        ctx,
        &txn,
        Activity {
            action: "auth.logout",
            resource_type: "user",
            resource_id: Some(ctx.user_id()),
            website_id: None,
            metadata: None,
        },
    )
    .await?;
    txn.commit().await?;
    if let Some(token) = ctx.token() {
        state.hub.disconnect_session(&token.id);
    }
    Ok(())
}

fn rate_limited(wait: Duration) -> AppError {
    AppError::RateLimited { retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64 }
}

/// Checks a new password's length. Composition rules are left to the user (NIST 800-63B).
pub fn validate_new_password(password: &str) -> Result<(), AppError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_LEN {
        return Err(AppError::validation("password", format!("Use at least {MIN_PASSWORD_LEN} characters.")));
    }
    if password.len() > MAX_PASSWORD_LEN {
        return Err(AppError::validation("password", format!("Use at most {MAX_PASSWORD_LEN} bytes.")));
    }
    Ok(())
}

/// argon2id with the crate's recommended parameters, off the async runtime.
pub async fn hash_password(password: &str) -> Result<String, AppError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            AppError::Internal
        })
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "password hashing task failed");
        AppError::Internal
    })?
}

pub async fn verify_password(hash: &str, password: &str) -> bool {
    let (hash, password) = (hash.to_string(), password.to_string());
    tokio::task::spawn_blocking(move || Argon2::default().verify_password(password.as_bytes(), hash.as_str()).is_ok())
        .await
        .unwrap_or(false)
}

/// A real hash to verify against when the email is unknown, so both cases cost one argon2 run.
async fn dummy_hash() -> Result<String, AppError> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash.clone());
    }
    let hash = hash_password("not-a-real-password-just-equal-timing").await?;
    Ok(DUMMY.get_or_init(|| hash).clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(version: i32) -> users::Model {
        let now = chrono::Utc::now().naive_utc();
        users::Model {
            id: "u1".into(),
            email: "a@example.com".into(),
            password_hash: String::new(),
            name: "A".into(),
            role: protocol::Role::Agent,
            is_active: true,
            token_version: version,
            last_login_at: None,
            created_by: None,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn issued_tokens_decode_and_carry_the_version() {
        let keys = AuthKeys::new(b"0123456789abcdef0123456789abcdef", Duration::from_secs(60), false);
        let (token, ttl) = keys.issue(&user(4)).expect("issue");
        assert_eq!(ttl, 60);
        let claims = keys.decode(&token).expect("decode");
        assert_eq!(claims.sub, "u1");
        assert_eq!(claims.ver, 4);
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let a = AuthKeys::new(b"secret-a-secret-a-secret-a-secret-a", Duration::from_secs(60), false);
        let b = AuthKeys::new(b"secret-b-secret-b-secret-b-secret-b", Duration::from_secs(60), false);
        let (token, _) = a.issue(&user(0)).expect("issue");
        assert_eq!(b.decode(&token).err(), Some(AppError::Unauthorized));
    }

    #[test]
    fn bearer_wins_over_cookie_and_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::COOKIE, "theme=dark; helpdesk_session=abc; x=y".parse().expect("header"));
        assert_eq!(token_from_headers(&headers).as_deref(), Some("abc"));
        headers.insert(http::header::AUTHORIZATION, "Bearer xyz".parse().expect("header"));
        assert_eq!(token_from_headers(&headers).as_deref(), Some("xyz"));
        headers.insert(http::header::AUTHORIZATION, "Basic xyz".parse().expect("header"));
        assert_eq!(token_from_headers(&headers).as_deref(), Some("abc"));
    }

    #[test]
    fn session_cookie_is_http_only_and_same_site() {
        let keys = AuthKeys::new(b"0123456789abcdef0123456789abcdef", Duration::from_secs(60), true);
        let set = keys.session_cookie("tok");
        assert!(set.starts_with("helpdesk_session=tok"), "{set}");
        for part in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/", "Max-Age=60"] {
            assert!(set.contains(part), "{set} lacks {part}");
        }
        assert!(keys.clear_cookie().contains("Max-Age=0"));
    }

    #[test]
    fn new_passwords_have_bounds() {
        assert!(validate_new_password("short").is_err());
        assert!(validate_new_password("long enough").is_ok());
        assert!(validate_new_password(&"x".repeat(MAX_PASSWORD_LEN + 1)).is_err());
    }

    #[tokio::test]
    async fn hashes_verify_only_their_password() {
        let hash = hash_password("correct horse").await.expect("hash");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password(&hash, "correct horse").await);
        assert!(!verify_password(&hash, "wrong horse").await);
        assert!(!verify_password("not a hash", "correct horse").await);
    }
}
