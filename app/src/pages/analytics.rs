//! /admin/analytics (and a website's analytics tab): a date range's chats, messages, visitors, response and
//! resolution times, missed chats, statuses, busiest hours and agents, as charts and tables with CSV downloads.
//! The filters live in the URL, so the page renders on the server for any range and a plain GET form works before
//! the dashboard's script has loaded; the browser's time zone is put in the URL once it has.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use protocol::{AnalyticsQuery, AnalyticsReport, DayFigures, Durations, Ratings};

use super::PageHeader;
use crate::components::charts::{count, duration, DayChart, FigureTable, HeatMap, Series};
use crate::components::form::LoadError;
use crate::components::time::use_viewer_time_zone;
use crate::error::AppError;
use crate::shared::list_websites;

#[leptos::server(prefix = "/sfn", endpoint = "load_analytics", input = Json)]
pub async fn load_analytics(query: AnalyticsQuery) -> Result<AnalyticsReport, AppError> {
    use crate::server::{request::with_ctx, services::analytics};
    with_ctx(|state, ctx| async move { analytics::report(&ctx, &state, &query).await }).await
}

#[component]
pub fn AnalyticsPage() -> impl IntoView {
    view! {
        <PageHeader title="Analytics" lead="How your team is doing, per website and over time."/>
        <Analytics/>
    }
}

const PRESETS: [(&str, &str); 5] =
    [("1", "Today"), ("7", "Last 7 days"), ("30", "Last 30 days"), ("90", "Last 90 days"), ("", "Custom range")];
const ZONES: [&str; 12] = [
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Moscow",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
];

/// The analytics of the websites the viewer sees, or of `website` alone (its tab): filters, then the report.
#[component]
pub fn Analytics(#[prop(optional)] website: Option<String>) -> impl IntoView {
    let query = use_query_map();
    let fixed_website = website.clone();
    let wanted = move || {
        let q = query.read();
        let get = |k: &str| q.get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let (from, to) = (get("from"), get("to"));
        let days = match get("days") {
            Some(d) => d.parse().ok(),
            None if from.is_none() && to.is_none() && q.get("days").is_none() => Some(7),
            None => None,
        };
        AnalyticsQuery { days, from, to, website_id: fixed_website.clone().or_else(|| get("websiteId")), tz: get("tz") }
    };
    // Blocking: the server sends the page with the report in it (readable before, or without, the script).
    let report = Resource::new_blocking(wanted, load_analytics);
    let websites = Resource::new(|| (), |_| list_websites());

    // Ranges are in the viewer's time zone.
    let _tz = use_viewer_time_zone();

    let current = move |key: &'static str| move || query.read().get(key).unwrap_or_default();
    let days_now = move || {
        let q = query.read();
        match (q.get("days"), q.get("from"), q.get("to")) {
            (Some(d), _, _) => d,
            (None, None, None) => "7".to_string(),
            _ => String::new(),
        }
    };
    let tab = website.is_some().then(|| view! { <input type="hidden" name="tab" value="analytics"/> });
    let website_filter = website.is_none().then(|| {
        view! {
            <Transition fallback=|| ()>
                {move || websites.get().and_then(Result::ok).map(|list| {
                    let chosen = current("websiteId")();
                    view! {
                        <label>"Website"
                            <select name="websiteId" id="analytics-website">
                                <option value="">"All websites"</option>
                                {list.into_iter().map(|w| {
                                    let selected = w.id == chosen;
                                    view! { <option value=w.id selected=selected>{w.name}</option> }
                                }).collect_view()}
                            </select>
                        </label>
                    }
                })}
            </Transition>
        }
    });

    view! {
        <section class="card">
            <Form method="GET" action="">
                <div class="filters" id="analytics-filters">
                    {tab}
                    <label>"Range"
                        <select name="days" id="analytics-days">
                            {PRESETS.iter().map(|(value, name)| {
                                view! { <option value=*value selected=move || days_now() == *value>{*name}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                    <label>"From" <input type="date" name="from" id="analytics-from" value=current("from")/></label>
                    <label>"To" <input type="date" name="to" id="analytics-to" value=current("to")/></label>
                    {website_filter}
                    <label>"Time zone"
                        <input name="tz" id="analytics-tz" list="analytics-zones" value=current("tz") placeholder="UTC"/>
                        <datalist id="analytics-zones">{ZONES.iter().map(|z| view! { <option value=*z/> }).collect_view()}</datalist>
                    </label>
                    <button type="submit" class="button secondary">"Show"</button>
                </div>
                <p class="muted hint">"Custom dates apply with “Custom range”."</p>
            </Form>
        </section>
        <Suspense fallback=|| view! { <section class="card loading" id="analytics-loading" aria-busy="true"><p class="muted">"Loading analytics…"</p></section> }>
            {move || report.get().map(|res| match res {
                Ok(r) => view! { <Report report=r/> }.into_any(),
                Err(e) => view! { <LoadError error=e/> }.into_any(),
            })}
        </Suspense>
    }
}

fn ms(d: &Durations, pick: fn(&Durations) -> Option<u64>) -> Option<f64> {
    pick(d).map(|v| v as f64)
}

#[component]
fn Kpi(label: &'static str, value: String, #[prop(optional)] note: Option<String>) -> impl IntoView {
    view! {
        <div class="kpi">
            <span class="kpi-label">{label}</span>
            <strong class="kpi-value">{value}</strong>
            {note.map(|n| view! { <span class="muted kpi-note">{n}</span> })}
        </div>
    }
}

/// The headline figures of a day or range.
#[component]
pub fn Kpis(figures: DayFigures) -> impl IntoView {
    let rate = figures.resolution_rate().map(|r| format!("{:.0} %", r * 100.0)).unwrap_or_else(|| "—".into());
    let fr = figures.first_response.median_ms.map(|v| duration(v as f64)).unwrap_or_else(|| "—".into());
    let fr_p90 = figures.first_response.p90_ms.map(|v| format!("p90 {}", duration(v as f64)));
    let res = figures.resolution.median_ms.map(|v| duration(v as f64)).unwrap_or_else(|| "—".into());
    view! {
        <div class="kpis">
            <Kpi label="Chats" value=figures.chats.to_string()/>
            <Kpi label="Messages" value=figures.messages.to_string()/>
            <Kpi label="Visitors" value=figures.visitors.to_string()/>
            <Kpi label="Missed" value=figures.missed.to_string()/>
            <Kpi label="First response (median)" value=fr note=fr_p90.unwrap_or_default()/>
            <Kpi label="Resolution (median)" value=res/>
            <Kpi label="Resolved" value=rate note=format!("{} chats", figures.resolved)/>
        </div>
    }
}

#[component]
fn Report(report: AnalyticsReport) -> impl IntoView {
    let labels: Vec<String> = report.days.iter().map(|d| d.date.clone()).collect();
    let per_day = |name: &'static str, f: fn(&DayFigures) -> u64| Series {
        name,
        values: report.days.iter().map(|d| Some(f(d) as f64)).collect(),
    };
    let timing = |name: &'static str, d: fn(&DayFigures) -> &Durations, pick: fn(&Durations) -> Option<u64>| Series {
        name,
        values: report.days.iter().map(|day| ms(d(day), pick)).collect(),
    };
    let statuses: Vec<String> = report.by_status.iter().map(|s| s.status.as_str().to_string()).collect();
    let status_series =
        vec![Series { name: "Chats", values: report.by_status.iter().map(|s| Some(s.chats as f64)).collect() }];
    let status_max = report.by_status.iter().map(|s| s.chats).max().unwrap_or(0).max(1);
    let agent_names: Vec<String> = report.agents.iter().map(|a| a.name.clone()).collect();
    let agent_series = vec![
        Series { name: "Chats", values: report.agents.iter().map(|a| Some(a.chats as f64)).collect() },
        Series { name: "Messages sent", values: report.agents.iter().map(|a| Some(a.messages as f64)).collect() },
    ];
    let agent_times = vec![
        Series {
            name: "Median first response",
            values: report.agents.iter().map(|a| ms(&a.first_response, |d| d.median_ms)).collect(),
        },
        Series {
            name: "Median resolution",
            values: report.agents.iter().map(|a| ms(&a.resolution, |d| d.median_ms)).collect(),
        },
    ];
    let range = format!("{} – {} ({})", report.from, report.to, report.tz);
    let summary = view! {
        <section class="card" id="analytics-summary">
            <h2>"Summary " <span class="muted">{range}</span></h2>
            <Kpis figures=report.totals.clone()/>
            <p class="muted hint">{format!(
                "A chat counts on the day it started. First response: from the visitor's first message to the first agent reply. Missed: no agent reply and closed, or waiting over {} minutes.",
                report.missed_after_minutes
            )}</p>
        </section>
    }
    .into_any();
    let charts = view! {
        <div class="charts">
            <DayChart title="Chats per day" id="chart-chats" labels=labels.clone() series=vec![per_day("Chats", |d| d.chats)]/>
            <DayChart title="Messages per day" id="chart-messages" labels=labels.clone() series=vec![per_day("Messages", |d| d.messages)]/>
            <DayChart title="Visitors per day" id="chart-visitors" labels=labels.clone() series=vec![per_day("Visitors", |d| d.visitors)]/>
            <DayChart title="Missed chats per day" id="chart-missed" labels=labels.clone() series=vec![per_day("Missed", |d| d.missed)]/>
            <DayChart title="First response time" id="chart-first-response" labels=labels.clone() lines=true format=duration unit=" (ms)" least=60_000.0
                series=vec![timing("Median", |d| &d.first_response, |d| d.median_ms), timing("p90", |d| &d.first_response, |d| d.p90_ms)]/>
            <DayChart title="Resolution time" id="chart-resolution" labels=labels.clone() lines=true format=duration unit=" (ms)" least=60_000.0
                series=vec![timing("Median", |d| &d.resolution, |d| d.median_ms), timing("p90", |d| &d.resolution, |d| d.p90_ms)]/>
            <figure class="card chart" id="chart-status">
                <figcaption><h2>"Chats by status"</h2><span class="muted">"Chats started in the range, by their status now"</span></figcaption>
                <ul class="hbars">
                    {report.by_status.iter().map(|s| {
                        let width = format!("width: {:.1}%", s.chats as f64 / status_max as f64 * 100.0);
                        view! {
                            <li><span class="hbar-label">{s.status.as_str()}</span><span class="hbar"><span class=format!("hbar-fill status-{}", s.status.as_str()) style=width></span></span><span class="hbar-value">{s.chats}</span></li>
                        }
                    }).collect_view()}
                </ul>
                <FigureTable file="chats-by-status.csv" first="Status" labels=statuses series=status_series format=count/>
            </figure>
            <HeatMap grid=report.heatmap.clone()/>
            <RatingsCard ratings=report.ratings.clone()/>
        </div>
    }
    .into_any();
    let agents = view! {
        <section class="card" id="analytics-agents">
            <h2>"Agents"</h2>
            {if report.agents.is_empty() {
                view! { <p class="muted">"No agent handled a chat in this range."</p> }.into_any()
            } else {
                view! {
                    <table class="table">
                        <thead><tr><th>"Agent"</th><th>"Chats handled"</th><th>"Median first response"</th><th>"Median resolution"</th><th>"Messages sent"</th><th>"Rating"</th></tr></thead>
                        <tbody>
                            {report.agents.iter().map(|a| view! {
                                <tr>
                                    <td>{a.name.clone()}</td>
                                    <td>{a.chats}</td>
                                    <td>{a.first_response.median_ms.map(|v| duration(v as f64)).unwrap_or_else(|| "—".into())}</td>
                                    <td>{a.resolution.median_ms.map(|v| duration(v as f64)).unwrap_or_else(|| "—".into())}</td>
                                    <td>{a.messages}</td>
                                    <td>{rating_cell(&a.ratings)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    <AgentsCsv names=agent_names counts=agent_series times=agent_times/>
                }.into_any()
            }}
        </section>
    }
    .into_any();
    view! { {summary}{charts}{agents} }.into_any()
}

/// "4.3 (12)": the mean of an agent's ratings and how many, or a dash.
fn rating_cell(r: &Ratings) -> String {
    r.average().map(|avg| format!("{avg} ({})", r.count)).unwrap_or_else(|| "—".into())
}

/// Visitors' ratings in the range: the mean, the share of 4 and 5, and how many of each score.
#[component]
fn RatingsCard(ratings: Ratings) -> impl IntoView {
    let most = ratings.by_score.iter().copied().max().unwrap_or(0).max(1);
    let scores: Vec<String> = (1..=5).map(|s| format!("{s} ★")).collect();
    let series = vec![Series { name: "Ratings", values: ratings.by_score.iter().map(|n| Some(*n as f64)).collect() }];
    view! {
        <figure class="card chart" id="chart-ratings">
            <figcaption><h2>"Visitor ratings (CSAT)"</h2><span class="muted">"Given after a chat ended, in the range"</span></figcaption>
            {if ratings.count == 0 {
                view! { <p class="muted" id="ratings-none">"No ratings in this range."</p> }.into_any()
            } else {
                view! {
                    <p id="ratings-summary"><strong class="kpi-value">{ratings.average().unwrap_or_default()}</strong>" out of 5 · "
                        {format!("{} % satisfied (4 or 5) · {} ratings", ratings.satisfied_percent().unwrap_or(0), ratings.count)}</p>
                    <ul class="hbars">
                        {ratings.by_score.iter().enumerate().rev().map(|(i, n)| {
                            let width = format!("width: {:.1}%", *n as f64 / most as f64 * 100.0);
                            view! {
                                <li><span class="hbar-label">{format!("{} ★", i + 1)}</span><span class="hbar"><span class="hbar-fill" style=width></span></span><span class="hbar-value">{*n}</span></li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <FigureTable file="ratings.csv" first="Score" labels=scores series=series format=count/>
        </figure>
    }
}

/// The agents table as CSV: counts as numbers, times in milliseconds.
#[component]
fn AgentsCsv(names: Vec<String>, counts: Vec<Series>, times: Vec<Series>) -> impl IntoView {
    use crate::components::charts::{csv_field, csv_href};
    let mut csv = String::from("Agent,Chats handled,Median first response (ms),Median resolution (ms),Messages sent\n");
    for (i, name) in names.iter().enumerate() {
        let cell = |s: &Series| {
            s.values.get(i).copied().flatten().map(|v| format!("{}", v.round() as i64)).unwrap_or_default()
        };
        csv.push_str(&format!(
            "{},{},{},{},{}\n",
            csv_field(name),
            cell(&counts[0]),
            cell(&times[0]),
            cell(&times[1]),
            cell(&counts[1])
        ));
    }
    view! { <a class="csv" download="agents.csv" href=csv_href(&csv)>"Download CSV"</a> }
}
