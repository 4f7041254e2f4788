//! /admin/websites and /admin/websites/:id: the sites that embed the widget.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::{PageHeader, Upcoming};

#[component]
pub fn WebsitesPage() -> impl IntoView {
    view! {
        <PageHeader title="Websites" lead="The sites where visitors reach you through the chat widget."/>
        <Upcoming items=&[
            "Add a website with its allowed domains and get its embed code",
            "Rotate a website's API key; deactivate or delete a website",
            "Assign agents to each website",
        ]/>
    }
}

#[component]
pub fn WebsitePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    view! {
        <PageHeader title="Website"/>
        <p class="muted">"Website " <code>{id}</code></p>
        <Upcoming items=&[
            "Widget settings: color, position, welcome and offline messages, business hours, custom CSS, size",
            "A live preview of the widget as you edit",
            "The embed code to copy, and this website's analytics",
        ]/>
    }
}
