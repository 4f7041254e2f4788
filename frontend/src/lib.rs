//! The dashboard's browser entry point: hydrates the server-rendered page. Nothing else lives here.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Asynchronous hydration: a page whose code is loaded on its first visit (a lazy route) waits for that file.
    wasm_bindgen_futures::spawn_local(async {
        let Some(body) = leptos::prelude::document().body() else { return };
        leptos::mount::hydrate_from_async(body.clone(), app::App).await.forget();
        // Lets browser tests (and curious operators) tell a hydrated page from server HTML.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
