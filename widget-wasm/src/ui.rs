//! What the visitor sees: the panel built inside the shadow root, its handlers, and the small changes to it
//! (open or closed, unread count, status line, bubbles).

use crate::js::{add, attr, el, get_str, num, on, text};
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
    // "Email me this chat", once there is a chat.
    let mail_button = el("button", "hd-transcript");
    attr(&mail_button, "type", "button");
    attr(&mail_button, "aria-label", "Email me this chat");
    attr(&mail_button, "title", "Email me this chat");
    attr(&mail_button, "hidden", "");
    text(&mail_button, "✉");
    add(&head, &title);
    add(&head, &mail_button);
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

    let mail = el("form", "hd-transcript-form");
    attr(&mail, "hidden", "");
    let l = el("label", "");
    text(&l, "Email me this chat");
    let field = el("input", "");
    attr(&field, "type", "email");
    attr(&field, "required", "");
    attr(&field, "autocomplete", "email");
    attr(&field, "maxlength", "255");
    add(&l, &field);
    add(&mail, &l);
    let go = el("button", "hd-send");
    attr(&go, "type", "submit");
    text(&go, "Send");
    add(&mail, &go);
    let mail_note = el("p", "hd-note");
    attr(&mail_note, "role", "status");
    add(&mail, &mail_note);

    for part in [&head, &status, &log, &typing, &mail, &composer, &offline] {
        add(&panel, part);
    }
    root.append_child(&panel)?;
    attr(&launcher, "aria-controls", "hd-panel");
    attr(&launcher, "aria-expanded", "false");
    Ok(Ui {
        launcher,
        panel,
        status,
        log,
        typing,
        composer,
        input,
        file,
        offline,
        offline_error,
        mail_button,
        mail,
        mail_note,
    })
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
    on(&ui.file, "change", move |_| me.upload_selected());
    let me = w.clone();
    on(&ui.mail_button, "click", move |_| {
        let form = &me.ui.mail;
        if form.has_attribute("hidden") {
            let _ = form.remove_attribute("hidden");
            if let Ok(Some(f)) = form.query_selector("input") {
                let _ = f.unchecked_ref::<HtmlElement>().focus();
            }
        } else {
            attr(form, "hidden", "");
        }
    });
    let me = w.clone();
    on(&ui.mail, "submit", move |e| {
        e.prevent_default();
        me.ask_transcript();
    });
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
    pub(crate) fn set_open(&self, open: bool) {
        self.state.borrow_mut().open = open;
        if open {
            let _ = self.ui.panel.remove_attribute("hidden");
            self.state.borrow_mut().unread = 0;
            self.show_unread();
            if self.ui.offline.has_attribute("hidden") {
                let _ = self.ui.input.focus();
            }
            self.scroll();
            self.seen();
        } else {
            attr(&self.ui.panel, "hidden", "");
        }
        attr(&self.ui.launcher, "aria-expanded", if open { "true" } else { "false" });
        attr(&self.ui.launcher, "aria-label", if open { "Close chat" } else { "Open chat" });
    }

    pub(crate) fn show_unread(&self) {
        let n = self.state.borrow().unread;
        if n > 0 {
            attr(&self.ui.launcher, "data-unread", &num(n));
        } else {
            let _ = self.ui.launcher.remove_attribute("data-unread");
        }
    }

    /// Offline form when the website is closed and no chat is going on; the chat otherwise.
    pub(crate) fn show_mode(&self) {
        let offline = !self.online && self.state.borrow().chat_id.is_none() && self.state.borrow().outbox.is_empty();
        let (show, hide) =
            if offline { (&self.ui.offline, &self.ui.composer) } else { (&self.ui.composer, &self.ui.offline) };
        let _ = show.remove_attribute("hidden");
        attr(hide, "hidden", "");
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
        text(&who, if sender == wire::SENDER_VISITOR { "You: " } else { "Agent: " });
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
