//! `/settings/integrations/key-policy`: the organization's key policy
//! (Manage Integrations changes it; every member sees it), and the keys
//! made before it that would outlive it, with "Shorten to the policy".
use leptos::prelude::*;

use super::IntegrationsBreadcrumb;
use crate::components::form::{FormError, problem_message, use_form_errors};
use crate::components::keys::when;
use crate::i18n::{t, t_string, use_i18n};
use crate::model::notice::Notice;
use crate::model::policy::{DEFAULT_EXPIRY_CHOICES, KeyPolicy, KeyPolicyPage, POLICY_DAYS_MAX};
use crate::model::validation::Field;
use crate::server_fns::key_policy::{SaveKeyPolicy, ShortenKeys, get_key_policy};
use crate::server_fns::notice;

#[component]
pub fn KeyPolicyPage() -> impl IntoView {
    let i18n = use_i18n();
    let save = ServerAction::<SaveKeyPolicy>::new();
    let shorten = ServerAction::<ShortenKeys>::new();
    let page = Resource::new(
        move || (save.version().get(), shorten.version().get()),
        |_| get_key_policy(),
    );
    let told = notice::take();
    view! {
        <IntegrationsBreadcrumb>
            <li aria-current="page">{t!(i18n, key_policy)}</li>
        </IntegrationsBreadcrumb>
        <h1>{t!(i18n, key_policy)}</h1>
        <p class="lead">{t!(i18n, key_policy_lead)}</p>
        <Transition fallback=|| ()>
            {move || {
                let told = told.clone();
                Suspend::new(async move {
                    match page.await {
                        Ok(p) => view! {
                            <PolicyForm policy=p.policy.clone() may_change=p.may_change action=save told=told.clone() />
                            <BeyondSection page=p action=shorten told />
                        }
                        .into_any(),
                        Err(err) => view! { <FormError error=Some(err) /> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}

fn days_text(days: Option<u32>) -> String {
    days.map(|d| d.to_string()).unwrap_or_default()
}

#[component]
fn PolicyForm(
    policy: KeyPolicy,
    may_change: bool,
    action: ServerAction<SaveKeyPolicy>,
    told: Option<Notice>,
) -> impl IntoView {
    let i18n = use_i18n();
    let errors = use_form_errors(action);
    let problem = move |field: Field, id: &'static str| {
        errors
            .problem(field)
            .map(|p| view! { <p class="field-error" id=id>{problem_message(i18n, p)}</p> })
    };
    let invalid = move |field: Field| errors.problem(field).is_some().then_some("true");
    let described = move |field: Field, hint: &'static str, error: &'static str| {
        if errors.problem(field).is_some() {
            format!("{hint} {error}")
        } else {
            hint.to_owned()
        }
    };
    let saved = move || {
        told == Some(Notice::KeyPolicySaved) || action.value().with(|v| matches!(v, Some(Ok(()))))
    };
    let choice_label = move |choice: &str| match choice {
        "date" => t_string!(i18n, expires_date).to_string(),
        "30" => t_string!(i18n, expires_30).to_string(),
        "90" => t_string!(i18n, expires_90).to_string(),
        "365" => t_string!(i18n, expires_365).to_string(),
        _ => t_string!(i18n, expires_never).to_string(),
    };
    let max_days = POLICY_DAYS_MAX.to_string();
    view! {
        <section class="card" aria-labelledby="policy-title">
            <h2 id="policy-title">{t!(i18n, key_policy_rules)}</h2>
            {(!may_change).then(|| view! { <p class="hint">{t!(i18n, key_policy_readonly)}</p> })}
            <ActionForm action=action attr:aria-labelledby="policy-title">
                <FormError error=errors.error />
                <fieldset disabled=!may_change>
                    <div class="field">
                        <label for="policy-max-lifetime">{t!(i18n, field_max_lifetime)}</label>
                        <input
                            id="policy-max-lifetime"
                            name="max_lifetime_days"
                            type="number"
                            min="1"
                            max=max_days.clone()
                            inputmode="numeric"
                            value=days_text(policy.max_lifetime_days)
                            aria-invalid=move || invalid(Field::MaxLifetime)
                            aria-describedby=move || described(Field::MaxLifetime, "policy-max-lifetime-hint", "policy-max-lifetime-error")
                        />
                        <p class="hint" id="policy-max-lifetime-hint">{t!(i18n, max_lifetime_hint)}</p>
                        {move || problem(Field::MaxLifetime, "policy-max-lifetime-error")}
                    </div>
                    <div class="field checkbox">
                        <input
                            id="policy-expiry-required"
                            name="expiry_required"
                            type="checkbox"
                            value="true"
                            checked=policy.expiry_required
                        />
                        <label for="policy-expiry-required">{t!(i18n, field_expiry_required)}</label>
                    </div>
                    <div class="field">
                        <label for="policy-default-expiry">{t!(i18n, field_default_expiry)}</label>
                        <select
                            id="policy-default-expiry"
                            name="default_expiry"
                            aria-invalid=move || invalid(Field::DefaultExpiry)
                            aria-describedby=move || errors.problem(Field::DefaultExpiry).map(|_| "policy-default-expiry-error")
                        >
                            {DEFAULT_EXPIRY_CHOICES.into_iter().map(|c| view! {
                                <option value=c selected=policy.default_expiry == c>{choice_label(c)}</option>
                            }).collect_view()}
                        </select>
                        {move || problem(Field::DefaultExpiry, "policy-default-expiry-error")}
                    </div>
                    <div class="field">
                        <label for="policy-disable-unused">{t!(i18n, field_disable_unused)}</label>
                        <input
                            id="policy-disable-unused"
                            name="disable_unused_days"
                            type="number"
                            min="1"
                            max=max_days
                            inputmode="numeric"
                            value=days_text(policy.disable_unused_days)
                            aria-invalid=move || invalid(Field::DisableUnused)
                            aria-describedby=move || described(Field::DisableUnused, "policy-disable-unused-hint", "policy-disable-unused-error")
                        />
                        <p class="hint" id="policy-disable-unused-hint">{t!(i18n, disable_unused_hint)}</p>
                        {move || problem(Field::DisableUnused, "policy-disable-unused-error")}
                    </div>
                    {move || saved().then(|| view! { <p class="notice" role="status">{t!(i18n, key_policy_saved)}</p> })}
                    <button type="submit" class="primary">{t!(i18n, save_key_policy)}</button>
                </fieldset>
            </ActionForm>
        </section>
    }
}

#[component]
fn BeyondSection(
    page: KeyPolicyPage,
    action: ServerAction<ShortenKeys>,
    told: Option<Notice>,
) -> impl IntoView {
    let i18n = use_i18n();
    let errors = use_form_errors(action);
    let shortened = move || {
        told == Some(Notice::KeysShortened) || action.value().with(|v| matches!(v, Some(Ok(_))))
    };
    if !page.may_change || !page.policy.requires_expiry() {
        return ().into_any();
    }
    let days = page.policy.max_lifetime_days;
    let total = page.beyond_total;
    let none = move || match days {
        Some(days) => t_string!(i18n, beyond_none, days = days).to_string(),
        None => t_string!(i18n, beyond_none_required).to_string(),
    };
    let lead = move || match days {
        Some(days) => t_string!(i18n, beyond_lead, count = total, days = days).to_string(),
        None => t_string!(i18n, beyond_lead_required, count = total).to_string(),
    };
    let body = if total == 0 {
        view! { <p data-testid="beyond-none">{none}</p> }.into_any()
    } else if !page.may_shorten {
        view! {
            <p id="beyond-lead">{lead}</p>
            <p class="hint">{t!(i18n, beyond_needs_all_keys)}</p>
        }
        .into_any()
    } else {
        let never = t_string!(i18n, expires_never).to_string();
        view! {
            <p id="beyond-lead">{lead}</p>
            <table class="data-table" aria-labelledby="beyond-title">
                <thead>
                    <tr>
                        <th scope="col">{t!(i18n, col_name)}</th>
                        <th scope="col">{t!(i18n, col_owner)}</th>
                        <th scope="col">{t!(i18n, col_expires)}</th>
                    </tr>
                </thead>
                <tbody>
                    {page.beyond.into_iter().map(|k| view! {
                        <tr data-key-id=k.id>
                            <th scope="row">{k.name}</th>
                            <td>{k.owner}</td>
                            <td>{k.expires_at.as_deref().map_or_else(|| never.clone(), when)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            {match days {
                Some(_) => view! {
                    <ActionForm action=action>
                        <FormError error=errors.error />
                        <button type="submit" class="primary">{t!(i18n, shorten_to_policy)}</button>
                    </ActionForm>
                }
                .into_any(),
                None => view! { <p class="hint">{t!(i18n, beyond_set_maximum)}</p> }.into_any(),
            }}
        }
        .into_any()
    };
    view! {
        <section class="card" aria-labelledby="beyond-title">
            <h2 id="beyond-title">{t!(i18n, beyond_title)}</h2>
            {move || shortened().then(|| view! { <p class="notice" role="status">{t!(i18n, keys_shortened)}</p> })}
            {body}
        </section>
    }
    .into_any()
}
