//! Verified identity: a website's backend signs a short-lived HS256 token for its signed-in customer with the
//! website's identity secret; the widget hands it over when a session starts, and only a token that verifies
//! (signature, audience = the website's id, expiry at most a day away) links the visitor to that customer. Claims
//! the page makes any other way are never trusted.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use sea_orm::Set;
use serde::Deserialize;

use crate::ctx::Ctx;
use crate::entities::websites;
use crate::services::visitors::{plausible_email, MAX_EMAIL, MAX_NAME};
use crate::services::websites::{find_manageable, random_key, save};
use crate::AppState;
use protocol::{AppError, IdentitySecret};

/// The longest a token may stay valid: it is minted per page view, so a day is ample, and a leaked one soon dies.
pub const MAX_TOKEN_LIFETIME_SECS: u64 = 24 * 3600;
/// Clock difference tolerated between the website's backend and this server.
const LEEWAY_SECS: u64 = 60;
/// Longer than any token worth reading.
const MAX_TOKEN_LEN: usize = 4096;
/// The customer id's length cap (the column's).
pub const MAX_CUSTOMER_ID: usize = 255;

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    exp: u64,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

/// The signed-in customer a verified token names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Customer {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
}

/// Checks `token` against the website's `secret`: HS256 only, `aud` the website's id, `exp` present, not past and
/// at most [`MAX_TOKEN_LIFETIME_SECS`] ahead, `sub` the customer's id. The error says what was wrong, for the
/// website's developers (it reaches only the page that sent the token).
pub fn verify(secret: &str, website_id: &str, token: &str) -> Result<Customer, AppError> {
    let refuse = |why: &str| AppError::InvalidIdentity(format!("The identity token was refused: {why}."));
    let token = token.trim();
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(refuse("it is empty or too long"));
    }
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[website_id]);
    validation.set_required_spec_claims(&["exp", "aud", "sub"]);
    validation.leeway = LEEWAY_SECS;
    let claims = jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(secret.as_bytes()), &validation)
        .map(|data| data.claims)
        .map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => refuse("it has expired"),
            ErrorKind::ImmatureSignature => refuse("it is not valid yet"),
            ErrorKind::InvalidSignature => refuse("its signature does not match this website's identity secret"),
            ErrorKind::InvalidAudience => refuse("its audience (aud) is not this website's id"),
            ErrorKind::InvalidAlgorithm => refuse("it must be signed with HS256"),
            ErrorKind::MissingRequiredClaim(claim) => refuse(&format!("it has no {claim} claim")),
            _ => refuse("it is not a well-formed JWT with sub, aud and exp"),
        })?;
    let now = jsonwebtoken::get_current_timestamp();
    if claims.exp > now + MAX_TOKEN_LIFETIME_SECS + LEEWAY_SECS {
        return Err(refuse("it is valid for more than 24 hours (mint one per page view)"));
    }
    let id = claims.sub.trim();
    if id.is_empty() || id.len() > MAX_CUSTOMER_ID {
        return Err(refuse(&format!("sub must be 1 to {MAX_CUSTOMER_ID} bytes")));
    }
    let name = claims.name.map(|n| n.trim().chars().take(MAX_NAME).collect::<String>()).filter(|n| !n.is_empty());
    // An address that could not be one is dropped, not refused: the customer still gets their chat.
    let email = claims.email.map(|e| e.trim().to_string()).filter(|e| e.len() <= MAX_EMAIL && plausible_email(e));
    Ok(Customer { id: id.to_string(), name, email })
}

/// The website's identity secret, for its managers (owner admin or super admin); `None` until one is created.
pub async fn secret(ctx: &Ctx, state: &AppState, website_id: &str) -> Result<IdentitySecret, AppError> {
    let website = find_manageable(ctx, &state.db, website_id).await?;
    Ok(IdentitySecret { website_id: website.id, secret: website.identity_secret })
}

/// Creates the website's identity secret, or replaces it: tokens signed with the old one are refused from now on
/// (sessions already verified go on). Recorded in the activity log.
pub async fn rotate_secret(ctx: &Ctx, state: &AppState, website_id: &str) -> Result<IdentitySecret, AppError> {
    let website = find_manageable(ctx, &state.db, website_id).await?;
    let action = match website.identity_secret {
        None => "website.identity_secret_create",
        Some(_) => "website.identity_secret_rotate",
    };
    // 256 random bits.
    let secret = random_key::<32>("hdid_");
    let mut active: websites::ActiveModel = website.into();
    active.identity_secret = Set(Some(secret.clone()));
    let website = save(ctx, state, active, action, None).await?;
    Ok(IdentitySecret { website_id: website.id, secret: Some(secret) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;

    const SECRET: &str = "hdid_test";
    const WEBSITE: &str = "w1";

    fn sign(claims: serde_json::Value, alg: Algorithm, secret: &str) -> String {
        jsonwebtoken::encode(&Header::new(alg), &claims, &EncodingKey::from_secret(secret.as_bytes())).expect("sign")
    }

    fn now() -> u64 {
        jsonwebtoken::get_current_timestamp()
    }

    fn refusal(token: &str) -> String {
        match verify(SECRET, WEBSITE, token) {
            Err(AppError::InvalidIdentity(why)) => why,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_token_names_the_customer() {
        let token = sign(
            json!({"sub": "cust-42", "aud": WEBSITE, "exp": now() + 600, "name": " Ana Lima ", "email": "ana@example.com"}),
            Algorithm::HS256,
            SECRET,
        );
        let customer = verify(SECRET, WEBSITE, &token).expect("a valid token");
        assert_eq!(
            customer,
            Customer { id: "cust-42".into(), name: Some("Ana Lima".into()), email: Some("ana@example.com".into()) }
        );
        // A malformed address is dropped, the customer kept.
        let token =
            sign(json!({"sub": "c", "aud": WEBSITE, "exp": now() + 60, "email": "nope"}), Algorithm::HS256, SECRET);
        assert_eq!(verify(SECRET, WEBSITE, &token).expect("a valid token").email, None);
    }

    #[test]
    fn every_forgery_and_replay_is_refused_with_its_reason() {
        let good = |extra: serde_json::Value| {
            let mut c = json!({"sub": "cust-42", "aud": WEBSITE, "exp": now() + 600});
            for (k, v) in extra.as_object().expect("an object") {
                c[k] = v.clone();
            }
            c
        };
        assert!(refusal(&sign(good(json!({"exp": now() - 3600})), Algorithm::HS256, SECRET)).contains("expired"));
        assert!(refusal(&sign(good(json!({})), Algorithm::HS256, "another")).contains("signature"));
        assert!(refusal(&sign(good(json!({"aud": "w2"})), Algorithm::HS256, SECRET)).contains("audience"));
        assert!(refusal(&sign(good(json!({"exp": now() + 7 * 86400})), Algorithm::HS256, SECRET)).contains("24 hours"));
        assert!(refusal(&sign(good(json!({"sub": ""})), Algorithm::HS256, SECRET)).contains("sub"));
        assert!(refusal(&sign(good(json!({"sub": "x".repeat(256)})), Algorithm::HS256, SECRET)).contains("sub"));
        assert!(refusal(&sign(good(json!({})), Algorithm::HS512, SECRET)).contains("HS256"));
        let no_exp = sign(json!({"sub": "c", "aud": WEBSITE}), Algorithm::HS256, SECRET);
        assert!(refusal(&no_exp).contains("exp"));
        let no_aud = sign(json!({"sub": "c", "exp": now() + 60}), Algorithm::HS256, SECRET);
        assert!(refusal(&no_aud).contains("aud"));
        // `alg: none`: an unsigned claim the page made up ({"sub":"c","aud":"w1","exp":4102444800}).
        refusal("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJjIiwiYXVkIjoidzEiLCJleHAiOjQxMDI0NDQ4MDB9.");
        assert!(refusal("").contains("empty"));
        assert!(refusal(&"a".repeat(5000)).contains("too long"));
        refusal("not.a.jwt");
    }
}
