use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::{t, t_string, use_i18n};

/// `/settings`: where the gear icon leads.
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
        <section class="card" aria-labelledby="integrations-title">
            <h2 id="integrations-title">{t!(i18n, integrations)}</h2>
            <ul class="link-list">
                <li>
                    <A href="/settings/integrations">{t!(i18n, integrations)}</A>
                    <p class="hint">{t!(i18n, integrations_link_hint)}</p>
                </li>
            </ul>
        </section>
    }
}
