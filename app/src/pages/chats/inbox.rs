//! The live inbox: views (mine, unassigned, open, by status, by website, by label) with their counts, and the
//! chats of the view — who (the visitor's name when they gave one), the last message, how long they have waited,
//! labels, what is unread, who is typing; older chats a page at a time. The view lives in the URL.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use protocol::{ChatFilter, ChatStatus, ChatSummary, InboxCounts, Label, MessageKind, SenderType};

use super::search::{SearchForm, SearchHits};
use super::{list_chats, status_label, visitor_label, when};
use crate::components::form::LoadError;
use crate::components::time::{epoch_ms, use_clock, waited};
use crate::pages::labels::LabelChip;
use crate::pages::PageHeader;
use crate::realtime::Realtime;
use crate::shared::list_websites;

/// Everything the inbox opens with: the first page of the view, the counts, the labels, and the server's clock.
#[leptos::server(prefix = "/sfn", endpoint = "load_inbox", input = leptos::server_fn::codec::Json)]
pub async fn load_inbox(
    filter: ChatFilter,
) -> Result<(Vec<ChatSummary>, InboxCounts, Vec<Label>, i64), crate::error::AppError> {
    use crate::server::{request::with_ctx, services::chats, services::labels};
    with_ctx(|state, ctx| async move {
        let website = filter.website_id.clone();
        let list = chats::list(&ctx, &state, filter).await?;
        let counts = chats::counts(&ctx, &state, website.as_deref()).await?;
        let labels = labels::list(&ctx, &state, None).await?;
        Ok((list, counts, labels, crate::server::now_ms()))
    })
    .await
}

#[leptos::server(prefix = "/sfn", endpoint = "count_inbox", input = leptos::server_fn::codec::Json)]
pub async fn count_inbox(website_id: Option<String>) -> Result<InboxCounts, crate::error::AppError> {
    use crate::server::{request::with_ctx, services::chats};
    with_ctx(|state, ctx| async move { chats::counts(&ctx, &state, website_id.as_deref()).await }).await
}

/// An inbox view, as the URL names it (`?view=mine&website=…&label=…`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct View {
    /// mine, unassigned, open, waiting, ongoing, offline or ended; everything when absent.
    view: Option<String>,
    website: Option<String>,
    label: Option<String>,
}

impl View {
    fn filter(&self, page: u64) -> ChatFilter {
        let (status, assignee) = match self.view.as_deref() {
            Some("mine") => (Some("open"), Some("me")),
            Some("unassigned") => (Some("open"), Some("none")),
            Some(s @ ("open" | "waiting" | "ongoing" | "offline" | "ended")) => (Some(s), None),
            _ => (None, None),
        };
        ChatFilter {
            website_id: self.website.clone(),
            status: status.map(String::from),
            assignee: assignee.map(String::from),
            label: self.label.clone(),
            page: Some(page),
            per_page: None,
        }
    }

    /// This view as a CSV download (`GET /api/chats/export.csv`, every page of it).
    fn export_href(&self) -> String {
        let filter = self.filter(1);
        let parts: Vec<String> = [
            ("websiteId", &filter.website_id),
            ("status", &filter.status),
            ("assignee", &filter.assignee),
            ("label", &filter.label),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", crate::url::encode_query_value(v))))
        .collect();
        if parts.is_empty() {
            "/api/chats/export.csv".into()
        } else {
            format!("/api/chats/export.csv?{}", parts.join("&"))
        }
    }

    /// Whether a chat heard of live belongs in this view (the server decides for the list it sends).
    fn shows(&self, chat: &ChatSummary, me: Option<&str>) -> bool {
        let open = matches!(chat.status, ChatStatus::Waiting | ChatStatus::Ongoing | ChatStatus::Offline);
        let by_view = match self.view.as_deref() {
            Some("mine") => open && me.is_some() && chat.assigned_to.as_deref() == me,
            Some("unassigned") => open && chat.assigned_to.is_none(),
            Some("open") => open,
            Some("ended") => !open,
            Some(s) => ChatStatus::parse(s) == Some(chat.status),
            None => true,
        };
        by_view
            && self.website.as_ref().is_none_or(|w| *w == chat.website_id)
            && self.label.as_ref().is_none_or(|l| chat.labels.contains(l))
    }

    /// The link to this view with `key` set to `value` (or removed).
    fn href(&self, key: &str, value: Option<&str>) -> String {
        let mut next = self.clone();
        let value = value.map(String::from);
        match key {
            "view" => next.view = value,
            "website" => next.website = value,
            _ => next.label = value,
        }
        let parts: Vec<String> = [("view", &next.view), ("website", &next.website), ("label", &next.label)]
            .into_iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", crate::url::encode_query_value(v))))
            .collect();
        if parts.is_empty() {
            "/admin/chats".into()
        } else {
            format!("/admin/chats?{}", parts.join("&"))
        }
    }
}

pub(super) fn preview_text(chat: &ChatSummary) -> String {
    match &chat.last_message {
        None => "No messages yet".into(),
        Some(m) => {
            let who = match (m.sender_type, m.kind) {
                (_, MessageKind::Note) => "Note: ",
                (SenderType::Admin, _) => "Agent: ",
                _ => "",
            };
            let text = match m.kind {
                MessageKind::Image => format!("🖼 {}", m.text),
                MessageKind::File => format!("📎 {}", m.text),
                _ => m.text.clone(),
            };
            format!("{who}{text}")
        }
    }
}

#[component]
pub fn ChatsPage() -> impl IntoView {
    let rt = expect_context::<Realtime>();
    // Websites created since the socket opened are followed too.
    Effect::new(move |_| rt.rejoin());
    let query = use_query_map();
    let view = Memo::new(move |_| {
        let q = query.read();
        let get = |k: &str| q.get(k).filter(|v| !v.is_empty());
        View { view: get("view"), website: get("website"), label: get("label") }
    });
    let search = Memo::new(move |_| query.read().get("q").map(|q| q.trim().to_string()).filter(|q| !q.is_empty()));
    let initial = Resource::new(move || view.get(), |v| load_inbox(v.filter(1)));
    // Counts follow every change of a chat heard on the socket.
    let counts =
        Resource::new(move || (view.get().website, rt.chat_changes.get()), |(website, _)| count_inbox(website));
    let me = Resource::new(|| (), |_| crate::shared::current_user());
    // The list comes a page at a time, open chats first and newest first: older ones on request.
    let more = RwSignal::new(false);
    let next_page = RwSignal::new(2u64);
    let loading_more = RwSignal::new(false);
    let extra = RwSignal::new(Vec::<ChatSummary>::new());
    Effect::new(move |_| {
        if let Some(Ok((list, ..))) = initial.get() {
            more.set(list.len() as u64 >= protocol::INBOX_PAGE);
            next_page.set(2);
            extra.set(Vec::new());
            // The list's chats and this agent's read positions, so unread counts follow live events from there.
            rt.seed(&list);
        }
    });
    let load_more = move || {
        if loading_more.get_untracked() {
            return;
        }
        loading_more.set(true);
        let page = next_page.get_untracked();
        let filter = view.get_untracked().filter(page);
        leptos::task::spawn_local(async move {
            if let Ok(list) = list_chats(filter).await {
                more.set(list.len() as u64 >= protocol::INBOX_PAGE);
                next_page.set(page + 1);
                rt.seed(&list);
                extra.update(|e| e.extend(list));
            }
            loading_more.set(false);
        });
    };
    let websites = Resource::new(|| (), |_| list_websites());
    // The browser's clock once it runs; until then (and on the server) the server's, from the page's data.
    let browser_clock = use_clock(0);
    view! {
        <PageHeader title="Chats" lead="Your live inbox across the websites you work on."/>
        <div class="row">
            {move || view! { <SearchForm q=search.get() website=view.get().website focus=query.read().get("search").is_some()/> }}
            <span class="muted" id="following" data-count=move || rt.joined.get().len()>
                {move || format!("Following {} website(s) live", rt.joined.get().len())}
            </span>
            <a class="button secondary small" id="export-chats" download="" href=move || view.get().export_href()
                title="Every chat of this view, as a spreadsheet">"Export CSV"</a>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || initial.get().map(|res| match res {
                Ok((list, first_counts, labels, now)) => {
                    let clock = Signal::derive(move || match browser_clock.get() {
                        0 => now,
                        t => t,
                    });
                    let v = view.get();
                    let me_id = me.get().and_then(Result::ok).map(|u| u.id);
                    let names: BTreeMap<String, String> = websites.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|w| (w.id, w.name)).collect();
                    let counts = counts.get().and_then(Result::ok).unwrap_or(first_counts);
                    let labels_by_id: BTreeMap<String, Label> = labels.iter().map(|l| (l.id.clone(), l.clone())).collect();
                    // The loaded pages, overridden by anything newer from the socket, and live chats of this view.
                    let mut all: BTreeMap<String, ChatSummary> = list.into_iter().chain(extra.get()).map(|c| (c.id.clone(), c)).collect();
                    for (id, chat) in rt.chats.get() {
                        if all.contains_key(&id) || v.shows(&chat, me_id.as_deref()) {
                            all.insert(id, chat);
                        }
                    }
                    let left = rt.left.get();
                    let mut chats: Vec<ChatSummary> = all.into_values()
                        .filter(|c| !left.contains(&c.website_id) && v.shows(c, me_id.as_deref()))
                        .collect();
                    // Those waiting longest first; finished chats newest first.
                    chats.sort_by(|a, b| a.started_at.cmp(&b.started_at));
                    let group = |statuses: &'static [ChatStatus], title: &'static str, id: &'static str| {
                        let mut rows: Vec<ChatSummary> = chats.iter().filter(|c| statuses.contains(&c.status)).cloned().collect();
                        if statuses.contains(&ChatStatus::Closed) {
                            rows.reverse();
                        }
                        let names = names.clone();
                        let labels_by_id = labels_by_id.clone();
                        view! {
                            <section class="card inbox-group" id=id>
                                <h2>{title}" "<span class="count">{rows.len()}</span></h2>
                                {if rows.is_empty() {
                                    view! { <p class="muted">"None."</p> }.into_any()
                                } else {
                                    view! {
                                        <ul class="inbox">
                                            {rows.into_iter().map(|c| view! {
                                                <InboxRow chat=c website=names.clone() labels=labels_by_id.clone() clock/>
                                            }).collect_view()}
                                        </ul>
                                    }.into_any()
                                }}
                            </section>
                        }
                        .into_any()
                    };
                    let status_groups: Vec<(&'static [ChatStatus], &'static str, &'static str)> = vec![
                        (&[ChatStatus::Waiting], "Waiting", "inbox-waiting"),
                        (&[ChatStatus::Ongoing], "Ongoing", "inbox-ongoing"),
                        (&[ChatStatus::Offline], "Offline messages", "inbox-offline"),
                        (&[ChatStatus::Closed, ChatStatus::Resolved], "Closed and resolved", "inbox-closed"),
                    ];
                    // A view of some statuses shows only their groups.
                    let shown: Vec<_> = status_groups.into_iter().filter(|(statuses, ..)| {
                        let probe = |s: ChatStatus| v.view.as_deref().is_none_or(|name| match name {
                            "mine" | "unassigned" | "open" => s != ChatStatus::Closed && s != ChatStatus::Resolved,
                            "ended" => s == ChatStatus::Closed || s == ChatStatus::Resolved,
                            other => ChatStatus::parse(other) == Some(s),
                        });
                        statuses.iter().any(|s| probe(*s))
                    }).collect();
                    view! {
                        <div class="inbox-layout">
                            <ViewsNav current=v.clone() counts labels names=names.clone()/>
                            <div class="inbox-lists">
                                {match search.get() {
                                    Some(q) => view! { <SearchHits q website=v.website.clone() names=names.clone()/> }.into_any(),
                                    None => view! {
                                        {shown.into_iter().map(|(statuses, title, id)| group(statuses, title, id)).collect_view()}
                                        {move || more.get().then(|| view! {
                                            <div class="row">
                                                <button type="button" class="button secondary" id="more-chats"
                                                    disabled=move || loading_more.get() on:click=move |_| load_more()>
                                                    {move || if loading_more.get() { "Loading…" } else { "Show older chats" }}
                                                </button>
                                            </div>
                                        })}
                                    }.into_any(),
                                }}
                            </div>
                        </div>
                    }.into_any()
                }
                Err(e) => view! { <LoadError error=e/> }.into_any(),
            })}
        </Transition>
    }
    .into_any()
}

/// The views down the side, each with its count.
#[component]
fn ViewsNav(current: View, counts: InboxCounts, labels: Vec<Label>, names: BTreeMap<String, String>) -> impl IntoView {
    let status = |s: &str| counts.by_status.get(s).copied().unwrap_or(0);
    let ended = status("closed") + status("resolved");
    let views: Vec<(Option<&str>, &str, Option<u64>)> = vec![
        (Some("mine"), "Mine", Some(counts.mine)),
        (Some("unassigned"), "Unassigned", Some(counts.unassigned)),
        (Some("open"), "All open", Some(counts.open)),
        (Some("waiting"), "Waiting", Some(status("waiting"))),
        (Some("ongoing"), "Ongoing", Some(status("ongoing"))),
        (Some("offline"), "Offline messages", Some(status("offline"))),
        (Some("ended"), "Closed and resolved", Some(ended)),
        (None, "Everything", None),
    ];
    let link = |href: String, label: String, count: Option<u64>, active: bool, id: String| {
        view! {
            <li>
                <a href=href id=id class:active=active aria-current=active.then_some("page")>
                    <span>{label}</span>
                    {count.map(|n| view! { <span class="count">{n}</span> })}
                </a>
            </li>
        }
        .into_any()
    };
    view! {
        <nav class="inbox-views card" aria-label="Inbox views">
            <ul>
                {views.into_iter().map(|(key, label, count)| {
                    let active = current.view.as_deref() == key;
                    link(current.href("view", key), label.to_string(), count, active, format!("view-{}", key.unwrap_or("all")))
                }).collect_view()}
            </ul>
            {(names.len() > 1).then(|| view! {
                <h3>"Websites"</h3>
                <ul>
                    {link(current.href("website", None), "All websites".into(), None, current.website.is_none(), "website-all".into())}
                    {names.iter().map(|(id, name)| {
                        let active = current.website.as_deref() == Some(id.as_str());
                        link(current.href("website", Some(id)), name.clone(), None, active, format!("website-{id}"))
                    }).collect_view()}
                </ul>
            }.into_any())}
            {(!labels.is_empty()).then(|| view! {
                <h3>"Labels"</h3>
                <ul>
                    {labels.into_iter().map(|l| {
                        let active = current.label.as_deref() == Some(l.id.as_str());
                        let target = if active { None } else { Some(l.id.as_str()) };
                        let count = counts.by_label.get(&l.id).copied().unwrap_or(0);
                        view! {
                            <li>
                                <a href=current.href("label", target) id=format!("label-{}", l.id) class:active=active>
                                    <LabelChip label=l.clone()/>
                                    <span class="count">{count}</span>
                                </a>
                            </li>
                        }
                        .into_any()
                    }).collect_view()}
                </ul>
            }.into_any())}
        </nav>
    }
    .into_any()
}

#[component]
fn InboxRow(
    chat: ChatSummary,
    website: BTreeMap<String, String>,
    labels: BTreeMap<String, Label>,
    clock: Signal<i64>,
) -> impl IntoView {
    let rt = expect_context::<Realtime>();
    let id = chat.id.clone();
    let typing_id = chat.id.clone();
    let summary = chat.clone();
    let website = website.get(&chat.website_id).cloned().unwrap_or_default();
    let chips: Vec<Label> = chat.labels.iter().filter_map(|l| labels.get(l).cloned()).collect();
    // Waiting chats show how long they have waited; the others when their last message came.
    let since = match chat.status {
        ChatStatus::Waiting => epoch_ms(&chat.started_at),
        _ => chat.last_message.as_ref().and_then(|m| epoch_ms(&m.created_at)).or_else(|| epoch_ms(&chat.started_at)),
    };
    let waiting = chat.status == ChatStatus::Waiting;
    let age = move || {
        since.map(|t| {
            let d = waited(clock.get() - t);
            if waiting {
                format!("waiting {d}")
            } else {
                format!("{d} ago")
            }
        })
    };
    view! {
        <li class="inbox-row" data-chat=id.clone()>
            <a href=format!("/admin/chats/{id}")>
                <span class="who">
                    <span class="visitor-name">{visitor_label(&chat)}</span>
                    <span class="muted small">{website}</span>
                </span>
                <span class="preview">
                    <span class="last-message">{preview_text(&chat)}</span>
                    <span class="chips">{chips.into_iter().map(|l| view! { <LabelChip label=l/> }).collect_view()}</span>
                </span>
                <span class="muted small age" title=when(&chat.started_at)>{age}</span>
                <span class="badge">{status_label(chat.status)}</span>
                {move || rt.typing.get().contains_key(&typing_id).then(|| view! { <span class="typing">"typing…"</span> })}
                {move || Some(rt.unread(&summary)).filter(|n| *n > 0).map(|n| view! { <span class="unread" title="Unread messages">{n}</span> })}
            </a>
        </li>
    }
}
