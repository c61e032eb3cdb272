// Leptos views are deeply nested types; release builds need a higher limit.
#![recursion_limit = "256"]
//! The Wasm entry point: hydrates the server-rendered `app::App`, after loading the code of
//! a lazily loaded page the server rendered (`app::ui::lazy_pages`). Nothing else lives here.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_lazy(app::App);
}
