//! The forms — offline, pre-chat, "Email me this chat" and the rating after a chat — are plain JavaScript
//! (`widget-wasm/forms.js`), imported through the loader the first time one is shown, so the chat carries none of
//! their code. This is the chat's side: what a form is shown with, and what the forms tell the chat back.

use crate::js::{get_str, obj, opt};
use crate::*;
use wasm_bindgen::prelude::*;

impl Widget {
    /// Shows `kind` from the forms module: "chat" (the offline or pre-chat form, in `ui.form`), "mail" or "rating";
    /// or "upload": sends the files the visitor picked.
    pub(crate) fn show_form(&self, kind: &str) {
        let ended = self.state.borrow().ended_chat.clone();
        let ctx = obj(&[
            ("kind", kind.into()),
            ("config", self.config.clone()),
            ("base", self.base.as_str().into()),
            ("key", self.key.as_str().into()),
            ("online", self.online.into()),
            ("open", self.state.borrow().open.into()),
            ("ended", opt(ended.as_deref())),
            ("form", self.ui.form.clone().into()),
            ("mail", self.ui.mail.clone().into()),
            ("log", self.ui.log.clone().into()),
            ("file", self.ui.file.clone().into()),
            ("done", self.forms_done.clone()),
        ]);
        let shown = self.forms.call1(&JsValue::NULL, &ctx).map(js_sys::Promise::from);
        wasm_bindgen_futures::spawn_local(async move {
            let loaded = match shown {
                Ok(p) => wasm_bindgen_futures::JsFuture::from(p).await.is_ok(),
                Err(_) => false,
            };
            if !loaded {
                with(|w| w.set_status(&w.t("No connection. Try again in a moment.")));
            }
        });
    }

    /// What the forms module tells the chat: "state" asks for the session now; "adopt" says the offline form began
    /// a chat; "prechat" says the pre-chat answers are stored, with the question to send first; "message" hands over
    /// an uploaded file's message.
    pub(crate) fn form_done(self: &Rc<Self>, action: &str, value: &JsValue) -> JsValue {
        match action {
            "message" => self.on_message(value),
            "adopt" => {
                self.state.borrow_mut().token = get_str(value, "token");
                self.adopt_chat(get_str(value, "chatId"));
            }
            "prechat" => {
                self.state.borrow_mut().prechat_done = true;
                self.show_mode();
                let question = value.as_string().unwrap_or_default();
                if !question.is_empty() {
                    self.ui.input.set_value(&question);
                    self.send_draft();
                }
                let _ = self.ui.input.focus();
            }
            _ => {
                let s = self.state.borrow();
                return obj(&[
                    ("token", opt(s.token.as_deref())),
                    ("identity", opt(s.identity.as_deref())),
                    ("chatId", opt(s.chat_id.as_deref())),
                ])
                .into();
            }
        }
        JsValue::UNDEFINED
    }
}
