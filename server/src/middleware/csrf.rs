//! CSRF defence for cookie-authenticated requests: besides the SameSite=Lax cookie, any state-changing request
//! that carries the session cookie must come from our own origin when the browser says where it comes from.
//! Bearer-token clients send no cookie and are unaffected.

use axum::extract::Request;
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use protocol::ErrorBody;

use app::server::services::auth;

pub async fn same_origin_for_cookie_sessions(request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || !auth::has_session_cookie(request.headers()) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let allowed = match (origin, host) {
        (None, _) => true,
        (Some(origin), Some(host)) => origin_authority(origin).is_some_and(|a| a.eq_ignore_ascii_case(host)),
        (Some(_), None) => false,
    };
    if allowed {
        next.run(request).await
    } else {
        tracing::warn!(?origin, ?host, "cross-origin request with a session cookie refused");
        let body = ErrorBody {
            error: "forbidden".into(),
            message: "Cross-origin requests cannot use the dashboard session.".into(),
            field: None,
        };
        (StatusCode::FORBIDDEN, Json(body)).into_response()
    }
}

/// `https://example.com:8443` → `example.com:8443`; `null` and malformed origins → `None`.
pub fn origin_authority(origin: &str) -> Option<&str> {
    let (_, rest) = origin.split_once("://")?;
    (!rest.is_empty() && !rest.contains('/')).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::origin_authority;

    #[test]
    fn parses_the_authority_of_an_origin() {
        assert_eq!(origin_authority("http://127.0.0.1:3000"), Some("127.0.0.1:3000"));
        assert_eq!(origin_authority("https://example.com"), Some("example.com"));
        assert_eq!(origin_authority("null"), None);
        assert_eq!(origin_authority("https://example.com/path"), None);
    }
}
