//! Settings → Integrations.
pub mod api_sets;
pub mod key_details;
pub mod public_api;

use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::{t, t_string, use_i18n};

/// `Settings / Integrations / <page>`.
#[component]
pub fn IntegrationsBreadcrumb(children: Children) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <nav class="breadcrumb" aria-label=move || t_string!(i18n, breadcrumb)>
            <ol>
                <li><A href="/settings">{t!(i18n, settings)}</A></li>
                <li><A href="/settings">{t!(i18n, integrations)}</A></li>
                {children()}
            </ol>
        </nav>
    }
}
