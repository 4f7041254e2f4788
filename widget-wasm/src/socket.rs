//! The visitor session and its socket: starting or continuing the session, connecting with backoff, resuming, and
//! what each server event does; typing both ways.

use crate::js::{add, attr, get, get_num, get_str, num, obj, text};
use crate::wire;
use crate::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

impl Widget {
    pub(crate) fn url(&self, path: &str) -> String {
        let mut u = self.base.clone();
        u.push_str(path);
        u.push_str(if path.contains('?') { "&apiKey=" } else { "?apiKey=" });
        u.push_str(&String::from(js_sys::encode_uri_component(&self.key)));
        u
    }

    /// Starts (or continues) the visitor session, then opens the socket.
    pub(crate) fn connect(self: &Rc<Self>) {
        if self.state.borrow().refused {
            return;
        }
        let me = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let (token, identity) = {
                let s = me.state.borrow();
                (s.token.clone(), s.identity.clone())
            };
            let body = js::stringify(&obj(&[
                (wire::VISITOR_TOKEN, js::opt(token.as_deref())),
                (wire::IDENTITY_TOKEN, js::opt(identity.as_deref())),
            ]));
            let url = me.url("/api/widget/session");
            match js::fetch_json(&url, "POST", Some(&JsValue::from_str(&body)), true, None).await {
                Ok((200, data)) => {
                    me.state.borrow_mut().gone = false;
                    me.state.borrow_mut().token = get_str(&data, wire::VISITOR_TOKEN);
                    me.save();
                    me.open_socket();
                }
                Ok((401 | 403, data)) => {
                    me.state.borrow_mut().refused = true;
                    me.set_status(&js::api_message(&data, &me.t("The chat is not available on this page.")));
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

    /// Starts the session again under another identity (or none); the server's hello then lists that visitor's chats.
    pub(crate) fn identify(self: &Rc<Self>, identity: Option<String>) {
        let socket = {
            let mut s = self.state.borrow_mut();
            if s.identity == identity {
                return;
            }
            s.identity = identity;
            s.refused = false;
            s.connected = false;
            s.socket.take()
        };
        if let Some(ws) = socket {
            ws.set_onclose(None);
            let _ = ws.close();
        }
        self.connect();
    }

    pub(crate) fn open_socket(self: &Rc<Self>) {
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
        let mut offered = String::from(wire::VISITOR_TOKEN_PROTOCOL);
        offered.push_str(&token);
        let protocols = js_sys::Array::of2(&wire::SUBPROTOCOL.into(), &offered.into());
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
                s.gone = e.code() == wire::CLOSE_WEBSITE_GONE;
            }
            me.retry();
        });
        ws.set_onclose(Some(onclose.as_ref().unchecked_ref()));
        onclose.forget();
        self.state.borrow_mut().socket = Some(ws);
    }

    /// Reconnects after 1, 2, 4 … 30 seconds, with jitter so a restarted server is not hit all at once.
    pub(crate) fn retry(self: &Rc<Self>) {
        let delay = {
            let mut s = self.state.borrow_mut();
            s.attempts += 1;
            let exp = 1000i32.saturating_mul(1 << (s.attempts - 1).clamp(0, 5));
            let base = exp.min(BACKOFF_MAX_MS);
            base / 2 + (js_sys::Math::random() * f64::from(base / 2)) as i32
        };
        let m =
            js::fill(&self.t("Connection lost. Reconnecting in {n} s…"), "{n}", &num(i64::from((delay + 999) / 1000)));
        self.set_status(&m);
        let me = self.clone();
        js::after(delay, move || {
            if !me.state.borrow().connected && me.state.borrow().socket.is_none() {
                me.connect();
            }
        });
    }

    pub(crate) fn send_event(&self, event: &js_sys::Object) -> bool {
        let s = self.state.borrow();
        match (&s.socket, s.connected) {
            (Some(ws), true) => ws.send_with_str(&js::stringify(event)).is_ok(),
            _ => false,
        }
    }

    pub(crate) fn on_event(self: &Rc<Self>, e: &JsValue) {
        match get_str(e, wire::TYPE).as_deref() {
            Some(wire::HELLO) => self.on_hello(e),
            Some(wire::ACK) => {
                let cid = get_str(e, wire::CLIENT_MSG_ID);
                self.adopt_chat(get_str(e, wire::CHAT_ID));
                self.delivered(cid.as_deref(), get_num(e, wire::SEQ) as i64);
            }
            Some(wire::NEW_MESSAGE) => self.on_message(&get(e, wire::MESSAGE)),
            Some(wire::USER_TYPING) if get_str(e, wire::SENDER_TYPE).as_deref() == Some(wire::SENDER_ADMIN) => {
                text(&self.ui.typing, &self.t("An agent is typing…"));
                let me = self.clone();
                let timer = js::after(8000, move || text(&me.ui.typing, ""));
                if let Some(old) = self.state.borrow_mut().agent_typing_timer.replace(timer) {
                    js::cancel(old);
                }
            }
            Some(wire::USER_STOPPED_TYPING) if get_str(e, wire::SENDER_TYPE).as_deref() == Some(wire::SENDER_ADMIN) => {
                text(&self.ui.typing, "");
            }
            Some(wire::READ) => {
                self.state.borrow_mut().agent_read = get_num(e, wire::SEQ) as i64;
                self.mark_read();
            }
            Some(wire::CHAT_CREATED) => self.adopt_chat(get_str(&get(e, wire::CHAT), wire::ID)),
            Some(wire::CHAT_UPDATED) => {
                let chat = get(e, wire::CHAT);
                let status = get_str(&chat, wire::STATUS).unwrap_or_default();
                let current = self.state.borrow().chat_id == get_str(&chat, wire::ID);
                if current && (status == wire::STATUS_CLOSED || status == wire::STATUS_RESOLVED) {
                    self.emit("ended", &js::obj(&[(wire::CHAT_ID, get(&chat, wire::ID))]));
                    self.system_line(&self.t("This chat has ended. Write again any time to start a new one."));
                    let ended = self.state.borrow_mut().chat_id.take();
                    self.state.borrow_mut().ended_chat = ended;
                    self.save();
                    // How was it? The rating comes from the forms module.
                    self.show_form("rating");
                }
            }
            // Auto routing: the visitor's place in the queue, until an agent has the chat (0).
            Some(wire::QUEUE) => {
                let n = get_num(e, wire::POSITION) as i64;
                let mut m = String::new();
                if n > 0 {
                    // `num`, not `to_string`: Rust's formatting machinery costs about 1 KB of the widget's budget.
                    m = js::fill(
                        &self.t("You are number {n} in the queue. An agent will be with you soon."),
                        "{n}",
                        &num(n),
                    );
                }
                self.set_status(&m);
            }
            Some(wire::ERROR) => {
                let m =
                    js::fill(&self.t("Not sent: {reason}"), "{reason}", &get_str(e, wire::MESSAGE).unwrap_or_default());
                // Too many messages at once: said once, above the log, and what waits in the outbox goes again
                // once allowed.
                let wait = get_num(e, wire::RETRY_AFTER);
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

    pub(crate) fn on_hello(self: &Rc<Self>, e: &JsValue) {
        {
            let mut s = self.state.borrow_mut();
            s.connected = true;
            s.attempts = 0;
        }
        self.set_status("");
        let chats = js_sys::Array::from(&get(e, wire::CHATS));
        // Every chat of the visitor is listed: one that is not was deleted (its visitor erased), so the conversation
        // starts afresh rather than writing into a chat that is gone.
        let known = self.state.borrow().chat_id.clone();
        if let Some(id) = known {
            if !chats.iter().any(|c| get_str(&c, wire::ID).as_deref() == Some(id.as_str())) {
                self.ui.log.set_inner_html("");
                {
                    let mut s = self.state.borrow_mut();
                    s.chat_id = None;
                    s.last_seq = 0;
                }
                self.save();
                self.show_mode();
            }
        }
        if self.state.borrow().chat_id.is_none() {
            // The newest chat still going on (or left offline and perhaps answered) is the conversation.
            let current = chats.iter().find(|c| {
                matches!(
                    get_str(c, wire::STATUS).as_deref(),
                    Some(wire::STATUS_WAITING | wire::STATUS_ONGOING | wire::STATUS_OFFLINE)
                )
            });
            if let Some(c) = current {
                self.adopt_chat(get_str(&c, wire::ID));
            }
        }
        let (chat, last) = {
            let s = self.state.borrow();
            (s.chat_id.clone(), s.last_seq)
        };
        if let Some(chat) = chat {
            let chats = obj(&[(&chat, JsValue::from_f64(last as f64))]);
            self.send_event(&obj(&[(wire::TYPE, wire::RESUME.into()), (wire::CHATS, chats.into())]));
        }
        if !self.state.borrow().reported_page {
            self.state.borrow_mut().reported_page = true;
            let loc = js::window().location().href().unwrap_or_default();
            let title = js::document().title();
            self.send_event(&obj(&[
                (wire::TYPE, wire::PAGE_VIEW.into()),
                (wire::URL, loc.into()),
                (wire::TITLE, title.into()),
            ]));
        }
        // What was written while disconnected goes out now, under the same client ids: stored once.
        self.flush_outbox();
    }

    pub(crate) fn adopt_chat(&self, chat_id: Option<String>) {
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

    pub(crate) fn on_message(self: &Rc<Self>, m: &JsValue) {
        let chat = get_str(m, wire::CHAT_ID);
        if self.state.borrow().chat_id.is_none() {
            self.adopt_chat(chat.clone());
        }
        if chat != self.state.borrow().chat_id {
            return;
        }
        let seq = get_num(m, wire::SEQ) as i64;
        if seq <= self.state.borrow().last_seq {
            return;
        }
        self.state.borrow_mut().last_seq = seq;
        let cid = get_str(m, wire::CLIENT_MSG_ID);
        let sender = get_str(m, wire::SENDER_TYPE).unwrap_or_default();
        let mine = sender == wire::SENDER_VISITOR;
        // Our own message, shown when it was written: mark it delivered instead of drawing it twice.
        let pending = if mine { self.take_pending(cid.as_deref()) } else { None };
        let node =
            match pending {
                Some(node) => node,
                None => {
                    let node = self.bubble(&sender, &get_str(m, wire::CONTENT).unwrap_or_default());
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
        let attachment = get(m, wire::ATTACHMENT);
        if attachment.is_object() {
            self.show_attachment(&node, &attachment);
        }
        if sender == wire::SENDER_ADMIN {
            self.emit(
                "message",
                &js::obj(&[
                    (wire::CHAT_ID, js::opt(chat.as_deref())),
                    (wire::SEQ, JsValue::from_f64(seq as f64)),
                    (wire::CONTENT, get(m, wire::CONTENT)),
                ]),
            );
            text(&self.ui.typing, "");
            if !self.state.borrow().open {
                self.state.borrow_mut().unread += 1;
                self.show_unread();
            }
        }
        self.mark_read();
        self.seen();
        self.scroll();
    }

    /// "Read" under the visitor's last message an agent has read (the server names it by its seq; it may be drawn
    /// only later, when this runs again).
    pub(crate) fn mark_read(&self) {
        let mut selector = String::from(".hd-me[data-seq=\"");
        selector.push_str(&num(self.state.borrow().agent_read));
        selector.push_str("\"]");
        if let Ok(Some(node)) = self.ui.log.query_selector(&selector) {
            if let Ok(Some(old)) = self.ui.log.query_selector(".hd-read") {
                let _ = old.class_list().remove_1("hd-read");
            }
            let _ = node.class_list().add_1("hd-read");
        }
    }

    /// Tells the agents the visitor has seen the chat, while the panel is open on a visible page.
    pub(crate) fn seen(&self) {
        let (chat, seq) = {
            let s = self.state.borrow();
            (s.chat_id.clone().filter(|_| s.open && s.last_seq > s.seen_sent && !js::document().hidden()), s.last_seq)
        };
        let Some(chat) = chat else { return };
        if self.send_event(&obj(&[
            (wire::TYPE, wire::READ.into()),
            (wire::CHAT_ID, chat.into()),
            (wire::SEQ, JsValue::from_f64(seq as f64)),
        ])) {
            self.state.borrow_mut().seen_sent = seq;
        }
    }

    pub(crate) fn typed(self: &Rc<Self>) {
        let chat = self.state.borrow().chat_id.clone();
        let Some(chat) = chat else { return };
        let due = js::now() - self.state.borrow().typing_sent_at > TYPING_EVERY_MS;
        // What is typed so far goes along: the agents see it when the website allows it.
        let draft = self.ui.input.value();
        if due
            && self.send_event(&obj(&[
                (wire::TYPE, wire::TYPING_START.into()),
                (wire::CHAT_ID, chat.into()),
                (wire::TEXT, draft.into()),
            ]))
        {
            self.state.borrow_mut().typing_sent_at = js::now();
        }
        let me = self.clone();
        let timer = js::after(3000, move || me.stop_typing());
        if let Some(old) = self.state.borrow_mut().typing_timer.replace(timer) {
            js::cancel(old);
        }
    }

    pub(crate) fn stop_typing(&self) {
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
            self.send_event(&obj(&[(wire::TYPE, wire::TYPING_STOP.into()), (wire::CHAT_ID, chat.into())]));
        }
    }
}
