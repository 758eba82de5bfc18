//! The Create API key dialog, opened by `?dialog=create`.
use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::dialog::Dialog;
use crate::components::form::{FormError, TextField, problem_message, use_form_errors};
use crate::i18n::{t, t_string, use_i18n};
use crate::model::error::AppError;
use crate::model::keys::{CreateKeyForm, DESCRIPTION_MAX, EXPIRY_CHOICES};
use crate::model::policy::KeyPolicy;
use crate::model::validation::{Field, NAME_MAX};
use crate::server_fns::keys::CreateKey;

use super::picker::ApiSetPicker;

#[component]
pub(super) fn CreateKeyDialog(
    form: Result<CreateKeyForm, AppError>,
    action: ServerAction<CreateKey>,
    base: String,
) -> impl IntoView {
    let i18n = use_i18n();
    let errors = use_form_errors(action);
    let problem = move |field: Field, id: &'static str| {
        errors
            .problem(field)
            .map(|p| view! { <p class="field-error" id=id>{problem_message(i18n, p)}</p> })
    };
    let invalid = move |field: Field| errors.problem(field).is_some().then_some("true");
    let described =
        move |field: Field, id: &'static str| errors.problem(field).is_some().then_some(id);
    view! {
        <Dialog labelled_by="create-key-title" close_href=base.clone() class="wide">
            <h2 id="create-key-title">{t!(i18n, create_api_key)}</h2>
            {match form {
                Err(err) => view! { <FormError error=Some(err) /> }.into_any(),
                Ok(form) => view! {
                                <ActionForm action=action attr:aria-labelledby="create-key-title">
                                    <input type="hidden" name="request_token" value=form.request_token.clone() />
                                    <input type="hidden" name="back" value=base.clone() />
                                    <FormError error=errors.error />
                                    <TextField
                                        id="key-name"
                                        name="name"
                                        field=Some(Field::Name)
                                        label=Signal::derive(move || t_string!(i18n, key_name).to_string())
                                        maxlength=NAME_MAX
                                        errors=errors.fields
                                    />
                                    <div class="field">
                                        <label for="key-description">{t!(i18n, field_description)}</label>
                                        <textarea
                                            id="key-description"
                                            name="description"
                                            rows="2"
                                            maxlength=DESCRIPTION_MAX
                                            aria-invalid=move || invalid(Field::Description)
                                            aria-describedby=move || described(Field::Description, "key-description-error")
                                        ></textarea>
                                        {move || problem(Field::Description, "key-description-error")}
                                    </div>
                                    <ApiSetPicker sets=form.api_sets.clone() />
                                    {move || problem(Field::ApiSets, "key-api-sets-error")}
                                    <div class="field-row">
                                        <div class="field">
                                            <label for="key-expires">{t!(i18n, field_expires)}</label>
                                            <select
                                                id="key-expires"
                                                name="expires"
                                                aria-invalid=move || invalid(Field::Expires)
                                                aria-describedby={
                                                    let hint = form.policy.requires_expiry().then_some("key-policy-hint");
                                                    move || {
                                                        let ids: Vec<&str> = hint.into_iter().chain(described(Field::Expires, "key-expires-error")).collect();
                                                        (!ids.is_empty()).then(|| ids.join(" "))
                                                    }
                                                }
                                            >
                                                <ExpiryOptions policy=form.policy.clone() keep=None />
                                            </select>
                                        </div>
                                        <div class="field">
                                            <label for="key-expires-on">{t!(i18n, field_expires_on)}</label>
                                            <input
                                                id="key-expires-on"
                                                name="expires_on"
                                                type="date"
                                                max=form.policy.latest_date.clone()
                                                aria-invalid=move || invalid(Field::Expires)
                                                aria-describedby=move || described(Field::Expires, "key-expires-error")
                                            />
                                        </div>
                                    </div>
                                    <PolicyHint policy=form.policy.clone() />
                                    {move || problem(Field::Expires, "key-expires-error")}
                                    <div class="dialog-buttons">
                                        <button type="submit" class="primary">{t!(i18n, finish)}</button>
                                        <A href=base.clone() attr:class="button">{t!(i18n, cancel)}</A>
                                    </div>
                                </ActionForm>
                            }
                            .into_any(),
            }}
        </Dialog>
    }
}

/// The Expires field's choices the organization's key policy allows,
/// starting on its default. `keep`: the Roll dialog's "Keep …" option
/// comes first and is chosen.
#[component]
pub(super) fn ExpiryOptions(policy: KeyPolicy, keep: Option<String>) -> impl IntoView {
    let i18n = use_i18n();
    let initial = if keep.is_some() {
        "keep".to_owned()
    } else {
        policy.initial_choice().to_owned()
    };
    let label = move |choice: &str| match choice {
        "never" => t_string!(i18n, expires_never).to_string(),
        "30" => t_string!(i18n, expires_30).to_string(),
        "90" => t_string!(i18n, expires_90).to_string(),
        "365" => t_string!(i18n, expires_365).to_string(),
        _ => t_string!(i18n, expires_date).to_string(),
    };
    view! {
        {keep.map(|text| view! { <option value="keep" selected=true>{text}</option> })}
        {EXPIRY_CHOICES
            .into_iter()
            .filter(|c| policy.offers(c))
            .map(|c| view! { <option value=c selected=initial == c>{label(c)}</option> })
            .collect_view()}
    }
}

/// What the organization's key policy asks of a key's expiry, if anything.
#[component]
pub(super) fn PolicyHint(policy: KeyPolicy) -> impl IntoView {
    let i18n = use_i18n();
    match (policy.max_lifetime_days, policy.requires_expiry()) {
        (Some(days), _) => Some(
            view! { <p class="hint" id="key-policy-hint" data-testid="policy-hint">{t!(i18n, policy_hint_max, days = days)}</p> }
                .into_any(),
        ),
        (None, true) => Some(
            view! { <p class="hint" id="key-policy-hint" data-testid="policy-hint">{t!(i18n, policy_hint_required)}</p> }
                .into_any(),
        ),
        (None, false) => None,
    }
}
