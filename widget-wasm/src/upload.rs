//! Files and images: uploaded over HTTP with the visitor token, shown as a thumbnail or a download link.

use crate::js::{add, attr, el, get, get_str, num, on, text};
use crate::wire;
use crate::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

impl Widget {
    pub(crate) fn upload_selected(self: &Rc<Self>) {
        let Some(files) = self.ui.file.files() else { return };
        for i in 0..files.length() {
            if let Some(file) = files.get(i) {
                self.upload(file);
            }
        }
        self.ui.file.set_value("");
    }

    pub(crate) fn upload(self: &Rc<Self>, file: web_sys::File) {
        let node = self.bubble(wire::SENDER_VISITOR, &file.name());
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
            let _ = form.append_with_str(wire::CLIENT_MSG_ID, &cid);
            if let Some(chat) = me.state.borrow().chat_id.as_deref() {
                let _ = form.append_with_str(wire::CHAT_ID, chat);
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
    pub(crate) fn show_attachment(self: &Rc<Self>, node: &Element, a: &JsValue) {
        let Some(id) = get_str(a, wire::ID) else { return };
        if node.query_selector(".hd-file-link").ok().flatten().is_some() {
            return;
        }
        let name = get_str(a, wire::NAME).unwrap_or_default();
        let Ok(Some(bubble)) = node.query_selector(".hd-bubble") else { return };
        text(&bubble, "");
        let button = el("button", "hd-file-link");
        attr(&button, "type", "button");
        let mut label = String::from("Download ");
        label.push_str(&name);
        attr(&button, "aria-label", &label);
        let mut path = String::from("/api/widget/attachments/");
        path.push_str(&id);
        if get(a, wire::THUMBNAIL).as_bool() == Some(true) {
            let img = el("img", "hd-thumb");
            attr(&img, "alt", &name);
            if let (Some(w), Some(h)) = (get(a, wire::WIDTH).as_f64(), get(a, wire::HEIGHT).as_f64()) {
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
}
