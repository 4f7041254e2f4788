//! /admin/dashboard: the live overview.

use leptos::prelude::*;

use super::{PageHeader, Upcoming};

#[component]
pub fn DashboardPage() -> impl IntoView {
    view! {
        <PageHeader title="Dashboard" lead="What is happening across your websites right now."/>
        <Upcoming items=&[
            "Chats waiting for an agent, oldest first, updated live",
            "Visitors on your websites now and the page each is on",
            "Agents online and the chats each is handling",
            "Today's chats, first-response time and resolution rate",
        ]/>
    }
}
