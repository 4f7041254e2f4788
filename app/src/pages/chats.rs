//! /admin/chats and /admin/chats/:id: the live inbox and one conversation.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::{PageHeader, Upcoming};

#[component]
pub fn ChatsPage() -> impl IntoView {
    view! {
        <PageHeader title="Chats" lead="Your live inbox across the websites you work on."/>
        <Upcoming items=&[
            "Waiting, ongoing, closed and resolved chats, updated without a refresh",
            "Unread counts, oldest waiting first, a sound and a notification on a new chat",
        ]/>
    }
}

#[component]
pub fn ChatPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    view! {
        <PageHeader title="Chat"/>
        <p class="muted">"Chat " <code>{id}</code></p>
        <Upcoming items=&[
            "The conversation, live, with typing indicators both ways",
            "Accept, assign, close or resolve the chat",
            "The visitor: location, current page, pages visited, past chats",
        ]/>
    }
}
