//! The offline form: name, email and a message, left when the website is closed.

use crate::js::{add, attr, el, get_str, obj, text};
use crate::wire;
use crate::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

impl Widget {
    pub(crate) fn leave_offline(self: &Rc<Self>) {
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
        let (token, identity) = {
            let s = self.state.borrow();
            (s.token.clone(), s.identity.clone())
        };
        let body = js::stringify(&obj(&[
            (wire::VISITOR_TOKEN, js::opt(token.as_deref())),
            (wire::IDENTITY_TOKEN, js::opt(identity.as_deref())),
            (wire::NAME, name.clone().into()),
            (wire::EMAIL, email.clone().into()),
            (wire::MESSAGE, message.into()),
        ]));
        text(&self.ui.offline_error, "");
        let me = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let url = me.url("/api/widget/offline");
            match js::fetch_json(&url, "POST", Some(&JsValue::from_str(&body)), true, None).await {
                Ok((201, data)) => {
                    me.state.borrow_mut().token = get_str(&data, wire::VISITOR_TOKEN);
                    // The message is now the conversation (it also arrives on the socket); the thanks goes below.
                    me.adopt_chat(get_str(&data, wire::CHAT_ID));
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
                    if let Some(f) = get_str(&data, wire::FIELD) {
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
