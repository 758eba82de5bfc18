//! The browser half: makes the islands of the server-rendered page
//! interactive. Only `#[island]` components (and what they call) are in
//! the bundle; the rest of the app is server-rendered HTML.
#![allow(unsafe_code)] // `#[wasm_bindgen]` expands to unsafe glue.

// The islands' `#[wasm_bindgen]` entry points live in the app crate: it
// must be linked in, or they silently disappear (leptos#3459).
pub use app::components::hydration::HydrationMark;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Panic messages in the console while developing; the release bundle
    // goes without the formatting they pull in.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
