//! The authenticated dashboard layout: navigation, the signed-in user, sign-out. Pages render in its `Outlet`.
//! Unauthenticated visits are redirected on the server before this renders; after hydration, a session that
//! expires sends the browser back to the login page.

use leptos::prelude::*;
use leptos_router::components::{Outlet, A};
use leptos_router::hooks::{use_location, use_navigate};

use crate::error::AppError;
use crate::ids;
use crate::realtime::Realtime;
use crate::shared::current_user;
use leptos_meta::Title;
use protocol::Role;

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

/// The main navigation: each link, and the lowest role that can use its page (agents manage no users and read no
/// activity log, so they are not offered the links).
const NAV: [(&str, &str, Role); 9] = [
    ("/admin/dashboard", "Dashboard", Role::Agent),
    ("/admin/chats", "Chats", Role::Agent),
    ("/admin/canned", "Canned responses", Role::Agent),
    ("/admin/websites", "Websites", Role::Agent),
    ("/admin/analytics", "Analytics", Role::Agent),
    ("/admin/admins", "Users", Role::Admin),
    ("/admin/activity", "Activity", Role::Admin),
    ("/admin/email", "Email", Role::Admin),
    ("/admin/webhooks", "Webhooks", Role::Admin),
];

/// The links `role` can use (all of them until the signed-in user is known). Chats shows how many chats wait for
/// the user.
fn nav_links(role: Option<Role>, rt: Realtime) -> impl IntoView {
    NAV.into_iter()
        .filter(move |(_, _, least)| role.is_none_or(|r| r.rank() >= least.rank()))
        .map(move |(href, label, _)| {
            let badge = (href == "/admin/chats").then_some({
                move || {
                    let n = rt.attention();
                    (n > 0).then(|| {
                        view! {
                            <span class="nav-count" id="chats-waiting" title="Chats waiting for you">{n}</span>
                            <span class="visually-hidden">" waiting for you"</span>
                        }
                    })
                }
            });
            view! { <li><A href=href>{label}{badge}</A></li> }
        })
        .collect_view()
}

#[component]
pub fn AdminLayout() -> impl IntoView {
    let user = Resource::new(|| (), |_| current_user());
    let rt = Realtime::new();
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
        // The tab says how many chats wait for the user: "(2) Chats · Helpdesk".
        <Title formatter=move |page: String| {
            let page = if page.is_empty() { "Helpdesk".to_string() } else { format!("{page} · Helpdesk") };
            match rt.attention() {
                0 => page,
                n => format!("({n}) {page}"),
            }
        }/>
        <div class="shell">
            <nav class="sidebar" aria-label="Main">
                <a class="brand" href="/admin/dashboard">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    " Helpdesk"
                </a>
                <ul>
                    <Transition fallback=move || nav_links(None, rt)>
                        {move || user.get().map(|res| nav_links(res.ok().map(|u| u.role), rt))}
                    </Transition>
                </ul>
            </nav>
            <div class="main">
                <header class="topbar">
                    <span class="live" class:on=move || rt.connected.get() title="Realtime connection">
                        {move || if rt.connected.get() { "● Live" } else { "○ Connecting…" }}
                    </span>
                    <crate::components::shortcuts::KeyboardShortcuts/>
                    <crate::components::alerts::AlertsMenu/>
                    <crate::components::availability::AvailabilityMenu/>
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
