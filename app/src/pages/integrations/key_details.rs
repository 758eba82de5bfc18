use leptos::prelude::*;
use leptos_router::{
    components::A,
    hooks::{use_params_map, use_query_map},
};

use super::IntegrationsBreadcrumb;
use crate::components::form::{FormError, problem_message, use_form_errors};
use crate::components::keys::{
    AllowedAddressesSection, DeleteKeyDialog, RollKeyDialog, RotationSection, UsageChart,
    UsedFromTable, status_label, when,
};
use crate::i18n::{t, t_string, use_i18n};
use crate::model::keys::{KeyDetails, KeyLeak, KeyStatus, RATE_LIMIT_MAX, SecretState};
use crate::model::notice::Notice;
use crate::model::validation::Field;
use crate::server_fns::keys::{
    DeleteKey, EndKeyGrace, RollKey, SetKeyAllowedAddresses, SetKeyEnabled, SetKeyRateLimit,
    get_key_details,
};
use crate::server_fns::notice;

/// The Public API page: the key list, where a deletion or a roll leads.
const LIST: &str = "/settings/integrations/public-api";

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
    let query = use_query_map();
    let set_limit = ServerAction::<SetKeyRateLimit>::new();
    let end_grace = ServerAction::<EndKeyGrace>::new();
    let set_addresses = ServerAction::<SetKeyAllowedAddresses>::new();
    let details = Resource::new(
        move || {
            let versions = (set_limit.version().get(), end_grace.version().get());
            (id(), versions, set_addresses.version().get())
        },
        |(id, _, _)| get_key_details(id),
    );
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
                    Err(err) => return view! { <FormError error=Some(err) /> }.into_any(),
                };
                let usage = d.usage.clone();
                let used_from = d.used_from.clone();
                let rotation = d.rotation.clone().map(|rotation| view! { <RotationSection rotation /> });
                let rate_limit = view! { <RateLimitSection details=d.clone() action=set_limit /> };
                let addresses = view! { <AllowedAddressesSection details=d.clone() action=set_addresses /> };
                let in_grace = d.may_change && d.secrets.iter().any(|s| s.state == SecretState::Grace);
                let end_grace_form = view! { <EndGraceForm key_id=d.key.id action=end_grace shown=in_grace /> };
                let actions = view! { <KeyActions details=d.clone() /> };
                let q = query.get_untracked();
                let here = format!("{LIST}/keys/{}", d.key.id);
                let deleting = (q.get("delete").is_some() && d.may_change).then(|| {
                    let delete = ServerAction::<DeleteKey>::new();
                    view! { <DeleteKeyDialog row=d.key.clone() action=delete base=here.clone() done=LIST.to_owned() /> }
                });
                let rolling = (q.get("roll").is_some() && d.may_roll && d.key.is_own).then(|| {
                    let roll = ServerAction::<RollKey>::new();
                    view! { <RollKeyDialog row=d.key.clone() policy=d.policy.clone() action=roll base=here.clone() done=LIST.to_owned() /> }
                });
                let leak = d.leak.clone().map(|l| view! { <LeakBanner leak=l /> });
                let k = d.key;
                view! {
                    {leak}
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
                        {actions}
                    </section>
                    {deleting}
                    {rolling}
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
                                            <td>{match s.state {
                                                SecretState::Current => t!(i18n, secret_current).into_any(),
                                                SecretState::Grace => t!(i18n, secret_grace, until = until.clone()).into_any(),
                                                SecretState::Retired => t!(i18n, secret_retired).into_any(),
                                            }}</td>
                                            <td>{match &s.last_used_at { Some(at) => when(at).into_any(), None => t!(i18n, never_used).into_any() }}</td>
                                            <td>{s.last_used_ip.clone().unwrap_or_default()}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        {end_grace_form}
                    </section>
                    {rotation}
                    <section class="card" aria-labelledby="usage-title">
                        <h2 id="usage-title">{t!(i18n, usage_title)}</h2>
                        <UsageChart days=usage />
                    </section>
                    <section class="card" aria-labelledby="used-from-title">
                        <h2 id="used-from-title">{t!(i18n, used_from_title)}</h2>
                        <UsedFromTable addresses=used_from />
                    </section>
                    {addresses}
                    {rate_limit}
                }
                .into_any()
            })}
        </Transition>
    }
}

/// The red banner of a key a secret scanner reported as found in public.
#[component]
fn LeakBanner(leak: KeyLeak) -> impl IntoView {
    let i18n = use_i18n();
    let or_unknown = |text: String| {
        if text.is_empty() {
            "?".to_owned()
        } else {
            text
        }
    };
    let (at, url, source) = (
        when(&leak.at),
        or_unknown(leak.url),
        or_unknown(leak.source),
    );
    view! {
        <section class="banner danger" role="alert" aria-labelledby="leak-title" data-testid="leak-banner">
            <h2 id="leak-title">{t!(i18n, key_leaked_title)}</h2>
            <p>{t!(i18n, key_leaked_banner, at = at, url = url, source = source)}</p>
        </section>
    }
}

/// The key's own rate limit on the HTTP API, and (for whoever may put the
/// key to work) the form that sets it.
#[component]
fn RateLimitSection(details: KeyDetails, action: ServerAction<SetKeyRateLimit>) -> impl IntoView {
    let i18n = use_i18n();
    let id = details.key.id;
    let current = details.rate_limit_per_minute;
    let errors = use_form_errors(action);
    let problem = move || {
        errors
            .problem(Field::RateLimit)
            .map(|p| problem_message(i18n, p))
    };
    let saved = notice::take() == Some(Notice::RateLimitSaved);
    let back = format!("/settings/integrations/public-api/keys/{id}");
    view! {
        <section class="card" aria-labelledby="rate-limit-title">
            <h2 id="rate-limit-title">{t!(i18n, rate_limit_title)}</h2>
            <p data-testid="rate-limit">{match current {
                Some(n) => t!(i18n, rate_limit_value, n = n).into_any(),
                None => t!(i18n, rate_limit_none).into_any(),
            }}</p>
            {details.may_set_rate_limit.then(|| view! {
                <ActionForm action=action attr:aria-labelledby="rate-limit-title">
                    <input type="hidden" name="id" value=id />
                    <input type="hidden" name="back" value=back.clone() />
                    <div class="field">
                        <label for="rate-limit">{t!(i18n, rate_limit_field)}</label>
                        <input
                            id="rate-limit"
                            name="per_minute"
                            type="number"
                            inputmode="numeric"
                            min="1"
                            max=RATE_LIMIT_MAX
                            value=current.map(|n| n.to_string()).unwrap_or_default()
                            aria-describedby="rate-limit-hint rate-limit-error"
                            aria-invalid=move || problem().is_some().to_string()
                        />
                        <p class="hint" id="rate-limit-hint">{t!(i18n, rate_limit_hint)}</p>
                        <p class="field-error" id="rate-limit-error">{problem}</p>
                    </div>
                    <FormError error=errors.general() />
                    {saved.then(|| view! { <p class="notice" role="status">{t!(i18n, rate_limit_saved)}</p> })}
                    <button type="submit" class="primary">
                        {t!(i18n, rate_limit_save)}
                    </button>
                </ActionForm>
            })}
        </section>
    }
}

/// "End grace period now" under the secrets, while a rolled secret still
/// works: a plain form post (works without JavaScript), and afterwards what
/// happened.
#[component]
fn EndGraceForm(key_id: i64, action: ServerAction<EndKeyGrace>, shown: bool) -> impl IntoView {
    let i18n = use_i18n();
    let errors = use_form_errors(action);
    let done = notice::take() == Some(Notice::GraceEnded);
    let back = format!("/settings/integrations/public-api/keys/{key_id}");
    view! {
        <FormError error=errors.error />
        {done.then(|| view! { <p class="notice" role="status">{t!(i18n, end_grace_done)}</p> })}
        {shown.then(|| view! {
            <ActionForm action=action attr:aria-describedby="end-grace-hint">
                <input type="hidden" name="id" value=key_id />
                <input type="hidden" name="back" value=back.clone() />
                <p class="hint" id="end-grace-hint">{t!(i18n, end_grace_hint)}</p>
                <button type="submit" class="danger">
                    {t!(i18n, end_grace_now)}
                </button>
            </ActionForm>
        })}
    }
}

/// The key's actions, as the list offers them: Disable or Enable (back to
/// this page), Roll and Delete (their confirmations open on this page).
#[component]
fn KeyActions(details: KeyDetails) -> impl IntoView {
    let i18n = use_i18n();
    let set_enabled = ServerAction::<SetKeyEnabled>::new();
    let k = details.key;
    let here = format!("{LIST}/keys/{}", k.id);
    let disabled = k.status == KeyStatus::Disabled;
    let toggle = if disabled {
        t_string!(i18n, enable)
    } else {
        t_string!(i18n, disable)
    };
    let (roll_href, delete_href) = (format!("{here}?roll=1"), format!("{here}?delete=1"));
    view! {
        <div class="actions" role="group" aria-label=t_string!(i18n, col_actions)>
            {(details.may_change && k.status != KeyStatus::Leaked).then(|| view! {
                <ActionForm action=set_enabled>
                    <input type="hidden" name="id" value=k.id.to_string() />
                    <input type="hidden" name="enabled" value=if disabled { "true" } else { "false" } />
                    <input type="hidden" name="back" value=here />
                    <button type="submit">{toggle}</button>
                </ActionForm>
            })}
            {(details.may_roll && k.is_own).then(|| view! {
                <a href=roll_href class="button">{t!(i18n, roll)}</a>
            })}
            {details.may_change.then(|| view! {
                <a href=delete_href class="button danger-link">{t!(i18n, delete)}</a>
            })}
        </div>
    }
}
