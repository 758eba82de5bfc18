//! Settings → Integrations.
pub mod api_sets;
pub mod key_details;
pub mod key_policy;
pub mod public_api;
pub mod webhook_details;
pub mod webhooks;

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
                <li><A href="/settings/integrations">{t!(i18n, integrations)}</A></li>
                {children()}
            </ol>
        </nav>
    }
}

/// `/settings/integrations`: Public API and API sets (and later
/// integrations), reached from Settings.
#[component]
pub fn IntegrationsPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <nav class="breadcrumb" aria-label=move || t_string!(i18n, breadcrumb)>
            <ol>
                <li><A href="/settings">{t!(i18n, settings)}</A></li>
                <li aria-current="page">{t!(i18n, integrations)}</li>
            </ol>
        </nav>
        <h1>{t!(i18n, integrations)}</h1>
        <p class="lead">{t!(i18n, integrations_lead)}</p>
        <ul class="link-list card">
            <li>
                <A href="/settings/integrations/public-api">{t!(i18n, public_api)}</A>
                <p class="hint">{t!(i18n, public_api_link_hint)}</p>
            </li>
            <li>
                <A href="/settings/integrations/api-sets">{t!(i18n, api_sets)}</A>
                <p class="hint">{t!(i18n, api_sets_link_hint)}</p>
            </li>
            <li>
                <A href="/settings/integrations/key-policy">{t!(i18n, key_policy)}</A>
                <p class="hint">{t!(i18n, key_policy_link_hint)}</p>
            </li>
            <li>
                <A href="/settings/integrations/webhooks">{t!(i18n, webhooks)}</A>
                <p class="hint">{t!(i18n, webhooks_link_hint)}</p>
            </li>
        </ul>
    }
}
