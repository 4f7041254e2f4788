//! /admin/admins: users and roles.

use leptos::prelude::*;

use super::{PageHeader, Upcoming};

#[component]
pub fn AdminsPage() -> impl IntoView {
    view! {
        <PageHeader title="Users" lead="Who can sign in, with which role, on which websites."/>
        <Upcoming items=&[
            "Create users as super admin, admin or agent",
            "Change roles, assign agents to websites, reset passwords",
            "Deactivate a user, which signs them out everywhere at once",
        ]/>
    }
}
