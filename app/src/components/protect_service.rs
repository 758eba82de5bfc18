//! The Public API page's "Protect a service" panel: ready-to-paste nginx,
//! Caddy and Traefik configurations for this organization, and its
//! identifier (slug), which those configurations name.
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::form::{FormError, problem_message, use_form_errors};
use crate::components::hydration::{CopyLabels, hydrated};
use crate::i18n::{t, t_string, use_i18n};
use crate::model::keys::PublicApiState;
use crate::model::validation::{self, Field, ORG_SLUG_MAX, Problem};
use crate::proxy_config::{self, DEFAULT_UPSTREAM, Target};
use crate::server_fns::integrations::SetSlug;

const PAGE: &str = "/settings/integrations/public-api";

/// The organization's identifier, and (with Manage Integrations) the form
/// that changes it, with a warning: proxies configured with the old one
/// stop letting requests through.
#[component]
pub fn OrganizationIdentifier(
    slug: String,
    may_change: bool,
    action: ServerAction<SetSlug>,
) -> impl IntoView {
    let i18n = use_i18n();
    let errors = use_form_errors(action);
    // The slug's problem in this form's words; any other refusal as it is.
    let slug_problem = Signal::derive(move || {
        errors.problem(Field::Slug).map(|p| match p {
            Problem::InvalidSlug => t_string!(i18n, org_identifier_invalid).to_string(),
            other => problem_message(i18n, other),
        })
    });
    let other = errors.general();
    view! {
        <section class="card" aria-labelledby="org-slug-title">
            <h2 id="org-slug-title">{t!(i18n, org_identifier)}</h2>
            <p>{t!(i18n, org_identifier_lead)} " " <code data-testid="org-slug">{slug.clone()}</code></p>
            {may_change.then(|| view! {
                <ActionForm action=action attr:class="inline-form">
                    <div class="field">
                        <label for="org-slug">{t!(i18n, org_identifier_new)}</label>
                        <input
                            id="org-slug"
                            name="slug"
                            required=true
                            maxlength=ORG_SLUG_MAX
                            value=slug.clone()
                            aria-describedby="org-slug-warning org-slug-error"
                            aria-invalid=move || {
                                if slug_problem.get().is_some() || other.get().is_some() { "true" } else { "false" }
                            }
                        />
                    </div>
                    <p id="org-slug-warning" class="warning" role="note">{t!(i18n, org_identifier_warning)}</p>
                    <FormError id="org-slug-error" error=other message=slug_problem />
                    <button type="submit">{t!(i18n, org_identifier_change)}</button>
                </ActionForm>
            })}
        </section>
    }
}

/// One configuration, with Copy to clipboard once the page is interactive.
#[component]
fn Snippet(id: &'static str, title: &'static str, text: Signal<String>) -> impl IntoView {
    let i18n = use_i18n();
    let title_id = format!("proxy-{id}-title");
    let (section_label, pre_label) = (title_id.clone(), title_id.clone());
    let text_id = format!("proxy-{id}-text");
    let copy = CopyLabels {
        copy: t_string!(i18n, copy_to_clipboard).to_string(),
        copied: t_string!(i18n, copied).to_string(),
        refused: t_string!(i18n, copy_refused_config).to_string(),
    };
    view! {
        <section class="snippet" aria-labelledby=section_label>
            <h3 id=title_id>{title}</h3>
            <pre tabindex="0" aria-labelledby=pre_label><code id=text_id.clone() data-testid=format!("proxy-{id}")>{text.get_untracked()}</code></pre>
            <CopyButton source=text_id labels=copy />
        </section>
    }
}

/// Copies the text of the element `source` (the configuration shown right
/// above it: the page carries it once, not again in the island's props).
#[island]
fn CopyButton(source: String, labels: CopyLabels) -> impl IntoView {
    let js = hydrated();
    let copied = RwSignal::new(None::<bool>);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let value = document()
                .get_element_by_id(&source)
                .and_then(|element| element.text_content())
                .unwrap_or_default();
            leptos::task::spawn_local(async move {
                copied.set(Some(
                    crate::components::hydration::write_clipboard(&value).await,
                ));
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &source;
    };
    let label = labels.copy.clone();
    view! {
        {move || js.get().then(|| view! {
            <button type="button" on:click=copy.clone()>{label.clone()}</button>
        })}
        <span role="status" class="notice">{move || labels.outcome(copied.get())}</span>
    }
}

/// "Protect a service": the API set to require and the service's address
/// (a plain GET form, so it works before the WASM has loaded), then the
/// three configurations filled in.
#[component]
pub fn ProtectService(state: PublicApiState) -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let sets = state.api_sets.clone();
    let known = sets.clone();
    let require = Memo::new(move |_| {
        let asked = query.read().get("require").unwrap_or_default();
        // Only a set of this organization (or a built-in one) is filled in.
        if validation::slug(&asked).is_ok() && known.contains(&asked) {
            asked
        } else {
            String::new()
        }
    });
    let upstream_asked = Memo::new(move |_| {
        query
            .read()
            .get("upstream")
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| DEFAULT_UPSTREAM.to_owned())
    });
    let upstream_ok = move || proxy_config::url_ok(&upstream_asked.get());
    let (base_url, slug) = (state.base_url.clone(), state.slug.clone());
    let target = Signal::derive(move || Target {
        keyhouse: base_url.clone(),
        org: slug.clone(),
        require: require.get(),
        upstream: if upstream_ok() {
            upstream_asked.get()
        } else {
            DEFAULT_UPSTREAM.to_owned()
        },
    });
    let nginx = Signal::derive(move || proxy_config::nginx(&target.get()));
    let caddy = Signal::derive(move || proxy_config::caddy(&target.get()));
    let traefik = Signal::derive(move || proxy_config::traefik(&target.get()));
    view! {
        <section class="card" aria-labelledby="protect-title">
            <h2 id="protect-title">{t!(i18n, protect_service)}</h2>
            <p class="lead">{t!(i18n, protect_service_lead)}</p>
            <form method="get" action=PAGE class="proxy-form">
                <div class="field">
                    <label for="proxy-require">{t!(i18n, proxy_require)}</label>
                    <select id="proxy-require" name="require">
                        <option value="" selected=move || require.get().is_empty()>{t!(i18n, proxy_require_none)}</option>
                        {sets.into_iter().map(|set| {
                            let (value, label, this) = (set.clone(), set.clone(), set);
                            view! { <option value=value selected=move || require.get() == this>{label}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="proxy-upstream">{t!(i18n, proxy_upstream)}</label>
                    <input
                        id="proxy-upstream"
                        name="upstream"
                        type="url"
                        value=move || upstream_asked.get()
                        aria-invalid=move || if upstream_ok() { "false" } else { "true" }
                        aria-describedby="proxy-upstream-error"
                    />
                    <p id="proxy-upstream-error" class="form-error" role="alert">
                        {move || (!upstream_ok()).then(|| t_string!(i18n, proxy_upstream_invalid).to_string())}
                    </p>
                </div>
                <button type="submit">{t!(i18n, proxy_show)}</button>
            </form>
            <Snippet id="nginx" title="nginx" text=nginx />
            <Snippet id="caddy" title="Caddy" text=caddy />
            <Snippet id="traefik" title="Traefik" text=traefik />
        </section>
    }
}
