//! /admin/analytics: charts over chats and response times.

use leptos::prelude::*;

use super::{PageHeader, Upcoming};

#[component]
pub fn AnalyticsPage() -> impl IntoView {
    view! {
        <PageHeader title="Analytics" lead="How your team is doing, per website and over time."/>
        <Upcoming items=&[
            "Chats per day, first-response and resolution times",
            "Busiest hours, per website and per agent",
        ]/>
    }
}
