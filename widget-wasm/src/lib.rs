//! The visitor chat widget. `/widget.js` (the loader) attaches a shadow root to the host page and calls `start`
//! with it; everything the widget draws lives inside that root, so host-page CSS cannot reach it.
//! The chat UI itself arrives with the widget issue; this crate already builds for wasm32 with its own size
//! profile so the pipeline (build, wasm-bindgen, serve) is exercised from the start.

use wasm_bindgen::prelude::*;

/// Version of the widget bundle, so the loader can report what it loaded.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Mounts the widget into `root` (a shadow root created by the loader).
#[wasm_bindgen]
pub fn start(root: web_sys::ShadowRoot) -> Result<(), JsValue> {
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let container = document.create_element("div")?;
    container.set_class_name("hd-root");
    container.set_attribute("data-version", env!("CARGO_PKG_VERSION"))?;
    root.append_child(&container)?;
    Ok(())
}
