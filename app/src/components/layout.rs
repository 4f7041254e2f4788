//! The authenticated dashboard layout: navigation, the signed-in user, sign-out. Pages render in its `Outlet`.
//! Unauthenticated visits are redirected on the server before this renders; after hydration, a session that
//! expires sends the browser back to the login page.

use leptos::prelude::*;
use leptos_router::components::{Outlet, A};
use leptos_router::hooks::{use_location, use_navigate};

use crate::error::AppError;
use crate::ids;
use crate::shared::current_user;

#[leptos::server(prefix = "/sfn", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::server::{request, services::auth};
    request::with_status(
        async {
            let state = crate::server::state()?;
            // Signing out always clears the cookie, even if the session had already expired.
            request::set_cookie(&state.auth().clear_cookie());
            if let Ok(ctx) = request::require_ctx(&state).await {
                auth::logout(&ctx, &state).await?;
            }
            leptos_axum::redirect("/admin/login");
            Ok(())
        }
        .await,
    )
}

const NAV: [(&str, &str); 6] = [
    ("/admin/dashboard", "Dashboard"),
    ("/admin/chats", "Chats"),
    ("/admin/websites", "Websites"),
    ("/admin/analytics", "Analytics"),
    ("/admin/admins", "Users"),
    ("/admin/activity", "Activity"),
];

#[component]
pub fn AdminLayout() -> impl IntoView {
    let user = Resource::new(|| (), |_| current_user());
    let rt = crate::realtime::Realtime::new();
    provide_context(rt);
    // Effects run in the browser only: the socket opens after hydration.
    Effect::new(move |_| crate::realtime::start(rt));
    let logout = ServerAction::<Logout>::new();
    let navigate = use_navigate();
    let location = use_location();

    Effect::new(move |_| {
        if let Some(Err(AppError::Unauthorized)) = user.get() {
            let next = location.pathname.get_untracked();
            navigate(&format!("/admin/login?next={}", crate::url::encode_query_value(&next)), Default::default());
        }
    });

    view! {
        <div class="shell">
            <nav class="sidebar" aria-label="Main">
                <a class="brand" href="/admin/dashboard">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    " Helpdesk"
                </a>
                <ul>
                    {NAV
                        .into_iter()
                        .map(|(href, label)| view! { <li><A href=href>{label}</A></li> })
                        .collect_view()}
                </ul>
            </nav>
            <div class="main">
                <header class="topbar">
                    <span class="live" class:on=move || rt.connected.get() title="Realtime connection">
                        {move || if rt.connected.get() { "● Live" } else { "○ Connecting…" }}
                    </span>
                    <Transition fallback=|| view! { <span class="muted">"…"</span> }>
                        {move || user.get().map(|res| match res {
                            Ok(u) => view! {
                                <span class="current-user" id=ids::CURRENT_USER>
                                    <span class="user-name">{u.name.clone()}</span>
                                    <span class="user-email">{u.email.clone()}</span>
                                    <span class="badge">{u.role.label()}</span>
                                </span>
                            }.into_any(),
                            Err(e) => view! { <span class="muted">{e.to_string()}</span> }.into_any(),
                        })}
                    </Transition>
                    <ActionForm action=logout attr:class="logout-form">
                        <button type="submit" class="button secondary" id=ids::LOGOUT>"Sign out"</button>
                    </ActionForm>
                </header>
                <main class="content">
                    <Outlet/>
                </main>
            </div>
        </div>
    }
}
