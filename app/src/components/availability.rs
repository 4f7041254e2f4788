//! The signed-in user's availability in the top bar: online, away or offline, and the idle time after which the
//! dashboard sets them away (and back to online on their next input, if it was the dashboard that set it). Input in
//! any of the user's tabs counts: the last input time is shared through `localStorage`.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use protocol::{AgentAvailability, Availability, AvailabilityForUpdate};

use crate::error::AppError;

#[leptos::server(prefix = "/sfn", endpoint = "my_availability", input = Json)]
pub async fn my_availability() -> Result<AgentAvailability, AppError> {
    use crate::server::{request::with_ctx, services::availability};
    with_ctx(|state, ctx| async move { availability::get(&ctx, &state).await }).await
}

#[leptos::server(prefix = "/sfn", endpoint = "set_availability", input = Json)]
pub async fn set_availability(change: AvailabilityForUpdate) -> Result<AgentAvailability, AppError> {
    use crate::server::{request::with_ctx, services::availability};
    with_ctx(|state, ctx| async move { availability::update(&ctx, &state, change).await }).await
}

/// The idle times offered, in minutes (0: never).
const IDLE_CHOICES: [u16; 6] = [0, 5, 10, 15, 30, 60];

fn idle_label(minutes: u16) -> String {
    match minutes {
        0 => "Never".into(),
        m => format!("After {m} min idle"),
    }
}

#[component]
pub fn AvailabilityMenu() -> impl IntoView {
    let current = RwSignal::new(None::<AgentAvailability>);
    let error = RwSignal::new(None::<String>);
    let busy = StoredValue::new(false);
    let rt = use_context::<crate::realtime::Realtime>();

    let apply = move |change: AvailabilityForUpdate| {
        if busy.get_value() {
            return;
        }
        busy.set_value(true);
        leptos::task::spawn_local(async move {
            match set_availability(change).await {
                Ok(a) => {
                    current.set(Some(a));
                    error.set(None);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
            busy.set_value(false);
        });
    };
    let load = move || {
        leptos::task::spawn_local(async move {
            if let Ok(a) = my_availability().await {
                current.set(Some(a));
            }
        })
    };
    Effect::new(move |_| load());
    // Another tab (or the API) changed it: read it again.
    if let Some(rt) = rt {
        Effect::new(move |seen: Option<u64>| {
            let changes = rt.own_status_changes.get();
            if seen.is_some_and(|s| s != changes) && !busy.get_value() {
                load();
            }
            changes
        });
    }
    // The alerts follow it (no new-chat alerts while away, none at all while offline).
    if let Some(rt) = rt {
        Effect::new(move |_| rt.own_status.set(current.get().map(|a| a.status)));
    }
    #[cfg(feature = "hydrate")]
    idle::watch(current, apply);

    let choose =
        move |status: Availability| apply(AvailabilityForUpdate { status: Some(status), ..Default::default() });
    let status = move || current.get().map(|a| a.status);
    view! {
        <details class="availability" id="availability">
            <summary title="Your availability">
                <span class="status-dot" data-status=move || status().map(|s| s.as_str()).unwrap_or("unknown") aria-hidden="true"></span>
                <span class="visually-hidden">"Your availability: "</span>
                <span id="availability-label">{move || status().map(|s| s.label()).unwrap_or("…")}</span>
            </summary>
            <div class="availability-menu" role="group" aria-label="Availability">
                {Availability::ALL.iter().map(|&s| view! {
                    <button type="button" class="availability-choice" data-status=s.as_str()
                        aria-pressed=move || (status() == Some(s)).to_string()
                        on:click=move |_| choose(s)>
                        <span class="status-dot" data-status=s.as_str() aria-hidden="true"></span>
                        {s.label()}
                    </button>
                }).collect_view()}
                <label class="availability-idle">
                    "Away when idle"
                    <select id="away-after" on:change=move |ev| {
                        if let Ok(m) = event_target_value(&ev).parse::<u16>() {
                            apply(AvailabilityForUpdate { away_after_minutes: Some(m), ..Default::default() });
                        }
                    }>
                        {move || {
                            let chosen = current.get().map(|a| a.away_after_minutes).unwrap_or(10);
                            let mut choices = IDLE_CHOICES.to_vec();
                            if !choices.contains(&chosen) {
                                choices.push(chosen);
                                choices.sort_unstable();
                            }
                            choices.into_iter().map(|m| view! {
                                <option value=m.to_string() selected=m == chosen>{idle_label(m)}</option>
                            }).collect_view()
                        }}
                    </select>
                </label>
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            </div>
        </details>
    }
    .into_any()
}

/// The idle timer (browser only): input in any tab marks the user active; after their idle time an online user is
/// set away (auto), and their next input sets them back online.
#[cfg(feature = "hydrate")]
mod idle {
    use super::*;

    const KEY: &str = "helpdesk-last-input";
    /// Input is written down at most this often (ms).
    const WRITE_EVERY: f64 = 10_000.0;

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    fn last_input() -> f64 {
        storage().and_then(|s| s.get_item(KEY).ok().flatten()).and_then(|v| v.parse().ok()).unwrap_or(0.0)
    }

    pub fn watch(current: RwSignal<Option<AgentAvailability>>, apply: impl Fn(AvailabilityForUpdate) + Copy + 'static) {
        let written = StoredValue::new(0.0f64);
        let on_input = move || {
            let now = js_sys::Date::now();
            if now - written.get_value() >= WRITE_EVERY {
                written.set_value(now);
                if let Some(s) = storage() {
                    let _ = s.set_item(KEY, &now.to_string());
                }
            }
            if current.get_untracked().is_some_and(|a| a.auto && a.status == Availability::Away) {
                apply(AvailabilityForUpdate { status: Some(Availability::Online), ..Default::default() });
            }
        };
        on_input();
        for event in ["pointerdown", "keydown", "pointermove", "wheel", "focus"] {
            let handle = window_event_listener_untyped(event, move |_| on_input());
            on_cleanup(move || handle.remove());
        }
        let check = move || {
            let Some(a) = current.get_untracked() else { return };
            if a.status != Availability::Online || a.away_after_minutes == 0 {
                return;
            }
            let idle = js_sys::Date::now() - last_input().max(written.get_value());
            if idle >= f64::from(a.away_after_minutes) * 60_000.0 {
                apply(AvailabilityForUpdate { status: Some(Availability::Away), auto: true, ..Default::default() });
            }
        };
        if let Ok(handle) = set_interval_with_handle(check, std::time::Duration::from_secs(20)) {
            on_cleanup(move || handle.clear());
        }
    }
}
