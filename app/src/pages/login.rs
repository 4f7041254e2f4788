//! /admin/login: email and password; on success the server sets the session cookie and sends the browser on.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::error::AppError;
use crate::ids;

#[leptos::server(prefix = "/sfn", endpoint = "login")]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use crate::server::{request, services::auth};
    request::with_status(
        async {
            let state = crate::server::state()?;
            let session = auth::login(&state, &email, &password, request::client_ip().await).await?;
            request::set_cookie(&state.auth().session_cookie(&session.token));
            leptos_axum::redirect(safe_next(next.as_deref()));
            Ok(())
        }
        .await,
    )
}

/// Only dashboard paths on this host are followed after sign-in (no open redirect).
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with("/admin/")
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.starts_with("/admin/login") =>
        {
            n
        }
        _ => "/admin/dashboard",
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let error = move || match login.value().get() {
        Some(Err(e)) => Some(e),
        _ => None,
    };
    let field_error = move |field: &'static str| {
        move || error().filter(|e: &AppError| e.field() == Some(field)).map(|e| e.to_string())
    };

    view! {
        <leptos_meta::Title text="Sign in"/>
        <main class="login-page">
            <section class="login-card card">
                <h1 class="login-title">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    " Helpdesk"
                </h1>
                <p class="lead">"Sign in to answer your visitors."</p>
                <ActionForm action=login attr:id=ids::LOGIN_FORM attr:class="form">
                    <input type="hidden" name="next" prop:value=next/>
                    <label for=ids::LOGIN_EMAIL>"Email"</label>
                    <input
                        id=ids::LOGIN_EMAIL
                        type="email"
                        name="email"
                        autocomplete="username"
                        required
                        maxlength="255"
                        autofocus
                    />
                    <p class="field-error">{field_error("email")}</p>
                    <label for=ids::LOGIN_PASSWORD>"Password"</label>
                    <input
                        id=ids::LOGIN_PASSWORD
                        type="password"
                        name="password"
                        autocomplete="current-password"
                        required
                        maxlength="1024"
                    />
                    <p class="field-error">{field_error("password")}</p>
                    <div id=ids::LOGIN_ERROR class="form-error" role="alert" aria-live="polite">
                        {move || error().filter(|e| e.field().is_none()).map(|e| e.to_string())}
                    </div>
                    <button type="submit" class="button primary" id=ids::LOGIN_SUBMIT disabled=move || login.pending().get()>
                        {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
            </section>
        </main>
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_dashboard_paths_are_followed() {
        assert_eq!(safe_next(Some("/admin/chats/42")), "/admin/chats/42");
        for bad in
            [None, Some(""), Some("https://evil.test/"), Some("//evil.test"), Some("/admin/login"), Some("/\\evil")]
        {
            assert_eq!(safe_next(bad), "/admin/dashboard", "{bad:?}");
        }
    }
}
