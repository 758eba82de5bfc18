use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::{t, use_i18n};

/// Any path no route matches. Served with status 404.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    let i18n = use_i18n();

    view! {
        <section class="message-page" aria-labelledby="not-found-title">
            <h1 id="not-found-title">{t!(i18n, not_found_title)}</h1>
            <p>{t!(i18n, not_found_body)}</p>
            <p>
                <A href="/">{t!(i18n, back_home)}</A>
            </p>
        </section>
    }
}
