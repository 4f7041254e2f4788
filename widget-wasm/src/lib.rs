//! The visitor chat widget. `/widget.js` (the loader) draws the launcher in a shadow root and calls
//! `start` with that root; everything drawn here lives inside it, so neither the host page's CSS nor the site's
//! custom CSS (which is applied inside the root) can reach out. It speaks the hub's protocol (`docs/protocol.md`)
//! over one WebSocket: messages are shown as sent at once, kept in an outbox until acknowledged, re-sent with the
//! same client id after a reconnect (the server stores each once), and missed messages come back by resuming from
//! the last seq. The visitor token lives in localStorage, so a reload or a later visit restores the conversation.

mod forms;
mod js;
mod outbox;
mod socket;
mod ui;
mod upload;
pub(crate) mod wire;

use std::cell::RefCell;
use std::rc::Rc;

use js::{get, get_str};
use wasm_bindgen::prelude::*;
use web_sys::{
    CloseEvent, Element, HtmlElement, HtmlInputElement, HtmlTextAreaElement, KeyboardEvent, MessageEvent, ShadowRoot,
    WebSocket,
};

const CSS: &str = include_str!("widget.css");
const BACKOFF_MAX_MS: i32 = 30_000;
const TYPING_EVERY_MS: f64 = 1_000.0;

thread_local! {
    static WIDGET: RefCell<Option<Rc<Widget>>> = const { RefCell::new(None) };
}

struct Ui {
    launcher: HtmlElement,
    panel: Element,
    status: Element,
    log: Element,
    typing: Element,
    composer: Element,
    input: HtmlTextAreaElement,
    file: HtmlInputElement,
    /// The offline or the pre-chat form, shown instead of the composer, and "Email me this chat": filled by the
    /// forms module when first shown.
    form: Element,
    mail_button: Element,
    mail: Element,
}

struct Pending {
    client_id: String,
    content: String,
    node: Element,
}

#[derive(Default)]
struct State {
    token: Option<String>,
    /// The website's signed token for its signed-in customer, handed over by the page.
    identity: Option<String>,
    chat_id: Option<String>,
    last_seq: i64,
    socket: Option<WebSocket>,
    connected: bool,
    /// The server refused this key or page: stop trying.
    refused: bool,
    /// The server closed the socket because the website's key or state changed (4003): if this page is refused
    /// now, the widget goes away.
    gone: bool,
    /// The outbox is sent again shortly (the server asked to slow down).
    flush_due: bool,
    attempts: i32,
    outbox: Vec<Pending>,
    open: bool,
    unread: i64,
    typing_sent_at: f64,
    typing_timer: Option<i32>,
    agent_typing_timer: Option<i32>,
    reported_page: bool,
    /// How far an agent has read the chat (the visitor's messages up to it show "Read").
    agent_read: i64,
    /// How far this visitor was reported to have seen the chat.
    seen_sent: i64,
    /// The pre-chat form was answered on this page.
    prechat_done: bool,
    /// The chat that just ended, for the rating the forms module asks for.
    ended_chat: Option<String>,
}

struct Widget {
    base: String,
    key: String,
    online: bool,
    /// `/api/widget/config`'s answer (the forms module reads its texts and the pre-chat form there).
    config: JsValue,
    /// The loader's `emit(name, detail)`: the page's `Helpdesk.on` listeners.
    emit: js_sys::Function,
    /// The loader's `forms(ctx)`: imports the forms module and shows a form (`forms.rs`).
    forms: js_sys::Function,
    /// The forms module's way back (`Widget::form_done`).
    forms_done: JsValue,
    ui: Ui,
    state: RefCell<State>,
}

/// Mounts the chat into `root`. `launcher` is the loader's button; `config` the answer of `/api/widget/config`;
/// `emit` tells the page's listeners (`Helpdesk.on`); `forms` shows a form from the forms module.
// Called once by the loader: positional arguments cost less than an options object read back field by field.
#[allow(clippy::too_many_arguments)]
#[wasm_bindgen]
pub fn start(
    root: ShadowRoot,
    launcher: HtmlElement,
    base: String,
    key: String,
    config: JsValue,
    open: bool,
    identity: Option<String>,
    emit: js_sys::Function,
    forms: js_sys::Function,
) -> Result<(), JsValue> {
    let ui = ui::build(&root, launcher, &config)?;
    let saved = js::storage_get(&storage_key(&key));
    let state = State { token: get_str(&saved, "t"), identity, ..State::default() };
    let widget = Rc::new(Widget {
        base,
        key,
        online: get(&config, "online").as_bool() != Some(false),
        config,
        emit,
        forms,
        forms_done: Closure::<dyn FnMut(String, JsValue) -> JsValue>::new(|action: String, value: JsValue| {
            WIDGET.with(|w| w.borrow().clone()).map(|w| w.form_done(&action, &value)).unwrap_or(JsValue::UNDEFINED)
        })
        .into_js_value(),
        ui,
        state: RefCell::new(state),
    });
    // Messages written but not yet acknowledged before the page went away: shown again, sent on connect (their
    // client ids make a second copy impossible).
    let outbox = get(&saved, "o");
    if js_sys::Array::is_array(&outbox) {
        for item in js_sys::Array::from(&outbox).iter().filter(js_sys::Array::is_array) {
            let item = js_sys::Array::from(&item);
            if let (Some(cid), Some(content)) = (item.get(0).as_string(), item.get(1).as_string()) {
                widget.pending(cid, content);
            }
        }
    }
    ui::wire_events(&widget);
    widget.show_mode();
    WIDGET.with(|w| *w.borrow_mut() = Some(widget.clone()));
    widget.set_open(open);
    widget.connect();
    Ok(())
}

/// Opens or closes the chat (the launcher's click).
#[wasm_bindgen]
pub fn toggle() {
    with(|w| {
        let open = w.state.borrow().open;
        w.set_open(!open)
    });
}

#[wasm_bindgen]
pub fn set_open(open: bool) {
    with(|w| w.set_open(open));
}

/// The page signed its customer in or out (`Helpdesk.identify`): the session starts again as them, or as nobody.
#[wasm_bindgen]
pub fn identify(identity: Option<String>) {
    with(|w| w.identify(identity));
}

fn with(f: impl FnOnce(&Rc<Widget>)) {
    if let Some(w) = WIDGET.with(|w| w.borrow().clone()) {
        f(&w);
    }
}

fn storage_key(key: &str) -> String {
    let mut k = String::from("helpdesk:");
    k.push_str(key);
    k
}

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
