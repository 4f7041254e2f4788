//! "Email me this chat": the visitor asks for the transcript at an address of theirs.

use crate::js::{get_str, obj, text};
use crate::wire;
use crate::*;
use wasm_bindgen::prelude::*;

impl Widget {
    pub(crate) fn ask_transcript(self: &Rc<Self>) {
        let email = self
            .ui
            .mail
            .query_selector("input")
            .ok()
            .flatten()
            .map(|e| get_str(&e, "value").unwrap_or_default())
            .unwrap_or_default();
        let (token, chat) = {
            let s = self.state.borrow();
            (s.token.clone(), s.chat_id.clone())
        };
        let body =
            js::stringify(&obj(&[(wire::CHAT_ID, js::opt(chat.as_deref())), (wire::EMAIL, email.clone().into())]));
        let me = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let note = &me.ui.mail_note;
            let url = me.url("/api/widget/transcript");
            match js::fetch_json(&url, "POST", Some(&JsValue::from_str(&body)), true, token.as_deref()).await {
                Ok((202, _)) => {
                    let mut t = String::from("Transcript sent to ");
                    t.push_str(email.trim());
                    t.push('.');
                    text(note, &t);
                }
                Ok((_, data)) => text(note, &js::api_message(&data, "The transcript could not be sent.")),
                Err(_) => text(note, "No connection. Try again in a moment."),
            }
        });
    }
}
