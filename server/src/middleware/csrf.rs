//! CSRF defence: besides the SameSite=Lax cookie, any state-changing request that carries the session cookie, and
//! every server function call (sign-in included, so no other site can sign a browser into an account of its
//! choosing), must come from our own origin — scheme and host — when the browser says where it comes from.
//! Bearer-token clients send no cookie and are unaffected.

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use protocol::ErrorBody;

use domain::services::auth;
use domain::AppState;

pub async fn same_origin_for_cookie_sessions(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let dashboard_call = request.uri().path().starts_with("/sfn/");
    if safe || !(dashboard_call || auth::has_session_cookie(request.headers())) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let allowed = match origin {
        None => true,
        Some(origin) => is_own_origin(origin, host, state.public_url()),
    };
    if allowed {
        next.run(request).await
    } else {
        tracing::warn!(?origin, ?host, "cross-origin dashboard request refused");
        let body = ErrorBody {
            error: "forbidden".into(),
            message: "Cross-origin requests cannot use the dashboard session.".into(),
            field: None,
        };
        (StatusCode::FORBIDDEN, Json(body)).into_response()
    }
}

/// Whether `origin` is this server's own: the public URL's origin, or the host the request was sent to reached
/// with the public URL's scheme (a dashboard on `http://localhost:3000` and one on `http://127.0.0.1:3000` are
/// both ours; `https://` when the public URL is `http://` is not, nor is any other host).
pub fn is_own_origin(origin: &str, host: Option<&str>, public_url: &str) -> bool {
    let Some((scheme, authority)) = split_origin(origin) else { return false };
    if let Some((public_scheme, public_authority)) = split_origin(public_url) {
        if !scheme.eq_ignore_ascii_case(public_scheme) {
            return false;
        }
        if authority.eq_ignore_ascii_case(public_authority) {
            return true;
        }
    }
    host.is_some_and(|h| authority.eq_ignore_ascii_case(h))
}

/// `https://example.com:8443` → (`https`, `example.com:8443`); `null` and malformed origins → `None`.
fn split_origin(origin: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = origin.split_once("://")?;
    let rest = rest.trim_end_matches('/');
    (!scheme.is_empty() && !rest.is_empty() && !rest.contains('/')).then_some((scheme, rest))
}

#[cfg(test)]
mod tests {
    use super::is_own_origin;

    #[test]
    fn our_origin_is_our_scheme_and_host() {
        let public = "http://127.0.0.1:3000";
        assert!(is_own_origin("http://127.0.0.1:3000", Some("127.0.0.1:3000"), public));
        assert!(is_own_origin("http://localhost:3000", Some("localhost:3000"), public), "the host asked for");
        assert!(!is_own_origin("https://127.0.0.1:3000", Some("127.0.0.1:3000"), public), "another scheme");
        assert!(!is_own_origin("http://evil.test", Some("127.0.0.1:3000"), public));
        assert!(!is_own_origin("null", Some("127.0.0.1:3000"), public));
        assert!(!is_own_origin("http://127.0.0.1:3000/path", Some("127.0.0.1:3000"), public));
        let public = "https://help.example.com";
        assert!(is_own_origin("https://help.example.com", Some("10.0.0.5:3000"), public), "behind a proxy");
        assert!(!is_own_origin("http://help.example.com", Some("help.example.com"), public), "http to an https site");
    }
}
