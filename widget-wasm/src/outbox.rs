//! Messages written but not yet acknowledged: shown at once, kept (in storage too) until the server's ack, and sent
//! again under the same client id after a reconnect or when the server asked to slow down.

use crate::js::{add, attr, num, obj};
use crate::wire;
use crate::*;
use wasm_bindgen::prelude::*;

impl Widget {
    pub(crate) fn save(&self) {
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
    pub(crate) fn pending(&self, client_id: String, content: String) {
        let node = self.bubble(wire::SENDER_VISITOR, &content);
        let _ = node.class_list().add_1("hd-pending");
        add(&self.ui.log, &node);
        self.state.borrow_mut().outbox.push(Pending { client_id, content, node });
        self.save();
    }

    /// Sends every message not yet acknowledged, under its client id (a second copy is never stored).
    pub(crate) fn flush_outbox(&self) {
        let pending: Vec<(String, String)> =
            self.state.borrow().outbox.iter().map(|p| (p.client_id.clone(), p.content.clone())).collect();
        for (cid, content) in pending {
            self.transmit(&cid, &content);
        }
    }

    pub(crate) fn take_pending(&self, client_id: Option<&str>) -> Option<Element> {
        let cid = client_id?;
        let node = {
            let mut s = self.state.borrow_mut();
            let i = s.outbox.iter().position(|p| p.client_id == cid)?;
            s.outbox.remove(i).node
        };
        self.save();
        Some(node)
    }

    pub(crate) fn delivered(&self, client_id: Option<&str>, seq: i64) {
        if let Some(node) = self.take_pending(client_id) {
            let _ = node.class_list().remove_1("hd-pending");
            attr(&node, "data-seq", &num(seq));
        }
    }

    pub(crate) fn send_draft(self: &Rc<Self>) {
        let content = self.ui.input.value();
        let content = content.trim();
        if content.is_empty() {
            return;
        }
        let cid = js::random_id();
        self.pending(cid.clone(), content.into());
        self.ui.input.set_value("");
        self.scroll();
        // While the server has asked to wait, it goes with the others when the wait is over, in the order written.
        if !self.state.borrow().flush_due {
            self.transmit(&cid, content);
        }
        self.stop_typing();
    }

    pub(crate) fn transmit(&self, client_id: &str, content: &str) {
        let chat = js::opt(self.state.borrow().chat_id.as_deref());
        self.send_event(&obj(&[
            (wire::TYPE, wire::CHAT_MESSAGE.into()),
            (wire::CHAT_ID, chat),
            (wire::CLIENT_MSG_ID, client_id.into()),
            (wire::CONTENT, content.into()),
        ]));
    }
}
