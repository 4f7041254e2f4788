//! Response headers every answer needs: `Cache-Control: no-store` on whatever depends on who asks (the API, server
//! functions, dashboard pages), so no shared cache or back button shows one user's data to another; static files
//! (`/pkg`, `/widget.js`) keep their own caching.

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

pub async fn no_store_for_private_answers(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let private = ["/api/", "/sfn/", "/admin", "/ws"].iter().any(|p| path.starts_with(p)) || path == "/";
    let mut response = next.run(request).await;
    if private && !response.headers().contains_key(header::CACHE_CONTROL) {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
