//! /admin/dashboard: what is happening now on the websites the viewer sees — chats waiting (oldest first, with how
//! long each has waited), visitors on the websites and their page, agents online and the chats each handles, and
//! today's figures against yesterday's. It opens with one snapshot, then follows the tab's socket: chats, visitors
//! and agents change from the events themselves; today's figures are read again (one indexed query) a moment after
//! a chat changes.

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use protocol::{Availability, ChatStatus, DashboardSnapshot, DayFigures, TodayFigures};

use super::PageHeader;
use crate::components::charts::duration;
use crate::components::form::LoadError;
use crate::components::time::{epoch_ms, use_clock, use_viewer_time_zone, waited};
use crate::error::AppError;
use crate::realtime::Realtime;

#[leptos::server(prefix = "/sfn", endpoint = "load_dashboard", input = Json)]
pub async fn load_dashboard(tz: Option<String>) -> Result<(DashboardSnapshot, i64), AppError> {
    use crate::server::{request::with_ctx, services::dashboard};
    with_ctx(|state, ctx| async move {
        let snapshot = dashboard::snapshot(&ctx, &state, tz.as_deref()).await?;
        Ok((snapshot, crate::server::now_ms()))
    })
    .await
}

#[leptos::server(prefix = "/sfn", endpoint = "load_today", input = Json)]
pub async fn load_today(tz: Option<String>) -> Result<TodayFigures, AppError> {
    use crate::server::{request::with_ctx, services::analytics};
    with_ctx(|state, ctx| async move { analytics::today(&ctx, &state, tz.as_deref()).await }).await
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let tz = use_viewer_time_zone();
    let snapshot = Resource::new_blocking(move || tz.get(), load_dashboard);
    view! {
        <PageHeader title="Dashboard" lead="What is happening across your websites right now."/>
        <Suspense fallback=|| view! { <section class="card loading" aria-busy="true"><p class="muted">"Loading the dashboard…"</p></section> }>
            {move || snapshot.get().map(|res| match res {
                Ok((snapshot, now)) => view! { <Live snapshot now tz/> }.into_any(),
                Err(e) => view! { <LoadError error=e/> }.into_any(),
            })}
        </Suspense>
    }
}

/// Figures against yesterday's: `3 (yesterday 5)`.
#[component]
fn Compare(label: &'static str, id: &'static str, today: String, yesterday: String) -> impl IntoView {
    view! {
        <div class="kpi" id=id>
            <span class="kpi-label">{label}</span>
            <strong class="kpi-value">{today}</strong>
            <span class="muted kpi-note">"Yesterday " {yesterday}</span>
        </div>
    }
}

/// A page's address without its scheme and host: what a visitor is reading, in the space there is.
fn page_path(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, rest)| rest).unwrap_or(url);
    match rest.find('/') {
        Some(at) => rest[at..].to_string(),
        None => "/".into(),
    }
}

fn rate(d: &DayFigures) -> String {
    d.resolution_rate().map(|r| format!("{:.0} %", r * 100.0)).unwrap_or_else(|| "—".into())
}

fn first_response(d: &DayFigures) -> String {
    d.first_response.median_ms.map(|v| duration(v as f64)).unwrap_or_else(|| "—".into())
}

#[component]
fn Live(snapshot: DashboardSnapshot, now: i64, tz: Signal<Option<String>>) -> impl IntoView {
    let rt = expect_context::<Realtime>();
    // What the snapshot knows, unless an event told of it first.
    untrack(|| {
        rt.seed(&snapshot.open_chats);
        rt.visitors_online.update(|v| v.extend(snapshot.visitors.iter().map(|x| x.visitor_id.clone())));
        rt.visitor_websites
            .update(|w| w.extend(snapshot.visitors.iter().map(|x| (x.visitor_id.clone(), x.website_id.clone()))));
        rt.visitor_pages.update(|p| {
            for v in &snapshot.visitors {
                if let Some(url) = &v.url {
                    p.entry(v.visitor_id.clone()).or_insert_with(|| url.clone());
                }
            }
        });
        rt.agents_online.update(|a| a.extend(snapshot.agents.iter().map(|x| (x.user_id.clone(), x.name.clone()))));
        rt.agent_statuses.update(|a| a.extend(snapshot.agents.iter().map(|x| (x.user_id.clone(), x.status))));
    });
    let names: HashMap<String, String> = snapshot.websites.iter().cloned().collect();
    let names = StoredValue::new(names);
    let sites: HashSet<String> = snapshot.websites.iter().map(|(id, _)| id.clone()).collect();
    let sites = StoredValue::new(sites);
    let website_name = move |id: &str| names.with_value(|n| n.get(id).cloned().unwrap_or_else(|| "Website".into()));
    let seen = move |website_id: &str| {
        sites.with_value(|s| s.contains(website_id)) && !rt.left.with(|l| l.contains(website_id))
    };
    let clock = use_clock(now);

    let waiting = Memo::new(move |_| {
        let mut list: Vec<(String, String, String, i64)> = rt.chats.with(|chats| {
            chats
                .values()
                .filter(|c| c.status == ChatStatus::Waiting && seen(&c.website_id))
                .map(|c| {
                    (c.id.clone(), c.website_id.clone(), c.visitor_id.clone(), epoch_ms(&c.started_at).unwrap_or(0))
                })
                .collect()
        });
        list.sort_by_key(|c| c.3);
        list
    });
    let handling = Memo::new(move |_| {
        rt.chats.with(|chats| {
            let mut n: HashMap<String, usize> = HashMap::new();
            for c in chats
                .values()
                .filter(|c| matches!(c.status, ChatStatus::Waiting | ChatStatus::Ongoing) && seen(&c.website_id))
            {
                if let Some(agent) = &c.assigned_to {
                    *n.entry(agent.clone()).or_default() += 1;
                }
            }
            n
        })
    });
    let visitors = Memo::new(move |_| {
        let online = rt.visitors_online.get();
        let websites = rt.visitor_websites.get();
        let pages = rt.visitor_pages.get();
        let mut list: Vec<(String, String, Option<String>)> = online
            .into_iter()
            .filter_map(|v| {
                let w = websites.get(&v)?.clone();
                seen(&w).then(|| (v.clone(), w, pages.get(&v).cloned()))
            })
            .collect();
        list.sort();
        list
    });
    let agents = Memo::new(move |_| {
        let mut list: Vec<(String, String)> = rt.agents_online.get().into_iter().collect();
        list.sort_by(|a, b| a.1.cmp(&b.1));
        list
    });

    // Today's figures: the snapshot's, then read again a moment after chats change (once for a burst).
    let changes_seen = RwSignal::new(rt.chat_changes.get_untracked());
    Effect::new(move |_| {
        let changes = rt.chat_changes.get();
        set_timeout(move || changes_seen.set(changes), std::time::Duration::from_millis(700));
    });
    let first_changes = changes_seen.get_untracked();
    let figures = Resource::new(
        move || (tz.get(), changes_seen.get()),
        move |(tz, changes)| {
            let initial = snapshot.figures.clone();
            async move {
                match changes == first_changes {
                    true => Ok(initial),
                    false => load_today(tz).await,
                }
            }
        },
    );

    view! {
        <Transition fallback=|| ()>
            {move || figures.get().and_then(Result::ok).map(|f| view! {
                <section class="card" id="dash-today">
                    <h2>"Today " <span class="muted">{f.tz.clone()}</span></h2>
                    <div class="kpis">
                        <Compare label="Chats" id="today-chats" today=f.today.chats.to_string() yesterday=f.yesterday.chats.to_string()/>
                        <Compare label="First response (median)" id="today-first-response" today=first_response(&f.today) yesterday=first_response(&f.yesterday)/>
                        <Compare label="Missed" id="today-missed" today=f.today.missed.to_string() yesterday=f.yesterday.missed.to_string()/>
                        <Compare label="Resolved" id="today-resolved" today=rate(&f.today) yesterday=rate(&f.yesterday)/>
                    </div>
                </section>
            })}
        </Transition>
        <div class="dash-grid">
            <section class="card" id="dash-waiting">
                <h2>"Waiting " <span class="count" id="waiting-count">{move || waiting.with(Vec::len)}</span></h2>
                {move || {
                    let list = waiting.get();
                    if list.is_empty() {
                        return view! { <p class="muted">"Nobody is waiting."</p> }.into_any();
                    }
                    view! {
                        <ul class="dash-list">
                            {list.into_iter().map(|(id, website, visitor, started)| view! {
                                <li>
                                    <a href=format!("/admin/chats/{id}") class="dash-open">
                                        <span class="who">{format!("Visitor {}", &visitor[..visitor.len().min(8)])}</span>
                                        <span class="muted">{website_name(&website)}</span>
                                    </a>
                                    <span class="waited" title="Waiting for">{move || waited(clock.get() - started)}</span>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
            <section class="card" id="dash-visitors">
                <h2>"Visitors now " <span class="count" id="visitors-count">{move || visitors.with(Vec::len)}</span></h2>
                {move || {
                    let list = visitors.get();
                    if list.is_empty() {
                        return view! { <p class="muted">"No visitor is on your websites."</p> }.into_any();
                    }
                    view! {
                        <ul class="dash-list">
                            {list.into_iter().map(|(visitor, website, page)| view! {
                                <li>
                                    <span class="who">{format!("Visitor {}", &visitor[..visitor.len().min(8)])}
                                        " " <span class="muted">{website_name(&website)}</span></span>
                                    <span class="page muted" title=page.clone().unwrap_or_default()>{page.as_deref().map(page_path).unwrap_or_else(|| "—".into())}</span>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
            <section class="card" id="dash-agents">
                <h2>"Agents online " <span class="count" id="agents-count">{move || agents.with(Vec::len)}</span></h2>
                {move || {
                    let list = agents.get();
                    if list.is_empty() {
                        return view! { <p class="muted">"No agent is online."</p> }.into_any();
                    }
                    view! {
                        <ul class="dash-list">
                            {list.into_iter().map(|(id, name)| {
                                let n = handling.with(|h| h.get(&id).copied().unwrap_or(0));
                                let status = {
                                    let id = StoredValue::new(id.clone());
                                    move || id.with_value(|id| rt.agent_statuses.with(|s| s.get(id).copied().unwrap_or(Availability::Online)))
                                };
                                view! {
                                    <li data-agent=id.clone()><span class="status-dot" data-status=move || status().as_str() aria-hidden="true"></span>
                                        <span class="who">{name}</span>
                                        <span class="agent-status">{move || status().label()}</span>
                                        <span class="muted">{match n { 0 => "no open chats".to_string(), 1 => "1 open chat".into(), n => format!("{n} open chats") }}</span></li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
        </div>
    }
}
