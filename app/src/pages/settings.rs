use leptos::prelude::*;

use crate::i18n::{t, t_string, use_i18n};

/// `/settings`: where the gear icon leads. The sections (Integrations → Public
/// API, …) are added by the work that builds them.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let i18n = use_i18n();

    view! {
        <nav class="breadcrumb" aria-label=move || t_string!(i18n, breadcrumb)>
            <ol>
                <li aria-current="page">{t!(i18n, settings)}</li>
            </ol>
        </nav>
        <h1>{t!(i18n, settings_title)}</h1>
        <p class="lead">{t!(i18n, settings_lead)}</p>
    }
}
