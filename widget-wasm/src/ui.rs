//! What the visitor sees: the panel built inside the shadow root, its handlers, and the small changes to it
//! (open or closed, unread count, status line, bubbles).

use crate::js::{add, attr, el, get_str, num, on, t, text};
use crate::wire;
use crate::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// `#abc` or `#aabbcc` only: the color goes into CSS.
pub(crate) fn safe_color(c: &str) -> &str {
    let hex = c.strip_prefix('#').unwrap_or("");
    if (hex.len() == 3 || hex.len() == 6) && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        c
    } else {
        "#2563eb"
    }
}

pub(crate) fn build(root: &ShadowRoot, launcher: HtmlElement, config: &JsValue) -> Result<Ui, JsValue> {
    let color = get_str(config, "primaryColor").unwrap_or_default();
    let mut vars = String::from(":host{--hd-color:");
    vars.push_str(safe_color(&color));
    // Text on the brand color: white or near-black, whichever contrasts more (the server picks).
    vars.push_str(";--hd-on:");
    let text_color = get_str(config, "textColor").filter(|c| safe_color(c) == c);
    vars.push_str(text_color.as_deref().unwrap_or("#fff"));
    vars.push('}');
    // "Read" under a message is drawn by CSS: in the visitor's language too.
    vars.push_str(".hd-read::after{content:\"");
    vars.push_str(&t(config, "Read"));
    vars.push_str("\"}");
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
    attr(&panel, "lang", &get_str(config, "language").unwrap_or_default());
    if get(config, "rtl").as_bool() == Some(true) {
        attr(&panel, "dir", "rtl");
    }

    // Not <header>: the page around the widget has its own banner.
    let head = el("div", "hd-head");
    let title = el("h2", "");
    attr(&title, "id", "hd-title");
    text(&title, &t(config, "Chat with us"));
    let close = el("button", "hd-close");
    attr(&close, "type", "button");
    attr(&close, "aria-label", &t(config, "Close chat"));
    text(&close, "×");
    // "Email me this chat", once there is a chat.
    let mail_button = el("button", "hd-transcript");
    attr(&mail_button, "type", "button");
    attr(&mail_button, "aria-label", &t(config, "Email me this chat"));
    attr(&mail_button, "title", &t(config, "Email me this chat"));
    attr(&mail_button, "hidden", "");
    text(&mail_button, "✉");
    add(&head, &title);
    add(&head, &mail_button);
    add(&head, &close);
    on(&close, "click", |_| set_open(false));

    let status = el("p", "hd-status");
    attr(&status, "role", "status");
    let log = el("ol", "hd-log");
    attr(&log, "aria-live", "polite");
    attr(&log, "aria-label", &t(config, "Messages"));
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
    attr(&attach, "title", &t(config, "Attach a file or image"));
    let file: HtmlInputElement = el("input", "hd-file").dyn_into()?;
    file.set_type("file");
    attr(&file, "aria-label", &t(config, "Attach a file or image"));
    attr(&file, "accept", "image/png,image/jpeg,image/gif,image/webp,application/pdf,.zip,.docx,.xlsx,.pptx,.txt");
    add(&attach, &file);
    let clip = el("span", "");
    attr(&clip, "aria-hidden", "true");
    text(&clip, "+");
    add(&attach, &clip);
    let input: HtmlTextAreaElement = el("textarea", "hd-input").dyn_into()?;
    attr(&input, "aria-label", &t(config, "Your message"));
    attr(&input, "placeholder", &t(config, "Write a message…"));
    attr(&input, "rows", "1");
    attr(&input, "maxlength", "5000");
    let send = el("button", "hd-send");
    attr(&send, "type", "submit");
    text(&send, &t(config, "Send"));
    add(&composer, &attach);
    add(&composer, &input);
    add(&composer, &send);

    // The offline or pre-chat form's fields, and "Email me this chat", come from the forms module when first shown
    // (`forms.rs`).
    let form = el("form", "hd-form");
    attr(&form, "hidden", "");
    attr(&form, "novalidate", "");
    let mail = el("form", "hd-transcript-form");
    attr(&mail, "hidden", "");

    for part in [&head, &status, &log, &typing, &mail, &composer, &form] {
        add(&panel, part);
    }
    root.append_child(&panel)?;
    attr(&launcher, "aria-controls", "hd-panel");
    Ok(Ui { launcher, panel, status, log, typing, composer, input, file, form, mail_button, mail })
}

/// The offline or pre-chat form (`mail` false) or "Email me this chat", from the forms module.
fn load_form(mail: bool) {
    with(|w| w.show_form(if mail { "mail" } else { "chat" }));
}

pub(crate) fn wire_events(w: &Rc<Widget>) {
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
    on(&ui.file, "change", move |_| me.show_form("upload"));
    let me = w.clone();
    on(&ui.mail_button, "click", move |_| {
        if me.ui.mail.has_attribute("hidden") {
            load_form(true);
        } else {
            attr(&me.ui.mail, "hidden", "");
        }
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
    on(&win, "offline", move |_| {
        me.set_status(&me.t("You are offline. Messages will be sent when the connection is back."))
    });
}

impl Widget {
    pub(crate) fn set_open(&self, open: bool) {
        let was = std::mem::replace(&mut self.state.borrow_mut().open, open);
        if was != open {
            self.emit(if open { "opened" } else { "closed" }, &JsValue::UNDEFINED);
        }
        if open {
            let _ = self.ui.panel.remove_attribute("hidden");
            self.state.borrow_mut().unread = 0;
            self.show_unread();
            if self.ui.form.has_attribute("hidden") {
                let _ = self.ui.input.focus();
            } else {
                load_form(false);
            }
            self.scroll();
            self.seen();
        } else {
            attr(&self.ui.panel, "hidden", "");
        }
        attr(&self.ui.launcher, "aria-expanded", if open { "true" } else { "false" });
    }

    /// `english` in the visitor's language.
    pub(crate) fn t(&self, english: &str) -> String {
        t(&self.config, english)
    }

    /// Tells the page's `Helpdesk.on(name, …)` listeners.
    pub(crate) fn emit(&self, name: &str, detail: &JsValue) {
        let _ = self.emit.call2(&JsValue::NULL, &JsValue::from_str(name), detail);
    }

    pub(crate) fn show_unread(&self) {
        let n = self.state.borrow().unread;
        if n > 0 {
            attr(&self.ui.launcher, "data-unread", &num(n));
        } else {
            let _ = self.ui.launcher.remove_attribute("data-unread");
        }
    }

    /// Before a chat: the offline form when the website is closed, the pre-chat form when it has one; the chat
    /// otherwise.
    pub(crate) fn show_mode(&self) {
        let form = {
            let s = self.state.borrow();
            s.chat_id.is_none()
                && s.outbox.is_empty()
                && (!self.online || (!s.prechat_done && get(&self.config, "prechat").is_object()))
        };
        let (show, hide) = if form { (&self.ui.form, &self.ui.composer) } else { (&self.ui.composer, &self.ui.form) };
        let _ = show.remove_attribute("hidden");
        attr(hide, "hidden", "");
        if form {
            load_form(false);
        }
        if self.state.borrow().chat_id.is_some() {
            let _ = self.ui.mail_button.remove_attribute("hidden");
        }
    }

    pub(crate) fn set_status(&self, message: &str) {
        text(&self.ui.status, message);
        if message.is_empty() {
            attr(&self.ui.status, "hidden", "");
        } else {
            let _ = self.ui.status.remove_attribute("hidden");
        }
    }

    pub(crate) fn scroll(&self) {
        self.ui.log.set_scroll_top(self.ui.log.scroll_height());
    }

    pub(crate) fn bubble(&self, sender: &str, content: &str) -> Element {
        // "Anna joined the chat": a line of its own, like the widget's own notices.
        if sender == wire::SENDER_SYSTEM {
            let li = el("li", "hd-m hd-system");
            text(&li, content);
            return li;
        }
        let li = el("li", if sender == wire::SENDER_VISITOR { "hd-m hd-me" } else { "hd-m hd-agent" });
        let who = el("span", "hd-sr");
        let mut prefix = self.t(if sender == wire::SENDER_VISITOR { "You:" } else { "Agent:" });
        prefix.push(' ');
        text(&who, &prefix);
        let b = el("div", "hd-bubble");
        text(&b, content);
        add(&li, &who);
        add(&li, &b);
        li
    }

    pub(crate) fn system_line(&self, message: &str) {
        let li = el("li", "hd-m hd-system");
        text(&li, message);
        add(&self.ui.log, &li);
        self.scroll();
    }
}
