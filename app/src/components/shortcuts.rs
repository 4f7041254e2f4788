//! Keyboard shortcuts across the dashboard, and the overlay that lists them (`?`). Keys typed into a field are the
//! field's; a shortcut never fires with Ctrl, Alt or Meta held (those belong to the browser). Actions on the open
//! chat (reply, resolve, assign to me) are handed to the conversation page through [`Shortcuts::command`].

use leptos::prelude::*;
use protocol::{ChatStatus, ChatSummary};

use crate::realtime::Realtime;

/// What the conversation page does when asked from the keyboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    Reply,
    Resolve,
    AssignToMe,
}

#[derive(Clone, Copy)]
pub struct Shortcuts {
    /// The last command, numbered so the same one twice is heard twice.
    pub command: RwSignal<Option<(Command, u32)>>,
    pub help: RwSignal<bool>,
}

impl Shortcuts {
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn send(&self, command: Command) {
        let n = self.command.get_untracked().map(|(_, n)| n + 1).unwrap_or(0);
        self.command.set(Some((command, n)));
    }
}

/// Each shortcut: its keys as shown, and what it does.
pub const KEYS: [(&str, &str); 8] = [
    ("j", "Next chat"),
    ("k", "Previous chat"),
    ("r", "Reply to the open chat"),
    ("a", "Assign the open chat to me"),
    ("e", "Resolve the open chat"),
    ("/", "Search conversations"),
    ("i", "Go to the inbox"),
    ("?", "Show or hide this list"),
];

/// The chats the keyboard moves through, in the inbox's order: open ones, waiting before ongoing, each oldest first.
pub fn queue(rt: &Realtime) -> Vec<ChatSummary> {
    let left = rt.left.get();
    let mut open: Vec<ChatSummary> = rt.chats.with(|chats| {
        chats
            .values()
            .filter(|c| matches!(c.status, ChatStatus::Waiting | ChatStatus::Ongoing) && !left.contains(&c.website_id))
            .cloned()
            .collect()
    });
    open.sort_by(|a, b| {
        (a.status != ChatStatus::Waiting, &a.started_at).cmp(&(b.status != ChatStatus::Waiting, &b.started_at))
    });
    open
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
/// The chat `step` places from `current` in [`queue`] (the first or last when there is no current one).
fn neighbour(rt: &Realtime, current: Option<&str>, step: isize) -> Option<String> {
    let list = untrack(|| queue(rt));
    if list.is_empty() {
        return None;
    }
    let at = current.and_then(|id| list.iter().position(|c| c.id == id));
    let next = match at {
        Some(i) => i as isize + step,
        None if step > 0 => 0,
        None => list.len() as isize - 1,
    };
    usize::try_from(next).ok().and_then(|i| list.get(i)).map(|c| c.id.clone())
}

/// Listens to the keyboard (browser only) and draws the help overlay when asked.
#[component]
pub fn KeyboardShortcuts() -> impl IntoView {
    let rt = expect_context::<Realtime>();
    let shortcuts = Shortcuts { command: RwSignal::new(None), help: RwSignal::new(false) };
    provide_context(shortcuts);
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let navigate = leptos_router::hooks::use_navigate();
        let handle = window_event_listener(leptos::ev::keydown, move |ev: web_sys::KeyboardEvent| {
            if ev.ctrl_key() || ev.alt_key() || ev.meta_key() || ev.default_prevented() {
                return;
            }
            let key = ev.key();
            if key == "Escape" && shortcuts.help.get_untracked() {
                shortcuts.help.set(false);
                return;
            }
            // Typing into a field (or a select, or a contenteditable) is not a shortcut.
            let in_field = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).is_some_and(|el| {
                matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                    || el.closest("[contenteditable]").ok().flatten().is_some()
            });
            if in_field {
                return;
            }
            let go = |path: &str| navigate(path, Default::default());
            match key.as_str() {
                "?" => shortcuts.help.update(|h| *h = !*h),
                "j" | "k" => {
                    let current = rt.open_chat.get_untracked();
                    if let Some(id) = neighbour(&rt, current.as_deref(), if key == "j" { 1 } else { -1 }) {
                        go(&format!("/admin/chats/{id}"));
                    }
                }
                "r" => shortcuts.send(Command::Reply),
                "a" => shortcuts.send(Command::AssignToMe),
                "e" => shortcuts.send(Command::Resolve),
                "i" => go("/admin/chats"),
                "/" => match document().get_element_by_id("search-input") {
                    Some(input) => {
                        if let Ok(input) = input.dyn_into::<web_sys::HtmlElement>() {
                            let _ = input.focus();
                        }
                    }
                    None => go("/admin/chats?search=1"),
                },
                _ => return,
            }
            ev.prevent_default();
        });
        on_cleanup(move || handle.remove());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = rt;
    view! {
        <button type="button" class="button secondary small shortcuts-button" id="shortcuts-button"
            aria-haspopup="dialog" on:click=move |_| shortcuts.help.set(true) title="Keyboard shortcuts (?)">
            <span aria-hidden="true">"⌨"</span><span class="visually-hidden">"Keyboard shortcuts"</span>
        </button>
        {move || shortcuts.help.get().then(|| view! {
            <div class="overlay" on:click=move |_| shortcuts.help.set(false)>
                <div class="card shortcuts-help" id="shortcuts-help" role="dialog" aria-modal="true" aria-labelledby="shortcuts-title"
                    on:click=|ev| ev.stop_propagation()>
                    <h2 id="shortcuts-title">"Keyboard shortcuts"</h2>
                    <dl>
                        {KEYS.iter().map(|(keys, what)| view! { <dt><kbd>{*keys}</kbd></dt><dd>{*what}</dd> }).collect_view()}
                    </dl>
                    <p class="muted small">"Keys typed into a field stay in the field. Esc closes this list."</p>
                    <button type="button" class="button primary small" id="shortcuts-close" autofocus
                        on:click=move |_| shortcuts.help.set(false)>"Close"</button>
                </div>
            </div>
        })}
    }
    .into_any()
}
