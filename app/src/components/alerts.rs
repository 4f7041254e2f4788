//! Alerts: a chime and a browser notification for a new chat, for a visitor's message in one of the user's chats,
//! and for a chat handed to them; repeated while chats wait for them (the user's repeat time); the count of those
//! chats in the tab title and beside the Chats link. The settings are the user's own (`/api/me/notifications`),
//! changed from the bell in the top bar.
//!
//! Nothing alerts a user who chose offline; while away, only their own chats do.
//!
//! Browsers play sound only after the page has had a click or a key press: the audio is unlocked on the first one,
//! and until then the bell says so and offers the click.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use protocol::{ChatSummary, NotificationSettings, NotificationSettingsForUpdate};

use crate::error::AppError;
use crate::realtime::Realtime;

#[leptos::server(prefix = "/sfn", endpoint = "my_notifications", input = Json)]
pub async fn my_notifications() -> Result<NotificationSettings, AppError> {
    use crate::server::{request::with_ctx, services::notification_settings};
    with_ctx(|state, ctx| async move { notification_settings::get(&ctx, &state).await }).await
}

#[leptos::server(prefix = "/sfn", endpoint = "set_notifications", input = Json)]
pub async fn set_notifications(change: NotificationSettingsForUpdate) -> Result<NotificationSettings, AppError> {
    use crate::server::{request::with_ctx, services::notification_settings};
    with_ctx(|state, ctx| async move { notification_settings::update(&ctx, &state, change).await }).await
}

/// What an alert is about.
pub enum Alert<'a> {
    NewChat(&'a ChatSummary),
    /// A visitor's message in one of the user's chats.
    Message(&'a ChatSummary, &'a str),
    /// A chat was assigned to the user (by routing, a transfer, an admin).
    Assigned(&'a ChatSummary),
    /// This many chats still wait for the user.
    Reminder(usize),
}

/// The repeat times offered, in seconds (0: once).
const REPEAT_CHOICES: [u16; 5] = [0, 30, 60, 120, 300];

fn repeat_label(seconds: u16) -> String {
    match seconds {
        0 => "Once".into(),
        s if s % 60 == 0 => format!("Every {} min", s / 60),
        s => format!("Every {s} s"),
    }
}

/// Plays and shows `alert` as the user's settings say.
pub fn alert(rt: &Realtime, alert: Alert<'_>) {
    #[cfg(feature = "hydrate")]
    browser::alert(rt, alert);
    #[cfg(not(feature = "hydrate"))]
    let _ = (rt, alert);
}

/// The bell in the top bar: the user's notification settings, the autoplay switch, and the reminder timer.
#[component]
pub fn AlertsMenu() -> impl IntoView {
    let rt = expect_context::<Realtime>();
    let error = RwSignal::new(None::<String>);
    let loaded = RwSignal::new(false);
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            if let Ok(s) = my_notifications().await {
                rt.alert_settings.set(s);
                loaded.set(true);
            }
        })
    });
    let apply = move |change: NotificationSettingsForUpdate| {
        leptos::task::spawn_local(async move {
            match set_notifications(change).await {
                Ok(s) => {
                    rt.alert_settings.set(s);
                    error.set(None);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    #[cfg(feature = "hydrate")]
    browser::watch(rt);

    let settings = move || rt.alert_settings.get();
    let on = move || settings().sound || settings().desktop;
    let label = move || match (on(), rt.sound_blocked.get() && settings().sound) {
        (false, _) => "Alerts off",
        (true, true) => "Click to allow sound",
        (true, false) => "Alerts on",
    };
    let set_desktop = move |wanted: bool| {
        #[cfg(feature = "hydrate")]
        if wanted {
            browser::ask_permission(rt);
        }
        apply(NotificationSettingsForUpdate { desktop: Some(wanted), ..Default::default() });
    };
    view! {
        <details class="availability alerts" id="alerts">
            <summary title="Notifications" on:click=move |_| rt.sound_blocked.set(false)>
                <BellIcon on=Signal::derive(on)/>
                <span class="visually-hidden">"Notifications: "</span>
                <span id="alerts-label" data-loaded=move || loaded.get().to_string()>{label}</span>
            </summary>
            <div class="availability-menu" role="group" aria-label="Notifications">
                <label class="check">
                    <input type="checkbox" id="alert-sound" prop:checked=move || settings().sound
                        on:change=move |ev| apply(NotificationSettingsForUpdate { sound: Some(event_target_checked(&ev)), ..Default::default() })/>
                    "Sound"
                </label>
                <label class="check">
                    <input type="checkbox" id="alert-desktop" prop:checked=move || settings().desktop
                        on:change=move |ev| set_desktop(event_target_checked(&ev))/>
                    "Browser notifications"
                </label>
                {move || (settings().desktop && rt.notifications_denied.get()).then(|| view! {
                    <p class="muted small" id="alerts-denied">"This browser blocks notifications for this site: allow them in its site settings."</p>
                })}
                <label class="availability-idle">
                    "While a chat waits for you"
                    <select id="alert-repeat" on:change=move |ev| {
                        if let Ok(s) = event_target_value(&ev).parse::<u16>() {
                            apply(NotificationSettingsForUpdate { repeat_seconds: Some(s), ..Default::default() });
                        }
                    }>
                        {move || {
                            let chosen = settings().repeat_seconds;
                            let mut choices = REPEAT_CHOICES.to_vec();
                            if !choices.contains(&chosen) {
                                choices.push(chosen);
                                choices.sort_unstable();
                            }
                            choices.into_iter().map(|s| view! {
                                <option value=s.to_string() selected=s == chosen>{repeat_label(s)}</option>
                            }).collect_view()
                        }}
                    </select>
                </label>
                <button type="button" class="button secondary small" id="alert-test" on:click=move |_| alert(&rt, Alert::Reminder(0))>
                    "Test"
                </button>
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            </div>
        </details>
    }
    .into_any()
}

/// A bell, struck through while alerts are off (drawn, so it shows without an emoji font).
#[component]
fn BellIcon(on: Signal<bool>) -> impl IntoView {
    view! {
        <svg viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
            <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9"/>
            <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0"/>
            {move || (!on.get()).then(|| view! { <path d="M3 3l18 18"/> })}
        </svg>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::{Cell, RefCell};

    use leptos::prelude::*;
    use wasm_bindgen::prelude::*;
    use web_sys::{AudioContext, AudioContextState, Notification, NotificationOptions, NotificationPermission};

    use protocol::Availability;

    use super::Alert;
    use crate::realtime::Realtime;

    thread_local! {
        static AUDIO: RefCell<Option<AudioContext>> = const { RefCell::new(None) };
        /// When this tab last alerted (ms).
        static LAST: Cell<f64> = const { Cell::new(0.0) };
    }

    /// Tabs of the same user share one chime: the last one's time, in localStorage.
    const LAST_KEY: &str = "helpdesk-last-alert";

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    /// The audio context, created (and resumed) on a click or key press, when browsers allow it.
    fn unlock() {
        AUDIO.with(|a| {
            let mut a = a.borrow_mut();
            if a.is_none() {
                *a = AudioContext::new().ok();
            }
            if let Some(ctx) = a.as_ref().filter(|c| c.state() != AudioContextState::Running) {
                let _ = ctx.resume();
            }
        });
    }

    fn running() -> Option<AudioContext> {
        AUDIO.with(|a| a.borrow().as_ref().filter(|c| c.state() == AudioContextState::Running).cloned())
    }

    /// Whether the user is looking at this tab.
    fn in_view() -> bool {
        let doc = document();
        !doc.hidden() && doc.has_focus().unwrap_or(false)
    }

    pub fn ask_permission(rt: Realtime) {
        if Notification::permission() == NotificationPermission::Default {
            if let Ok(p) = Notification::request_permission() {
                leptos::task::spawn_local(async move {
                    let _ = wasm_bindgen_futures::JsFuture::from(p).await;
                    rt.notifications_denied.set(Notification::permission() == NotificationPermission::Denied);
                });
            }
        }
    }

    /// Unlocks the audio on the first input, and repeats an alert while chats wait for the user.
    pub fn watch(rt: Realtime) {
        // After hydration (an effect): the server rendered the menu without knowing the browser's permission.
        Effect::new(move |_| {
            rt.notifications_denied.set(Notification::permission() == NotificationPermission::Denied);
        });
        for event in ["pointerdown", "keydown"] {
            let handle = window_event_listener_untyped(event, move |_| {
                unlock();
                if running().is_some() {
                    rt.sound_blocked.set(false);
                }
            });
            on_cleanup(move || handle.remove());
        }
        let remind = move || {
            let repeat = f64::from(rt.alert_settings.get_untracked().repeat_seconds) * 1000.0;
            let waiting = rt.attention_untracked();
            if repeat > 0.0 && waiting > 0 && js_sys::Date::now() - LAST.get() >= repeat {
                alert(&rt, Alert::Reminder(waiting));
            }
        };
        if let Ok(handle) = set_interval_with_handle(remind, std::time::Duration::from_secs(5)) {
            on_cleanup(move || handle.clear());
        }
    }

    pub fn alert(rt: &Realtime, alert: Alert<'_>) {
        let settings = rt.alert_settings.get_untracked();
        let now = js_sys::Date::now();
        let (title, body, tag, href) = match alert {
            Alert::NewChat(chat) => (
                "New chat".to_string(),
                crate::realtime::chat_label(chat) + " is waiting for an answer.",
                chat.id.clone(),
                format!("/admin/chats/{}", chat.id),
            ),
            Alert::Message(chat, text) => (
                format!("{} wrote", crate::realtime::chat_label(chat)),
                text.chars().take(140).collect(),
                chat.id.clone(),
                format!("/admin/chats/{}", chat.id),
            ),
            Alert::Assigned(chat) => (
                "A chat was assigned to you".to_string(),
                crate::realtime::chat_label(chat),
                chat.id.clone(),
                format!("/admin/chats/{}", chat.id),
            ),
            Alert::Reminder(n) => (
                match n {
                    0 => "Notifications work".to_string(),
                    1 => "1 chat is waiting for you".to_string(),
                    n => format!("{n} chats are waiting for you"),
                },
                "Open Helpdesk to answer.".to_string(),
                "helpdesk-reminder".to_string(),
                "/admin/chats?view=mine".to_string(),
            ),
        };
        let test = matches!(alert, Alert::Reminder(0));
        // Offline: no alerts; away: only what concerns the user's own chats.
        match (rt.own_status.get_untracked(), &alert) {
            (Some(Availability::Offline), _) if !test => return,
            (Some(Availability::Away), Alert::NewChat(_) | Alert::Reminder(1..)) => return,
            _ => {}
        }
        // A message in the chat the user is reading needs no alert.
        if let Alert::Message(chat, _) = &alert {
            if in_view() && rt.open_chat.get_untracked().as_deref() == Some(chat.id.as_str()) {
                return;
            }
        }
        LAST.set(now);
        // Another tab of this user chimed a moment ago: one chime is enough.
        let other_tab = storage()
            .and_then(|s| s.get_item(LAST_KEY).ok().flatten())
            .and_then(|v| v.parse::<f64>().ok())
            .is_some_and(|t| now - t < 1500.0);
        if let Some(s) = storage() {
            let _ = s.set_item(LAST_KEY, &now.to_string());
        }
        if settings.sound && (test || !other_tab) {
            match running() {
                Some(ctx) => chime(&ctx),
                None => rt.sound_blocked.set(true),
            }
        }
        if settings.desktop && (test || (!in_view() && !other_tab)) {
            show(&title, &body, &tag, href);
        }
    }

    fn show(title: &str, body: &str, tag: &str, href: String) {
        if Notification::permission() != NotificationPermission::Granted {
            return;
        }
        let options = NotificationOptions::new();
        options.set_body(body);
        options.set_tag(tag);
        let Ok(n) = Notification::new_with_options(title, &options) else { return };
        let on_click = Closure::once_into_js(move || {
            if let Some(w) = web_sys::window() {
                let _ = w.focus();
                let _ = w.location().set_href(&href);
            }
        });
        n.set_onclick(Some(on_click.unchecked_ref()));
    }

    /// Two soft tones from WebAudio (no sound file to download).
    fn chime(ctx: &AudioContext) {
        let now = ctx.current_time();
        for (i, freq) in [880.0f32, 1320.0].into_iter().enumerate() {
            let (Ok(osc), Ok(gain)) = (ctx.create_oscillator(), ctx.create_gain()) else { return };
            let start = now + i as f64 * 0.12;
            osc.frequency().set_value(freq);
            let _ = gain.gain().set_value_at_time(0.0001, start);
            let _ = gain.gain().exponential_ramp_to_value_at_time(0.2, start + 0.02);
            let _ = gain.gain().exponential_ramp_to_value_at_time(0.0001, start + 0.25);
            let _ = osc.connect_with_audio_node(&gain);
            let _ = gain.connect_with_audio_node(&ctx.destination());
            let _ = osc.start_with_when(start);
            let _ = osc.stop_with_when(start + 0.3);
        }
    }
}
