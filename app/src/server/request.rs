//! For server functions: the acting user and client address of the request being handled, taken from the
//! request parts leptos_axum puts in context.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use http::HeaderMap;

use crate::error::AppError;
use crate::server::ctx::Ctx;
use crate::server::services::auth;
use crate::server::AppState;

/// The peer address. Forwarded headers are not trusted here: behind a proxy every client would share its IP.
pub async fn client_ip() -> Option<IpAddr> {
    leptos_axum::extract::<ConnectInfo<SocketAddr>>().await.ok().map(|ConnectInfo(addr)| addr.ip())
}

/// The signed-in user of this request, or `Unauthorized`.
pub async fn require_ctx(state: &AppState) -> Result<Ctx, AppError> {
    let headers: HeaderMap = leptos_axum::extract().await.map_err(|e| {
        tracing::error!(error = %e, "request headers unavailable in server function");
        AppError::Internal
    })?;
    auth::ctx_from_headers(state, &headers, client_ip().await).await
}

/// Adds a `Set-Cookie` header to the server function's response.
pub fn set_cookie(value: &str) {
    match http::HeaderValue::from_str(value) {
        Ok(value) => leptos::prelude::expect_context::<leptos_axum::ResponseOptions>()
            .append_header(http::header::SET_COOKIE, value),
        Err(e) => tracing::error!(error = %e, "invalid Set-Cookie value"),
    }
}

/// Gives a failed server function the HTTP status its error stands for (Leptos would answer 500 for every error),
/// and `Retry-After` when throttled. A plain form post (before hydration) is left alone: Leptos answers it with a
/// redirect back to the form, which a 4xx status would break. So is server rendering: a page sets its own status.
pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    use leptos::prelude::use_context;
    if let Err(err) = &result {
        // Only for HTTP calls of the server function: during server rendering the page's status is the page's.
        let called_over_http = use_context::<http::request::Parts>().is_some_and(|parts| {
            let plain_form = parts
                .headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("text/html"));
            parts.uri.path().starts_with(crate::SERVER_FN_PREFIX) && !plain_form
        });
        if let (true, Some(response)) = (called_over_http, use_context::<leptos_axum::ResponseOptions>()) {
            if let Ok(status) = http::StatusCode::from_u16(err.status()) {
                response.set_status(status);
            }
            if let Some(retry_after_secs) = err.retry_after() {
                response.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(retry_after_secs));
            }
        }
    }
    result
}

/// Runs a server function body as the signed-in user: resolves the state and `Ctx`, then gives the result the
/// HTTP status of its error (see [`with_status`]).
pub async fn with_ctx<T, F, Fut>(body: F) -> Result<T, AppError>
where
    F: FnOnce(AppState, Ctx) -> Fut,
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    let result = async {
        let state = crate::server::state()?;
        let ctx = require_ctx(&state).await?;
        body(state, ctx).await
    }
    .await;
    with_status(result)
}

/// The dashboard's Content-Security-Policy for the page being rendered, with this response's nonce (leptos_axum
/// makes one per request and puts it on every inline script it writes: the hydration loader and streamed
/// resources). Scripts and WASM come only from this server or carry the nonce; the page cannot be framed. Styles
/// may be inline: the widget preview is a sandboxed `srcdoc` frame, which inherits this policy, and its `<style>`
/// holds the site's own CSS.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// Sets the CSP header on the page being rendered (called from the HTML shell).
pub fn set_content_security_policy() {
    let Some(nonce) = leptos::nonce::use_nonce() else {
        tracing::error!("no nonce for this page: it is served without a Content-Security-Policy");
        return;
    };
    let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() else { return };
    match http::HeaderValue::from_str(&content_security_policy(&nonce)) {
        Ok(value) => response.insert_header(http::header::CONTENT_SECURITY_POLICY, value),
        Err(e) => tracing::error!(error = %e, "invalid Content-Security-Policy"),
    }
}
