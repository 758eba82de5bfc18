use leptos::prelude::*;

use super::IntegrationsBreadcrumb;
use crate::components::form::{FormError, use_form_errors};
use crate::components::keys::{DecoysSection, KeysPanel};
use crate::components::protect_service::{OrganizationIdentifier, ProtectService};
use crate::i18n::{t, t_string, use_i18n};
use crate::server_fns::integrations::{SetPublicApi, SetSlug, get_public_api};

const BASE: &str = "/settings/integrations/public-api";

/// `/settings/integrations/public-api`: the Enable Public API switch, the
/// key list and Create API key.
#[component]
pub fn PublicApiPage() -> impl IntoView {
    let i18n = use_i18n();
    let toggle = ServerAction::<SetPublicApi>::new();
    let rename = ServerAction::<SetSlug>::new();
    let state = Resource::new(
        move || (toggle.version().get(), rename.version().get()),
        |_| get_public_api(),
    );
    let toggle_errors = use_form_errors(toggle);
    view! {
        <IntegrationsBreadcrumb>
            <li aria-current="page">{t!(i18n, public_api)}</li>
        </IntegrationsBreadcrumb>
        <h1>{t!(i18n, public_api)}</h1>
        <p class="lead">{t!(i18n, public_api_lead)}</p>
        // Served by the server, not a page of this app: a full navigation.
        <p><a href="/docs/" rel="external">{t!(i18n, api_docs_link)}</a></p>
        <section class="card" aria-labelledby="switch-title">
            <h2 id="switch-title" class="visually-hidden">{t!(i18n, enable_public_api)}</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match state.await {
                        Ok(s) => {
                            let next = if s.enabled { "false" } else { "true" };
                            view! {
                                <ActionForm action=toggle attr:class="switch-form">
                                    <input type="hidden" name="enabled" value=next />
                                    <button
                                        type="submit"
                                        role="switch"
                                        class="switch"
                                        aria-checked=if s.enabled { "true" } else { "false" }
                                        disabled=!s.may_change
                                        aria-describedby="switch-state"
                                    >
                                        <span class="switch-track" aria-hidden="true"><span class="switch-thumb"></span></span>
                                        {t!(i18n, enable_public_api)}
                                    </button>
                                </ActionForm>
                                <p id="switch-state" data-testid="public-api-state">
                                    {if s.enabled { t!(i18n, public_api_is_on).into_any() } else { t!(i18n, public_api_is_off).into_any() }}
                                </p>
                                {(!s.may_change).then(|| view! { <p class="hint">{t!(i18n, public_api_readonly)}</p> })}
                                <FormError error=toggle_errors.error />
                            }
                            .into_any()
                        }
                        Err(err) => view! { <FormError error=Some(err) /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <section aria-labelledby="keys-title">
            <h2 id="keys-title">{t!(i18n, api_keys)}</h2>
            <KeysPanel base=BASE offer_create=true />
        </section>
        <DecoysSection base=BASE />
        <p class="hint">{move || t_string!(i18n, api_sets_link_hint)}" " <a href="/settings/integrations/api-sets">{t!(i18n, api_sets)}</a></p>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                state.await.ok().map(|s| view! {
                    <OrganizationIdentifier slug=s.slug.clone() may_change=s.may_change action=rename />
                    <ProtectService state=s />
                })
            })}
        </Transition>
    }
}
