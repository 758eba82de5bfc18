use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_params_map};

use super::IntegrationsBreadcrumb;
use crate::components::form::error_message;
use crate::components::keys::{status_label, when};
use crate::i18n::{t, use_i18n};
use crate::server_fns::keys::get_key_details;

/// `/settings/integrations/public-api/keys/{id}`: every field of one key,
/// its API sets and its secrets (roll history, last use and address).
#[component]
pub fn KeyDetailsPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || {
        params
            .get()
            .get("id")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let details = Resource::new(id, get_key_details);
    view! {
        <IntegrationsBreadcrumb>
            <li><A href="/settings/integrations/public-api">{t!(i18n, public_api)}</A></li>
            <li aria-current="page">{t!(i18n, key_details)}</li>
        </IntegrationsBreadcrumb>
        <h1>{t!(i18n, key_details)}</h1>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let d = match details.await {
                    Ok(d) => d,
                    Err(err) => return view! { <p class="form-error" role="alert">{error_message(i18n, &err)}</p> }.into_any(),
                };
                let k = d.key;
                view! {
                    <section class="card" aria-labelledby="key-title">
                        <h2 id="key-title">{k.name.clone()}</h2>
                        <dl class="facts">
                            <dt>{t!(i18n, col_key)}</dt>
                            <dd><code>{format!("{}…", k.visible_start)}</code></dd>
                            <dt>{t!(i18n, field_description)}</dt>
                            <dd>{if k.description.is_empty() { t!(i18n, none).into_any() } else { k.description.clone().into_any() }}</dd>
                            <dt>{t!(i18n, col_status)}</dt>
                            <dd data-testid="key-status">{status_label(i18n, k.status)}</dd>
                            <dt>{t!(i18n, col_api_sets)}</dt>
                            <dd>{if k.api_sets.is_empty() { t!(i18n, none).into_any() } else { k.api_sets.join(", ").into_any() }}</dd>
                            <dt>{t!(i18n, col_owner)}</dt>
                            <dd>{format!("{} ({})", k.owner_name, k.owner)}</dd>
                            <dt>{t!(i18n, col_created)}</dt>
                            <dd>{when(&k.created_at)}</dd>
                            <dt>{t!(i18n, col_expires)}</dt>
                            <dd>{match &k.expires_at { Some(at) => when(at).into_any(), None => t!(i18n, expires_never).into_any() }}</dd>
                            <dt>{t!(i18n, col_last_used)}</dt>
                            <dd>{match &k.last_used_at { Some(at) => when(at).into_any(), None => t!(i18n, never_used).into_any() }}</dd>
                        </dl>
                    </section>
                    <section class="card" aria-labelledby="secrets-title">
                        <h2 id="secrets-title">{t!(i18n, secrets)}</h2>
                        <table class="data-table">
                            <thead>
                                <tr>
                                    <th scope="col">{t!(i18n, col_key)}</th>
                                    <th scope="col">{t!(i18n, col_created)}</th>
                                    <th scope="col">{t!(i18n, col_state)}</th>
                                    <th scope="col">{t!(i18n, col_last_used)}</th>
                                    <th scope="col">{t!(i18n, col_last_used_ip)}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {d.secrets.iter().map(|s| {
                                    let until = s.grace_until.as_deref().map(when).unwrap_or_default();
                                    view! {
                                        <tr>
                                            <th scope="row"><code>{format!("{}…", s.visible_start)}</code></th>
                                            <td>{when(&s.created_at)}</td>
                                            <td>{match s.state.as_str() {
                                                "current" => t!(i18n, secret_current).into_any(),
                                                "grace" => t!(i18n, secret_grace, until = until.clone()).into_any(),
                                                _ => t!(i18n, secret_retired).into_any(),
                                            }}</td>
                                            <td>{match &s.last_used_at { Some(at) => when(at).into_any(), None => t!(i18n, never_used).into_any() }}</td>
                                            <td>{s.last_used_ip.clone().unwrap_or_default()}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </section>
                }
                .into_any()
            })}
        </Transition>
    }
}
