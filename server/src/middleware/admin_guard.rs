//! Dashboard pages need a session: `/admin/*` (but the login page) redirects to `/admin/login?next=…` when the
//! request has no valid session, and the login page sends a signed-in user on to the dashboard. Done here, before
//! rendering, so no protected page is ever server-rendered for a stranger.

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use domain::services::auth;
use domain::AppState;

const LOGIN: &str = "/admin/login";

pub async fn admin_guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let is_admin_page = path == "/admin" || path.starts_with("/admin/");
    if !is_admin_page || !matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let signed_in = match auth::token_from_headers(request.headers()) {
        Some(token) => auth::authenticate(&state, &token, None).await.is_ok(),
        None => false,
    };
    if path == LOGIN {
        if signed_in {
            return redirect("/admin/dashboard");
        }
    } else if !signed_in {
        let wanted = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or(path);
        return redirect(&format!("{LOGIN}?next={}", app::url::encode_query_value(wanted)));
    }
    next.run(request).await
}

fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string()), (header::CACHE_CONTROL, "no-store".into())])
        .into_response()
}
