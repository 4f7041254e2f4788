//! /admin/activity: the activity log, filtered by user, action, resource and date, paginated.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use protocol::{ActivityEntry, ActivityFilter, Page};

use super::PageHeader;
use crate::components::form::LoadError;
use crate::error::AppError;
use crate::shared::list_users;

#[leptos::server(prefix = "/sfn", endpoint = "list_activity", input = Json)]
pub async fn list_activity(filter: ActivityFilter) -> Result<Page<ActivityEntry>, AppError> {
    use crate::server::{request::with_ctx, services::activity};
    with_ctx(|state, ctx| async move { activity::list(&ctx, &state, filter).await }).await
}

const ACTIONS: [&str; 15] = [
    "auth.login",
    "auth.logout",
    "website.create",
    "website.update",
    "website.rotate_key",
    "website.delete",
    "widget_settings.update",
    "user.create",
    "user.update",
    "user.deactivate",
    "user.reactivate",
    "user.password_reset",
    "chat.update",
    "chat.transcript_email",
    "email.retry",
];

#[component]
pub fn ActivityPage() -> impl IntoView {
    let user = RwSignal::new(String::new());
    let action = RwSignal::new(String::new());
    let resource = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let page = RwSignal::new(1u64);
    let applied = RwSignal::new(ActivityFilter::default());
    let entries = Resource::new(
        move || (applied.get(), page.get()),
        |(filter, page)| list_activity(ActivityFilter { page: Some(page), ..filter }),
    );
    // Agents cannot list users; they only ever see their own activity, so they get no user filter.
    let people = Resource::new(|| (), |_| list_users());
    let blank = |s: String| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let on_filter = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        page.set(1);
        applied.set(ActivityFilter {
            user_id: blank(user.get_untracked()),
            action: blank(action.get_untracked()),
            resource_type: blank(resource.get_untracked()),
            from: blank(from.get_untracked()),
            to: blank(to.get_untracked()),
            page: None,
            per_page: Some(25),
        });
    };

    view! {
        <PageHeader title="Activity" lead="Who did what, and when."/>
        <section class="card">
            <form class="filters" id="activity-filters" on:submit=on_filter>
                <label>"Action"
                    <select on:change:target=move |ev| action.set(ev.target().value()) id="filter-action">
                        <option value="">"Any"</option>
                        {ACTIONS.iter().map(|a| view! { <option value=*a>{*a}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Resource"
                    <select on:change:target=move |ev| resource.set(ev.target().value()) id="filter-resource">
                        <option value="">"Any"</option>
                        <option value="website">"Website"</option>
                        <option value="user">"User"</option>
                        <option value="chat">"Chat"</option>
                        <option value="email">"Email"</option>
                    </select>
                </label>
                <Transition fallback=|| ()>
                    {move || people.get().and_then(Result::ok).map(|people| view! {
                        <label>"User"
                            <select on:change:target=move |ev| user.set(ev.target().value()) id="filter-user">
                                <option value="">"Anyone"</option>
                                {people.into_iter().map(|p| view! { <option value=p.id>{p.email}</option> }).collect_view()}
                            </select>
                        </label>
                    })}
                </Transition>
                <label>"From" <input type="date" bind:value=from id="filter-from"/></label>
                <label>"To" <input type="date" bind:value=to id="filter-to"/></label>
                <button type="submit" class="button secondary">"Filter"</button>
            </form>
        </section>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || entries.get().map(|res| match res {
                Ok(p) => {
                    let pages = p.total.div_ceil(p.per_page).max(1);
                    view! {
                        <section class="card">
                            <table class="table" id="activity-table">
                                <thead><tr><th>"When (UTC)"</th><th>"User"</th><th>"Action"</th><th>"Resource"</th><th>"Details"</th><th>"IP"</th></tr></thead>
                                <tbody>
                                    {p.items.into_iter().map(|e| view! {
                                        <tr>
                                            <td class="nowrap">{e.created_at}</td>
                                            <td>{e.user_email.unwrap_or_else(|| "—".into())}</td>
                                            <td><code>{e.action}</code></td>
                                            <td>{e.resource_type}" "<span class="muted">{e.resource_id.unwrap_or_default()}</span></td>
                                            <td class="details"><Details metadata=e.metadata/></td>
                                            <td class="muted">{e.ip_address.unwrap_or_default()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <div class="pager">
                                <button type="button" class="button secondary small" id="activity-newer"
                                    disabled=move || { page.get() <= 1 }
                                    on:click=move |_| page.update(|p| *p = p.saturating_sub(1).max(1))>"Newer"</button>
                                <span class="muted" id="activity-page">{format!("Page {} of {} · {} entries", p.page, pages, p.total)}</span>
                                <button type="button" class="button secondary small" id="activity-older"
                                    disabled=move || { page.get() >= pages }
                                    on:click=move |_| page.update(|p| *p += 1)>"Older"</button>
                            </div>
                        </section>
                    }.into_any()
                }
                Err(e) => view! { <LoadError error=e/> }.into_any(),
            })}
        </Transition>
    }.into_any()
}

/// Longest value shown in full; longer ones (custom CSS, say) are cut with an ellipsis.
const SHOWN: usize = 120;

fn shown(value: &serde_json::Value) -> String {
    let text = match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "—".into(),
        other => other.to_string(),
    };
    if text.chars().count() > SHOWN {
        format!("{}…", text.chars().take(SHOWN).collect::<String>())
    } else {
        text
    }
}

/// What an entry's metadata says, readably: each changed field as `before → after`, other details as `name: value`.
#[component]
fn Details(metadata: Option<String>) -> impl IntoView {
    let value = metadata.as_deref().and_then(|m| serde_json::from_str::<serde_json::Value>(m).ok());
    let rows: Vec<(String, String)> = match value {
        Some(serde_json::Value::Object(map)) => match map.get("changes") {
            Some(serde_json::Value::Object(changes)) => changes
                .iter()
                .map(|(field, change)| {
                    (field.clone(), format!("{} → {}", shown(&change["from"]), shown(&change["to"])))
                })
                .collect(),
            _ => map.iter().map(|(k, v)| (k.clone(), shown(v))).collect(),
        },
        _ => Vec::new(),
    };
    view! {
        <dl class="changes">
            {rows.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
        </dl>
    }
}
