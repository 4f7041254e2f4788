//! The visitor chat widget. `/widget.js` (the loader) draws the launcher in a shadow root and calls
//! `start` with that root; everything drawn here lives inside it, so neither the host page's CSS nor the site's
//! custom CSS (which is applied inside the root) can reach out. It speaks the hub's protocol (`docs/protocol.md`)
//! over one WebSocket: messages are shown as sent at once, kept in an outbox until acknowledged, re-sent with the
//! same client id after a reconnect (the server stores each once), and missed messages come back by resuming from
//! the last seq. The visitor token lives in localStorage, so a reload or a later visit restores the conversation.

mod js;

use std::cell::RefCell;
use std::rc::Rc;

use js::{add, attr, el, get, get_num, get_str, num, obj, on, text};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    CloseEvent, Element, HtmlElement, HtmlInputElement, HtmlTextAreaElement, KeyboardEvent, MessageEvent, ShadowRoot,
    WebSocket,
};

const CSS: &str = include_str!("widget.css");
const BACKOFF_MAX_MS: i32 = 30_000;
const TYPING_EVERY_MS: f64 = 2_500.0;

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
    offline: Element,
    offline_error: Element,
}

struct Pending {
    client_id: String,
    content: String,
    node: Element,
}

#[derive(Default)]
struct State {
    token: Option<String>,
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
}

struct Widget {
    base: String,
    key: String,
    online: bool,
    ui: Ui,
    state: RefCell<State>,
}

/// Mounts the chat into `root`. `launcher` is the loader's button; `config` the answer of `/api/widget/config`.
#[wasm_bindgen]
pub fn start(
    root: ShadowRoot,
    launcher: HtmlElement,
    base: String,
    key: String,
    config: JsValue,
    open: bool,
) -> Result<(), JsValue> {
    let ui = build(&root, launcher, &config)?;
    let saved = js::storage_get(&storage_key(&key));
    let state = State { token: get_str(&saved, "t"), ..State::default() };
    let widget = Rc::new(Widget {
        base,
        key,
        online: get(&config, "online").as_bool() != Some(false),
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
    wire(&widget);
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

/// `#abc` or `#aabbcc` only: the color goes into CSS.
fn safe_color(c: &str) -> &str {
    let hex = c.strip_prefix('#').unwrap_or("");
    if (hex.len() == 3 || hex.len() == 6) && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        c
    } else {
        "#2563eb"
    }
}

fn build(root: &ShadowRoot, launcher: HtmlElement, config: &JsValue) -> Result<Ui, JsValue> {
    let color = get_str(config, "primaryColor").unwrap_or_default();
    let mut vars = String::from(":host{--hd-color:");
    vars.push_str(safe_color(&color));
    vars.push('}');
    let style = el("style", "");
    text(&style, &vars);
    root.append_child(&style)?;
    let base_css = el("style", "");
    text(&base_css, CSS);
    root.append_child(&base_css)?;
    // The site's own CSS comes last, so it can restyle the widget; inside the shadow root it reaches nothing else.
    let custom = get_str(config, "customCss").unwrap_or_default();
    if !custom.trim().is_empty() {
        let site_css = el("style", "hd-custom");
        text(&site_css, &custom);
        root.append_child(&site_css)?;
    }

    let mut classes = String::from("hd-panel");
    if get_str(config, "position").as_deref() == Some("bottom-left") {
        classes.push_str(" hd-left");
    }
    if get_str(config, "widgetSize").as_deref() == Some("compact") {
        classes.push_str(" hd-compact");
    }
    let panel = el("section", &classes);
    attr(&panel, "role", "dialog");
    attr(&panel, "aria-labelledby", "hd-title");
    attr(&panel, "id", "hd-panel");
    attr(&panel, "hidden", "");

    let head = el("header", "hd-head");
    let title = el("h2", "");
    attr(&title, "id", "hd-title");
    text(&title, "Chat with us");
    let close = el("button", "hd-close");
    attr(&close, "type", "button");
    attr(&close, "aria-label", "Close chat");
    text(&close, "×");
    add(&head, &title);
    add(&head, &close);
    on(&close, "click", |_| set_open(false));

    let status = el("p", "hd-status");
    attr(&status, "role", "status");
    let log = el("ol", "hd-log");
    attr(&log, "role", "log");
    attr(&log, "aria-live", "polite");
    attr(&log, "aria-label", "Messages");
    let welcome = get_str(config, "welcomeMessage").unwrap_or_default();
    if !welcome.trim().is_empty() {
        let li = el("li", "hd-m hd-agent hd-welcome");
        let bubble = el("div", "hd-bubble");
        text(&bubble, &welcome);
        add(&li, &bubble);
        add(&log, &li);
    }
    let typing = el("p", "hd-typing");
    attr(&typing, "aria-live", "polite");

    let composer = el("form", "hd-composer");
    let attach = el("label", "hd-attach");
    attr(&attach, "title", "Attach a file or image");
    let file: HtmlInputElement = el("input", "hd-file").dyn_into()?;
    file.set_type("file");
    attr(&file, "aria-label", "Attach a file or image");
    attr(&file, "accept", "image/png,image/jpeg,image/gif,image/webp,application/pdf,.zip,.docx,.xlsx,.pptx,.txt");
    add(&attach, &file);
    let clip = el("span", "");
    attr(&clip, "aria-hidden", "true");
    text(&clip, "+");
    add(&attach, &clip);
    let input: HtmlTextAreaElement = el("textarea", "hd-input").dyn_into()?;
    attr(&input, "aria-label", "Your message");
    attr(&input, "placeholder", "Write a message…");
    attr(&input, "rows", "1");
    attr(&input, "maxlength", "5000");
    let send = el("button", "hd-send");
    attr(&send, "type", "submit");
    text(&send, "Send");
    add(&composer, &attach);
    add(&composer, &input);
    add(&composer, &send);

    let offline = el("form", "hd-offline");
    attr(&offline, "hidden", "");
    attr(&offline, "novalidate", "");
    let note = el("p", "hd-offline-note");
    text(&note, &get_str(config, "offlineMessage").unwrap_or_default());
    add(&offline, &note);
    for (name, label, kind, auto) in [
        ("name", "Your name", "text", "name"),
        ("email", "Your email", "email", "email"),
        ("message", "Your message", "", ""),
    ] {
        let l = el("label", "");
        let span = el("span", "");
        text(&span, label);
        add(&l, &span);
        let field = if kind.is_empty() { el("textarea", "") } else { el("input", "") };
        attr(&field, "name", name);
        attr(&field, "required", "");
        if !kind.is_empty() {
            attr(&field, "type", kind);
            attr(&field, "autocomplete", auto);
            attr(&field, "maxlength", if name == "name" { "100" } else { "255" });
        } else {
            attr(&field, "maxlength", "5000");
            attr(&field, "rows", "4");
        }
        add(&l, &field);
        add(&offline, &l);
    }
    let offline_error = el("p", "hd-error");
    attr(&offline_error, "role", "alert");
    add(&offline, &offline_error);
    let leave = el("button", "hd-send");
    attr(&leave, "type", "submit");
    text(&leave, "Leave a message");
    add(&offline, &leave);

    for part in [&head, &status, &log, &typing, &composer, &offline] {
        add(&panel, part);
    }
    root.append_child(&panel)?;
    attr(&launcher, "aria-controls", "hd-panel");
    attr(&launcher, "aria-expanded", "false");
    Ok(Ui { launcher, panel, status, log, typing, composer, input, file, offline, offline_error })
}

fn wire(w: &Rc<Widget>) {
    let ui = &w.ui;
    let me = w.clone();
    on(&ui.composer, "submit", move |e| {
        e.prevent_default();
        me.send_draft();
    });
    let me = w.clone();
    on(&ui.input, "keydown", move |e| {
        let k: &KeyboardEvent = e.unchecked_ref();
        if k.key() == "Enter" && !k.shift_key() {
            e.prevent_default();
            me.send_draft();
        }
    });
    let me = w.clone();
    on(&ui.input, "input", move |_| me.typed());
    let me = w.clone();
    on(&ui.panel, "keydown", move |e| {
        let k: &KeyboardEvent = e.unchecked_ref();
        if k.key() == "Escape" {
            me.set_open(false);
            let _ = me.ui.launcher.focus();
        }
    });
    let me = w.clone();
    on(&ui.file, "change", move |_| me.upload_selected());
    let me = w.clone();
    on(&ui.offline, "submit", move |e| {
        e.prevent_default();
        me.leave_offline();
    });
    let win = js::window();
    let me = w.clone();
    on(&win, "online", move |_| {
        me.state.borrow_mut().attempts = 0;
        if me.state.borrow().connected {
            me.set_status("");
        } else if me.state.borrow().socket.is_none() {
            me.connect();
        }
    });
    let me = w.clone();
    on(&win, "offline", move |_| me.set_status("You are offline. Messages will be sent when the connection is back."));
}

impl Widget {
    fn url(&self, path: &str) -> String {
        let mut u = self.base.clone();
        u.push_str(path);
        u.push_str(if path.contains('?') { "&apiKey=" } else { "?apiKey=" });
        u.push_str(&String::from(js_sys::encode_uri_component(&self.key)));
        u
    }

    fn save(&self) {
        let s = self.state.borrow();
        let active = s.chat_id.is_some() || !s.outbox.is_empty();
        let outbox = js_sys::Array::new();
        for p in &s.outbox {
            let pair = js_sys::Array::new();
            pair.push(&JsValue::from_str(&p.client_id));
            pair.push(&JsValue::from_str(&p.content));
            outbox.push(&pair);
        }
        let v = obj(&[("t", js::opt(s.token.as_deref())), ("c", JsValue::from_bool(active)), ("o", outbox.into())]);
        js::storage_set(&storage_key(&self.key), &v);
    }

    /// Shows a message as sending and keeps it in the outbox (and in storage) until it is acknowledged.
    fn pending(&self, client_id: String, content: String) {
        let node = self.bubble("visitor", &content);
        let _ = node.class_list().add_1("hd-pending");
        add(&self.ui.log, &node);
        self.state.borrow_mut().outbox.push(Pending { client_id, content, node });
        self.save();
    }

    fn set_open(&self, open: bool) {
        self.state.borrow_mut().open = open;
        if open {
            let _ = self.ui.panel.remove_attribute("hidden");
            self.state.borrow_mut().unread = 0;
            self.show_unread();
            if self.ui.offline.has_attribute("hidden") {
                let _ = self.ui.input.focus();
            }
            self.scroll();
        } else {
            attr(&self.ui.panel, "hidden", "");
        }
        attr(&self.ui.launcher, "aria-expanded", if open { "true" } else { "false" });
        attr(&self.ui.launcher, "aria-label", if open { "Close chat" } else { "Open chat" });
    }

    fn show_unread(&self) {
        let n = self.state.borrow().unread;
        if n > 0 {
            attr(&self.ui.launcher, "data-unread", &num(n));
        } else {
            let _ = self.ui.launcher.remove_attribute("data-unread");
        }
    }

    /// Offline form when the website is closed and no chat is going on; the chat otherwise.
    fn show_mode(&self) {
        let offline = !self.online && self.state.borrow().chat_id.is_none() && self.state.borrow().outbox.is_empty();
        let (show, hide) =
            if offline { (&self.ui.offline, &self.ui.composer) } else { (&self.ui.composer, &self.ui.offline) };
        let _ = show.remove_attribute("hidden");
        attr(hide, "hidden", "");
    }

    fn set_status(&self, message: &str) {
        text(&self.ui.status, message);
        if message.is_empty() {
            attr(&self.ui.status, "hidden", "");
        } else {
            let _ = self.ui.status.remove_attribute("hidden");
        }
    }

    fn scroll(&self) {
        self.ui.log.set_scroll_top(self.ui.log.scroll_height());
    }

    /// Starts (or continues) the visitor session, then opens the socket.
    fn connect(self: &Rc<Self>) {
        if self.state.borrow().refused {
            return;
        }
        let me = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let token = me.state.borrow().token.clone();
            let body = js::stringify(&obj(&[("visitorToken", js::opt(token.as_deref()))]));
            let url = me.url("/api/widget/session");
            match js::fetch_json(&url, "POST", Some(&JsValue::from_str(&body)), true, None).await {
                Ok((200, data)) => {
                    me.state.borrow_mut().gone = false;
                    me.state.borrow_mut().token = get_str(&data, "visitorToken");
                    me.save();
                    me.open_socket();
                }
                Ok((401 | 403, data)) => {
                    me.state.borrow_mut().refused = true;
                    me.set_status(&js::api_message(&data, "The chat is not available on this page."));
                }
                // Refusals carry no CORS headers, so the browser reports them as a failed request: right after the
                // server said the website changed, that is this page no longer being allowed.
                _ if me.state.borrow().gone => {
                    me.state.borrow_mut().refused = true;
                    me.ui.launcher.remove();
                    me.ui.panel.remove();
                }
                _ => me.retry(),
            }
        });
    }

    fn open_socket(self: &Rc<Self>) {
        let (token, socket_url) = {
            let s = self.state.borrow();
            let mut u = String::from(if self.base.starts_with("https:") { "wss:" } else { "ws:" });
            u.push_str(self.base.split_once(':').map(|(_, rest)| rest).unwrap_or_default());
            u.push_str("/ws");
            (s.token.clone().unwrap_or_default(), u)
        };
        let mut url = socket_url;
        url.push_str("?apiKey=");
        url.push_str(&String::from(js_sys::encode_uri_component(&self.key)));
        // The token rides in Sec-WebSocket-Protocol, never in the URL (proxies log URLs).
        let mut offered = String::from("helpdesk.visitor-token.");
        offered.push_str(&token);
        let protocols = js_sys::Array::of2(&"helpdesk.v1".into(), &offered.into());
        let Ok(ws) = WebSocket::new_with_str_sequence(&url, &protocols) else { return self.retry() };
        let me = self.clone();
        let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            if let Some(t) = e.data().as_string() {
                me.on_event(&js::parse(&t));
            }
        });
        ws.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
        onmessage.forget();
        let me = self.clone();
        let onclose = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
            {
                let mut s = me.state.borrow_mut();
                s.connected = false;
                s.socket = None;
                s.gone = e.code() == 4003;
            }
            me.retry();
        });
        ws.set_onclose(Some(onclose.as_ref().unchecked_ref()));
        onclose.forget();
        self.state.borrow_mut().socket = Some(ws);
    }

    /// Reconnects after 1, 2, 4 … 30 seconds, with jitter so a restarted server is not hit all at once.
    fn retry(self: &Rc<Self>) {
        let delay = {
            let mut s = self.state.borrow_mut();
            s.attempts += 1;
            let exp = 1000i32.saturating_mul(1 << (s.attempts - 1).clamp(0, 5));
            let base = exp.min(BACKOFF_MAX_MS);
            base / 2 + (js_sys::Math::random() * f64::from(base / 2)) as i32
        };
        let mut m = String::from("Connection lost. Reconnecting in ");
        m.push_str(&num(i64::from((delay + 999) / 1000)));
        m.push_str(" s…");
        self.set_status(&m);
        let me = self.clone();
        js::after(delay, move || {
            if !me.state.borrow().connected && me.state.borrow().socket.is_none() {
                me.connect();
            }
        });
    }

    fn send_event(&self, event: &js_sys::Object) -> bool {
        let s = self.state.borrow();
        match (&s.socket, s.connected) {
            (Some(ws), true) => ws.send_with_str(&js::stringify(event)).is_ok(),
            _ => false,
        }
    }

    fn on_event(self: &Rc<Self>, e: &JsValue) {
        match get_str(e, "type").as_deref() {
            Some("hello") => self.on_hello(e),
            Some("ack") => {
                let cid = get_str(e, "clientMsgId");
                self.adopt_chat(get_str(e, "chatId"));
                self.delivered(cid.as_deref(), get_num(e, "seq") as i64);
            }
            Some("new-message") => self.on_message(&get(e, "message")),
            Some("user-typing") if get_str(e, "senderType").as_deref() == Some("admin") => {
                text(&self.ui.typing, "An agent is typing…");
                let me = self.clone();
                let timer = js::after(8000, move || text(&me.ui.typing, ""));
                if let Some(old) = self.state.borrow_mut().agent_typing_timer.replace(timer) {
                    js::cancel(old);
                }
            }
            Some("user-stopped-typing") if get_str(e, "senderType").as_deref() == Some("admin") => {
                text(&self.ui.typing, "");
            }
            Some("chat-created") => self.adopt_chat(get_str(&get(e, "chat"), "id")),
            Some("chat-updated") => {
                let chat = get(e, "chat");
                let status = get_str(&chat, "status").unwrap_or_default();
                let current = self.state.borrow().chat_id == get_str(&chat, "id");
                if current && (status == "closed" || status == "resolved") {
                    self.system_line("This chat has ended. Write again any time to start a new one.");
                    self.state.borrow_mut().chat_id = None;
                    self.save();
                }
            }
            Some("error") => {
                let mut m = String::from("Not sent: ");
                m.push_str(&get_str(e, "message").unwrap_or_default());
                // Too many messages at once: said once, above the log, and what waits in the outbox goes again
                // once allowed.
                let wait = get_num(e, "retryAfter");
                if wait <= 0.0 {
                    self.system_line(&m);
                } else if !self.state.borrow().flush_due {
                    self.state.borrow_mut().flush_due = true;
                    self.set_status(&m);
                    let me = self.clone();
                    js::after((wait * 1000.0) as i32, move || {
                        me.state.borrow_mut().flush_due = false;
                        me.set_status("");
                        me.flush_outbox();
                    });
                }
            }
            _ => {}
        }
    }

    fn on_hello(self: &Rc<Self>, e: &JsValue) {
        {
            let mut s = self.state.borrow_mut();
            s.connected = true;
            s.attempts = 0;
        }
        self.set_status("");
        if self.state.borrow().chat_id.is_none() {
            // The newest chat still going on (or left offline and perhaps answered) is the conversation.
            let chats = js_sys::Array::from(&get(e, "chats"));
            let current = chats
                .iter()
                .find(|c| matches!(get_str(c, "status").as_deref(), Some("waiting" | "ongoing" | "offline")));
            if let Some(c) = current {
                self.adopt_chat(get_str(&c, "id"));
            }
        }
        let (chat, last) = {
            let s = self.state.borrow();
            (s.chat_id.clone(), s.last_seq)
        };
        if let Some(chat) = chat {
            let chats = obj(&[(&chat, JsValue::from_f64(last as f64))]);
            self.send_event(&obj(&[("type", "resume".into()), ("chats", chats.into())]));
        }
        if !self.state.borrow().reported_page {
            self.state.borrow_mut().reported_page = true;
            let loc = js::window().location().href().unwrap_or_default();
            let title = js::document().title();
            self.send_event(&obj(&[("type", "page-view".into()), ("url", loc.into()), ("title", title.into())]));
        }
        // What was written while disconnected goes out now, under the same client ids: stored once.
        self.flush_outbox();
    }

    /// Sends every message not yet acknowledged, under its client id (a second copy is never stored).
    fn flush_outbox(&self) {
        let pending: Vec<(String, String)> =
            self.state.borrow().outbox.iter().map(|p| (p.client_id.clone(), p.content.clone())).collect();
        for (cid, content) in pending {
            self.transmit(&cid, &content);
        }
    }

    fn adopt_chat(&self, chat_id: Option<String>) {
        let Some(id) = chat_id else { return };
        let changed = {
            let mut s = self.state.borrow_mut();
            if s.chat_id.as_deref() == Some(id.as_str()) {
                false
            } else {
                s.chat_id = Some(id);
                s.last_seq = 0;
                true
            }
        };
        if changed {
            self.save();
            self.show_mode();
        }
    }

    fn on_message(self: &Rc<Self>, m: &JsValue) {
        let chat = get_str(m, "chatId");
        if self.state.borrow().chat_id.is_none() {
            self.adopt_chat(chat.clone());
        }
        if chat != self.state.borrow().chat_id {
            return;
        }
        let seq = get_num(m, "seq") as i64;
        if seq <= self.state.borrow().last_seq {
            return;
        }
        self.state.borrow_mut().last_seq = seq;
        let cid = get_str(m, "clientMsgId");
        let sender = get_str(m, "senderType").unwrap_or_default();
        let mine = sender == "visitor";
        // Our own message, shown when it was written: mark it delivered instead of drawing it twice.
        let pending = if mine { self.take_pending(cid.as_deref()) } else { None };
        let node =
            match pending {
                Some(node) => node,
                None => {
                    let node = self.bubble(&sender, &get_str(m, "content").unwrap_or_default());
                    // Messages still sending stay last, and the offline form's thanks stays below the message it
                    // thanks for, whichever arrived first.
                    let before =
                        self.ui.log.query_selector(".hd-pending").ok().flatten().or_else(|| {
                            self.ui.log.last_element_child().filter(|l| l.class_list().contains("hd-thanks"))
                        });
                    match before {
                        Some(next) => {
                            let _ = self.ui.log.insert_before(&node, Some(&next));
                        }
                        None => add(&self.ui.log, &node),
                    }
                    node
                }
            };
        let _ = node.class_list().remove_1("hd-pending");
        attr(&node, "data-seq", &num(seq));
        let attachment = get(m, "attachment");
        if attachment.is_object() {
            self.show_attachment(&node, &attachment);
        }
        if sender == "admin" {
            text(&self.ui.typing, "");
            if !self.state.borrow().open {
                self.state.borrow_mut().unread += 1;
                self.show_unread();
            }
        }
        self.scroll();
    }

    fn take_pending(&self, client_id: Option<&str>) -> Option<Element> {
        let cid = client_id?;
        let node = {
            let mut s = self.state.borrow_mut();
            let i = s.outbox.iter().position(|p| p.client_id == cid)?;
            s.outbox.remove(i).node
        };
        self.save();
        Some(node)
    }

    fn delivered(&self, client_id: Option<&str>, seq: i64) {
        if let Some(node) = self.take_pending(client_id) {
            let _ = node.class_list().remove_1("hd-pending");
            attr(&node, "data-seq", &num(seq));
        }
    }

    fn bubble(&self, sender: &str, content: &str) -> Element {
        let li = el("li", if sender == "visitor" { "hd-m hd-me" } else { "hd-m hd-agent" });
        let who = el("span", "hd-sr");
        text(&who, if sender == "visitor" { "You: " } else { "Agent: " });
        let b = el("div", "hd-bubble");
        text(&b, content);
        add(&li, &who);
        add(&li, &b);
        li
    }

    fn system_line(&self, message: &str) {
        let li = el("li", "hd-m hd-system");
        text(&li, message);
        add(&self.ui.log, &li);
        self.scroll();
    }

    fn send_draft(self: &Rc<Self>) {
        let content = self.ui.input.value();
        let content = content.trim();
        if content.is_empty() {
            return;
        }
        let cid = js::random_id();
        self.pending(cid.clone(), content.into());
        self.ui.input.set_value("");
        self.scroll();
        self.transmit(&cid, content);
        self.stop_typing();
    }

    fn transmit(&self, client_id: &str, content: &str) {
        let chat = js::opt(self.state.borrow().chat_id.as_deref());
        self.send_event(&obj(&[
            ("type", "chat-message".into()),
            ("chatId", chat),
            ("clientMsgId", client_id.into()),
            ("content", content.into()),
        ]));
    }

    fn typed(self: &Rc<Self>) {
        let chat = self.state.borrow().chat_id.clone();
        let Some(chat) = chat else { return };
        let due = js::now() - self.state.borrow().typing_sent_at > TYPING_EVERY_MS;
        if due && self.send_event(&obj(&[("type", "typing-start".into()), ("chatId", chat.into())])) {
            self.state.borrow_mut().typing_sent_at = js::now();
        }
        let me = self.clone();
        let timer = js::after(3000, move || me.stop_typing());
        if let Some(old) = self.state.borrow_mut().typing_timer.replace(timer) {
            js::cancel(old);
        }
    }

    fn stop_typing(&self) {
        let (chat, was) = {
            let mut s = self.state.borrow_mut();
            let was = s.typing_sent_at > 0.0;
            s.typing_sent_at = 0.0;
            if let Some(t) = s.typing_timer.take() {
                js::cancel(t);
            }
            (s.chat_id.clone(), was)
        };
        if let (Some(chat), true) = (chat, was) {
            self.send_event(&obj(&[("type", "typing-stop".into()), ("chatId", chat.into())]));
        }
    }

    fn upload_selected(self: &Rc<Self>) {
        let Some(files) = self.ui.file.files() else { return };
        for i in 0..files.length() {
            if let Some(file) = files.get(i) {
                self.upload(file);
            }
        }
        self.ui.file.set_value("");
    }

    fn upload(self: &Rc<Self>, file: web_sys::File) {
        let node = self.bubble("visitor", &file.name());
        let _ = node.class_list().add_1("hd-pending");
        add(&self.ui.log, &node);
        self.scroll();
        let me = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let failed = |message: String| {
                let _ = node.class_list().remove_1("hd-pending");
                let _ = node.class_list().add_1("hd-failed");
                let note = el("div", "hd-note");
                text(&note, &message);
                add(&node, &note);
            };
            let Ok(form) = web_sys::FormData::new() else { return };
            let _ = form.append_with_blob("file", &file);
            let cid = js::random_id();
            let _ = form.append_with_str("clientMsgId", &cid);
            if let Some(chat) = me.state.borrow().chat_id.as_deref() {
                let _ = form.append_with_str("chatId", chat);
            }
            let token = me.state.borrow().token.clone().unwrap_or_default();
            let url = me.url("/api/widget/attachments");
            match js::fetch_json(&url, "POST", Some(&form.into()), false, Some(&token)).await {
                Ok((201, message)) => {
                    node.remove();
                    me.on_message(&message);
                }
                Ok((_, body)) => failed(js::api_message(&body, "The file could not be sent.")),
                Err(_) => failed("The file could not be sent: no connection.".into()),
            }
        });
    }

    /// Turns a file message into a thumbnail (images) or a download button; both fetch with the visitor's token.
    fn show_attachment(self: &Rc<Self>, node: &Element, a: &JsValue) {
        let Some(id) = get_str(a, "id") else { return };
        if node.query_selector(".hd-file-link").ok().flatten().is_some() {
            return;
        }
        let name = get_str(a, "name").unwrap_or_default();
        let Ok(Some(bubble)) = node.query_selector(".hd-bubble") else { return };
        text(&bubble, "");
        let button = el("button", "hd-file-link");
        attr(&button, "type", "button");
        let mut label = String::from("Download ");
        label.push_str(&name);
        attr(&button, "aria-label", &label);
        let mut path = String::from("/api/widget/attachments/");
        path.push_str(&id);
        if get(a, "thumbnail").as_bool() == Some(true) {
            let img = el("img", "hd-thumb");
            attr(&img, "alt", &name);
            if let (Some(w), Some(h)) = (get(a, "width").as_f64(), get(a, "height").as_f64()) {
                attr(&img, "data-size", &{
                    let mut s = num(w as i64);
                    s.push('x');
                    s.push_str(&num(h as i64));
                    s
                });
            }
            add(&button, &img);
            let mut thumb = path.clone();
            thumb.push_str("/thumbnail");
            let url = self.url(&thumb);
            let token = self.state.borrow().token.clone().unwrap_or_default();
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(src) = js::fetch_object_url(&url, &token).await {
                    attr(&img, "src", &src);
                }
            });
        } else {
            let label = el("span", "");
            let mut t = String::from("📎 ");
            t.push_str(&name);
            text(&label, &t);
            add(&button, &label);
        }
        add(&bubble, &button);
        let url = self.url(&path);
        let me = self.clone();
        on(&button, "click", move |_| {
            let url = url.clone();
            let name = name.clone();
            let token = me.state.borrow().token.clone().unwrap_or_default();
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(href) = js::fetch_object_url(&url, &token).await {
                    let a = el("a", "");
                    attr(&a, "href", &href);
                    attr(&a, "download", &name);
                    if let Some(a) = a.dyn_ref::<HtmlElement>() {
                        a.click();
                    }
                }
            });
        });
    }

    fn leave_offline(self: &Rc<Self>) {
        let field = |name: &str| -> String {
            let mut sel = String::from("[name=");
            sel.push_str(name);
            sel.push(']');
            self.ui
                .offline
                .query_selector(&sel)
                .ok()
                .flatten()
                .map(|e| get_str(&e, "value").unwrap_or_default())
                .unwrap_or_default()
        };
        let (name, email, message) = (field("name"), field("email"), field("message"));
        let token = self.state.borrow().token.clone();
        let body = js::stringify(&obj(&[
            ("visitorToken", js::opt(token.as_deref())),
            ("name", name.clone().into()),
            ("email", email.clone().into()),
            ("message", message.into()),
        ]));
        text(&self.ui.offline_error, "");
        let me = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let url = me.url("/api/widget/offline");
            match js::fetch_json(&url, "POST", Some(&JsValue::from_str(&body)), true, None).await {
                Ok((201, data)) => {
                    me.state.borrow_mut().token = get_str(&data, "visitorToken");
                    // The message is now the conversation (it also arrives on the socket); the thanks goes below.
                    me.adopt_chat(get_str(&data, "chatId"));
                    let mut t = String::from("Thank you, ");
                    t.push_str(name.trim());
                    t.push_str("! We will answer at ");
                    t.push_str(email.trim());
                    t.push('.');
                    let thanks = el("li", "hd-m hd-system hd-thanks");
                    text(&thanks, &t);
                    add(&me.ui.log, &thanks);
                    me.scroll();
                }
                Ok((_, data)) => {
                    text(&me.ui.offline_error, &js::api_message(&data, "Your message could not be sent."));
                    if let Some(f) = get_str(&data, "field") {
                        let mut sel = String::from("[name=");
                        sel.push_str(&f);
                        sel.push(']');
                        if let Ok(Some(e)) = me.ui.offline.query_selector(&sel) {
                            attr(&e, "aria-invalid", "true");
                            if let Some(e) = e.dyn_ref::<HtmlElement>() {
                                let _ = e.focus();
                            }
                        }
                    }
                }
                Err(_) => text(&me.ui.offline_error, "No connection. Try again in a moment."),
            }
        });
    }
}
