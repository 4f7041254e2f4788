//! One module per dashboard route. Server functions sit beside the page that calls them.

pub mod activity;
pub mod admins;
pub mod analytics;
pub mod chats;
pub mod dashboard;
pub mod login;
pub mod not_found;
pub mod websites;

use leptos::prelude::*;

use crate::ids;

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
