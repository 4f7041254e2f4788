//! Files and images in the conversation, shown as a thumbnail or a download link (the visitor's own uploads go
//! through the forms module, `forms.js`).

use crate::js::{add, attr, el, get, get_str, num, on, text};
use crate::wire;
use crate::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

impl Widget {
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
        attr(&button, "aria-label", &js::fill(&self.t("Download {name}"), "{name}", &name));
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
            // The image takes its height only once loaded: the list scrolls again then, so it is not cut off.
            let me = self.clone();
            on(&img, "load", move |_| me.scroll());
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
