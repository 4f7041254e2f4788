//! One module per dashboard route. Server functions sit beside the page that calls them.

pub mod activity;
pub mod admins;
pub mod analytics;
pub mod canned;
pub mod chats;
pub mod dashboard;
pub mod email;
pub mod identity;
pub mod labels;
pub mod login;
pub mod not_found;
pub mod webhooks;
pub mod websites;

use leptos::prelude::*;

use crate::ids;

/// A page whose code the browser loads when the page is first shown, not with the dashboard's first download: its
/// route struct, for `<Route view=Lazy::<…>::new()>`. The release build (`cargo leptos build --split`) puts each
/// one's WASM in a file of its own; without `--split` it stays in the main bundle and behaves the same.
macro_rules! lazy_page {
    ($route:ident, $page:ident) => {
        pub struct $route;

        #[leptos_router::lazy_route]
        impl leptos_router::LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page/> }.into_any()
            }
        }
    };
}

lazy_page!(DashboardRoute, DashboardPage);
lazy_page!(WebsitesRoute, WebsitesPage);
lazy_page!(WebsiteRoute, WebsitePage);
lazy_page!(ChatsRoute, ChatsPage);
lazy_page!(ChatRoute, ChatPage);
lazy_page!(AnalyticsRoute, AnalyticsPage);
lazy_page!(AdminsRoute, AdminsPage);
lazy_page!(ActivityRoute, ActivityPage);
lazy_page!(CannedRoute, CannedPage);
lazy_page!(EmailRoute, EmailPage);
lazy_page!(WebhooksRoute, WebhooksPage);

use activity::ActivityPage;
use admins::AdminsPage;
use analytics::AnalyticsPage;
use canned::CannedPage;
use chats::{ChatPage, ChatsPage};
use dashboard::DashboardPage;
use email::EmailPage;
use webhooks::WebhooksPage;
use websites::{WebsitePage, WebsitesPage};

/// The heading and lead paragraph every page starts with.
#[component]
pub fn PageHeader(title: &'static str, #[prop(optional)] lead: Option<&'static str>) -> impl IntoView {
    view! {
        <leptos_meta::Title text=title/>
        <header class="page-header">
            <h1 id=ids::PAGE_TITLE>{title}</h1>
            {lead.map(|lead| view! { <p class="lead">{lead}</p> })}
        </header>
    }
}

/// A panel describing what a section will hold, for routes whose content lands in a later release.
#[component]
pub fn Upcoming(items: &'static [&'static str]) -> impl IntoView {
    view! {
        <section class="card upcoming">
            <h2>"Coming next"</h2>
            <ul>{items.iter().map(|item| view! { <li>{*item}</li> }).collect_view()}</ul>
        </section>
    }
}
