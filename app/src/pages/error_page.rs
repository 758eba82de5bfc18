use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::{t, use_i18n};

/// Shown when a page fails to render. The cause is logged on the server; the
/// reader gets a plain explanation in their language and a way back.
#[component]
pub fn ErrorPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    }
    let i18n = use_i18n();

    view! {
        <section class="message-page" role="alert" aria-labelledby="error-title">
            <h1 id="error-title">{t!(i18n, error_title)}</h1>
            <p>{t!(i18n, error_body)}</p>
            <p>
                <A href="/">{t!(i18n, back_home)}</A>
            </p>
        </section>
    }
}
