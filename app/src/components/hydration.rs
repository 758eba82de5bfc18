//! What every page's islands share: the signal that says the island runs in
//! the browser, and the mark at the end of the page that says all of them
//! do.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The words of a Copy to clipboard button and of its outcome (the props of
/// the islands that copy).
#[derive(Clone, Serialize, Deserialize)]
pub struct CopyLabels {
    pub copy: String,
    pub copied: String,
    pub refused: String,
}

impl CopyLabels {
    /// What the status says after the last copy (nothing before one).
    pub fn outcome(&self, copied: Option<bool>) -> String {
        match copied {
            Some(true) => self.copied.clone(),
            Some(false) => self.refused.clone(),
            None => String::new(),
        }
    }
}

/// Writes `text` to the clipboard; whether the browser allowed it.
#[cfg(feature = "hydrate")]
pub async fn write_clipboard(text: &str) -> bool {
    let promise = window().navigator().clipboard().write_text(text);
    wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
}

/// True once the island runs in the browser: the parts that need
/// JavaScript appear then. Server and browser first render `false`, so
/// hydration finds what the server sent.
pub fn hydrated() -> ReadSignal<bool> {
    let (js, set_js) = signal(false);
    Effect::new(move |_| set_js.set(true));
    js
}

/// The last island of the page: islands hydrate in document order, so when
/// this one runs every other has. It marks `<body data-hydrated="true">` (so
/// browser tests can tell a server-rendered page from an interactive one)
/// and from then on posts the page's forms in place
/// ([`crate::components::enhance`]).
#[island]
pub fn HydrationMark() -> impl IntoView {
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        crate::components::enhance::watch();
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}
