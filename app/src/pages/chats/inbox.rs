//! The live inbox: open chats first (waiting longest at the top), what is unread, who is typing; older chats a page
//! at a time.

use std::collections::BTreeMap;

use leptos::prelude::*;
use protocol::{ChatFilter, ChatStatus, ChatSummary};

use super::{list_chats, short, status_label, when};
use crate::components::form::LoadError;
use crate::pages::PageHeader;
use crate::realtime::Realtime;
use crate::shared::list_websites;

#[component]
pub fn ChatsPage() -> impl IntoView {
    let rt = expect_context::<Realtime>();
    // Websites created since the socket opened are followed too.
    Effect::new(move |_| rt.rejoin());
    let initial = Resource::new(|| (), |_| list_chats(ChatFilter::default()));
    // The list comes a page at a time, open chats first and newest first: older ones on request.
    let more = RwSignal::new(false);
    let next_page = RwSignal::new(2u64);
    let loading_more = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(list)) = initial.get() {
            more.set(list.len() as u64 >= protocol::INBOX_PAGE);
        }
    });
    let load_more = move || {
        if loading_more.get_untracked() {
            return;
        }
        loading_more.set(true);
        let page = next_page.get_untracked();
        leptos::task::spawn_local(async move {
            if let Ok(list) = list_chats(ChatFilter { page: Some(page), ..Default::default() }).await {
                more.set(list.len() as u64 >= protocol::INBOX_PAGE);
                next_page.set(page + 1);
                rt.seed(&list);
            }
            loading_more.set(false);
        });
    };
    // The list's chats and this agent's read positions, so unread counts follow live events from there.
    Effect::new(move |_| {
        if let Some(Ok(list)) = initial.get() {
            rt.seed(&list);
        }
    });
    let websites = Resource::new(|| (), |_| list_websites());
    let ask_notifications = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let _ = web_sys::Notification::request_permission();
        }
    };
    view! {
        <PageHeader title="Chats" lead="Your live inbox across the websites you work on."/>
        <div class="row">
            <button type="button" class="button secondary small" on:click=ask_notifications>"Enable desktop notifications"</button>
            <span class="muted" id="following" data-count=move || rt.joined.get().len()>
                {move || format!("Following {} website(s) live", rt.joined.get().len())}
            </span>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || initial.get().map(|res| match res {
                Ok(list) => {
                    let names: BTreeMap<String, String> = websites.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|w| (w.id, w.name)).collect();
                    // The loaded list, overridden by anything newer from the socket.
                    let mut all: BTreeMap<String, ChatSummary> = list.into_iter().map(|c| (c.id.clone(), c)).collect();
                    for (id, chat) in rt.chats.get() {
                        all.insert(id, chat);
                    }
                    let left = rt.left.get();
                    let mut chats: Vec<ChatSummary> = all.into_values().filter(|c| !left.contains(&c.website_id)).collect();
                    // Those waiting longest first; finished chats newest first.
                    chats.sort_by(|a, b| a.started_at.cmp(&b.started_at));
                    let group = |statuses: &'static [ChatStatus], title: &'static str, id: &'static str| {
                        let mut rows: Vec<ChatSummary> = chats.iter().filter(|c| statuses.contains(&c.status)).cloned().collect();
                        if statuses.contains(&ChatStatus::Closed) {
                            rows.reverse();
                        }
                        let names = names.clone();
                        view! {
                            <section class="card inbox-group" id=id>
                                <h2>{title}" "<span class="count">{rows.len()}</span></h2>
                                {if rows.is_empty() {
                                    view! { <p class="muted">"None."</p> }.into_any()
                                } else {
                                    view! {
                                        <ul class="inbox">
                                            {rows.into_iter().map(|c| {
                                                let typing_id = c.id.clone();
                                                let summary = c.clone();
                                                let website = names.get(&c.website_id).cloned().unwrap_or_default();
                                                view! {
                                                    <li class="inbox-row" data-chat=c.id.clone()>
                                                        <a href=format!("/admin/chats/{}", c.id)>
                                                            <span class="who">"Visitor "{short(&c.visitor_id)}</span>
                                                            <span class="muted">{website}</span>
                                                            <span class="muted">{when(&c.started_at)}</span>
                                                            <span class="badge">{status_label(c.status)}</span>
                                                            {move || rt.typing.get().contains(&typing_id).then(|| view! { <span class="typing">"typing…"</span> })}
                                                            {move || Some(rt.unread(&summary)).filter(|n| *n > 0).map(|n| view! { <span class="unread" title="Unread messages">{n}</span> })}
                                                        </a>
                                                    </li>
                                                }
                                            }).collect_view()}
                                        </ul>
                                    }.into_any()
                                }}
                            </section>
                        }
                    };
                    view! {
                        {group(&[ChatStatus::Waiting], "Waiting", "inbox-waiting")}
                        {group(&[ChatStatus::Ongoing], "Ongoing", "inbox-ongoing")}
                        {group(&[ChatStatus::Offline], "Offline messages", "inbox-offline")}
                        {group(&[ChatStatus::Closed, ChatStatus::Resolved], "Closed and resolved", "inbox-closed")}
                        {move || more.get().then(|| view! {
                            <div class="row">
                                <button type="button" class="button secondary" id="more-chats"
                                    disabled=move || loading_more.get() on:click=move |_| load_more()>
                                    {move || if loading_more.get() { "Loading…" } else { "Show older chats" }}
                                </button>
                            </div>
                        })}
                    }.into_any()
                }
                Err(e) => view! { <LoadError error=e/> }.into_any(),
            })}
        </Transition>
    }
    .into_any()
}
