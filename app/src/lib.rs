//! The Helpdesk dashboard: the HTML shell, the routes, and their pages. Server functions sit beside the component
//! that calls them; the domain they call lives in `server` (compiled only with the `ssr` feature).

pub mod components;
pub mod error;
pub mod pages;
pub mod preview;
pub mod realtime;
#[cfg(feature = "ssr")]
pub mod server;
pub mod shared;
pub mod url;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::path;
use leptos_router::SsrMode;

use components::layout::AdminLayout;
use leptos_router::Lazy;
use pages::{
    login::LoginPage, not_found::NotFound, ActivityRoute, AdminsRoute, AnalyticsRoute, CannedRoute, ChatRoute,
    ChatsRoute, DashboardRoute, EmailRoute, WebhooksRoute, WebsiteRoute, WebsitesRoute,
};

/// Where server functions are mounted; `/api` belongs to the REST API.
pub const SERVER_FN_PREFIX: &str = "/sfn";

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    server::request::set_content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <AutoReload options=options.clone()/>
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|page: String| if page.is_empty() { "Helpdesk".to_string() } else { format!("{page} · Helpdesk") }/>
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/") view=|| view! { <Redirect path="/admin/dashboard"/> }/>
                <Route path=path!("/admin/login") view=LoginPage/>
                <ParentRoute path=path!("/admin") view=AdminLayout>
                    <Route path=path!("") view=|| view! { <Redirect path="/admin/dashboard"/> }/>
                    <Route path=path!("dashboard") view={Lazy::<DashboardRoute>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("websites") view={Lazy::<WebsitesRoute>::new()}/>
                    <Route path=path!("websites/:id") view={Lazy::<WebsiteRoute>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("chats") view={Lazy::<ChatsRoute>::new()}/>
                    <Route path=path!("chats/:id") view={Lazy::<ChatRoute>::new()}/>
                    <Route path=path!("canned") view={Lazy::<CannedRoute>::new()}/>
                    <Route path=path!("analytics") view={Lazy::<AnalyticsRoute>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("admins") view={Lazy::<AdminsRoute>::new()}/>
                    <Route path=path!("activity") view={Lazy::<ActivityRoute>::new()}/>
                    <Route path=path!("email") view={Lazy::<EmailRoute>::new()}/>
                    <Route path=path!("webhooks") view={Lazy::<WebhooksRoute>::new()}/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// Ids shared by the components and the browser tests, so tests do not depend on CSS classes.
pub mod ids {
    pub const LOGIN_FORM: &str = "login-form";
    pub const LOGIN_EMAIL: &str = "login-email";
    pub const LOGIN_PASSWORD: &str = "login-password";
    pub const LOGIN_SUBMIT: &str = "login-submit";
    pub const LOGIN_ERROR: &str = "login-error";
    pub const CURRENT_USER: &str = "current-user";
    pub const LOGOUT: &str = "logout";
    pub const PAGE_TITLE: &str = "page-title";
}
