//! "Allowed addresses" on a key's page: where the key is accepted from, and
//! for whoever may change it a form of one address or CIDR range per line,
//! with "Suggest from the last 30 days" (a disclosure, so it works without
//! JavaScript) offering the ranges the key's own traffic came from, each
//! to tick before saving.
use leptos::prelude::*;

use crate::components::form::{FormError, problem_message, use_form_errors};
use crate::i18n::{t, use_i18n};
use crate::model::keys::KeyDetails;
use crate::model::notice::Notice;
use crate::model::validation::Field;
use crate::server_fns::keys::SetKeyAllowedAddresses;
use crate::server_fns::notice;

#[component]
pub fn AllowedAddressesSection(
    details: KeyDetails,
    action: ServerAction<SetKeyAllowedAddresses>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = details.key.id;
    let current = details.key.allowed_addresses.clone();
    let suggested = details.suggested_addresses.clone();
    let errors = use_form_errors(action);
    let problem = move || {
        errors
            .problem(Field::AllowedAddresses)
            .map(|p| problem_message(i18n, p))
    };
    let saved = notice::take() == Some(Notice::AllowedAddressesSaved);
    let back = format!("/settings/integrations/public-api/keys/{id}");
    let shown = if current.is_empty() {
        view! { <p data-testid="allowed-addresses">{t!(i18n, allowed_addresses_anywhere)}</p> }
            .into_any()
    } else {
        view! {
            <p>{t!(i18n, allowed_addresses_only)}</p>
            <ul data-testid="allowed-addresses">
                {current.iter().map(|a| view! { <li><code>{a.clone()}</code></li> }).collect_view()}
            </ul>
        }
        .into_any()
    };
    let text = current.join("\n");
    view! {
        <section class="card" aria-labelledby="addresses-title">
            <h2 id="addresses-title">{t!(i18n, allowed_addresses_title)}</h2>
            {shown}
            {details.may_set_rate_limit.then(|| view! {
                <ActionForm action=action attr:aria-labelledby="addresses-title">
                    <input type="hidden" name="id" value=id />
                    <input type="hidden" name="back" value=back.clone() />
                    <div class="field">
                        <label for="allowed-addresses">{t!(i18n, allowed_addresses_field)}</label>
                        <textarea
                            id="allowed-addresses"
                            name="addresses"
                            rows="4"
                            spellcheck="false"
                            aria-describedby="addresses-hint addresses-error"
                            aria-invalid=move || problem().is_some().to_string()
                        >{text.clone()}</textarea>
                        <p class="hint" id="addresses-hint">{t!(i18n, allowed_addresses_hint)}</p>
                        <p class="field-error" id="addresses-error">{problem}</p>
                    </div>
                    <details class="suggestions">
                        <summary>{t!(i18n, allowed_addresses_suggest)}</summary>
                        {if suggested.is_empty() {
                            view! { <p>{t!(i18n, allowed_addresses_no_suggestions)}</p> }.into_any()
                        } else {
                            view! {
                                <fieldset>
                                    <legend>{t!(i18n, allowed_addresses_suggest_hint)}</legend>
                                    {suggested.iter().map(|s| view! {
                                        <label class="check">
                                            <input type="checkbox" name="suggested[]" value=s.clone() />
                                            <code>{s.clone()}</code>
                                        </label>
                                    }).collect_view()}
                                </fieldset>
                            }.into_any()
                        }}
                    </details>
                    <FormError error=errors.general() />
                    {saved.then(|| view! { <p class="notice" role="status">{t!(i18n, allowed_addresses_saved)}</p> })}
                    <button type="submit" class="primary">{t!(i18n, allowed_addresses_save)}</button>
                </ActionForm>
            })}
        </section>
    }
}
