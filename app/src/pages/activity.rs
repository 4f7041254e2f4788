//! /admin/activity: the activity log.

use leptos::prelude::*;

use super::{PageHeader, Upcoming};

#[component]
pub fn ActivityPage() -> impl IntoView {
    view! {
        <PageHeader title="Activity" lead="Who did what, and when."/>
        <Upcoming items=&[
            "Every sign-in, sign-out and change, with the user, resource and IP address",
            "Filters by user, action, resource and date",
        ]/>
    }
}
