//! Form pieces: a labelled input with its error beside it, and the
//! translation of validation problems.
use leptos::prelude::*;

use crate::i18n::{Locale, t_string, use_i18n};
use crate::model::error::AppError;
use crate::model::validation::{Field, FieldError, Problem};
use leptos_i18n::I18nContext;

pub fn problem_message(i18n: I18nContext<Locale>, problem: Problem) -> String {
    match problem {
        Problem::Required => t_string!(i18n, problem_required),
        Problem::TooLong => t_string!(i18n, problem_too_long),
        Problem::ControlCharacters => t_string!(i18n, problem_control_characters),
        Problem::InvalidEmail => t_string!(i18n, problem_invalid_email),
        Problem::EmailTaken => t_string!(i18n, problem_email_taken),
        Problem::PasswordTooShort => t_string!(i18n, problem_password_too_short),
        Problem::PasswordTooLong => t_string!(i18n, problem_password_too_long),
        Problem::PasswordTooCommon => t_string!(i18n, problem_password_too_common),
        Problem::PasswordMismatch => t_string!(i18n, problem_password_mismatch),
        Problem::InvalidUsername => t_string!(i18n, problem_invalid_username),
        Problem::UsernameTaken => t_string!(i18n, problem_username_taken),
        Problem::NameTaken => t_string!(i18n, problem_name_taken),
        Problem::WrongPassword => t_string!(i18n, problem_wrong_password),
        Problem::InvalidPhone => t_string!(i18n, problem_invalid_phone),
        Problem::InvalidDate => t_string!(i18n, problem_invalid_date),
        Problem::ExpiryInPast => t_string!(i18n, problem_expiry_in_past),
        Problem::UnknownApiSet => t_string!(i18n, problem_unknown_api_set),
        Problem::InvalidSlug => t_string!(i18n, problem_invalid_slug),
        Problem::SlugTaken => t_string!(i18n, problem_slug_taken),
        Problem::OutOfRange => t_string!(i18n, problem_out_of_range),
    }
    .to_string()
}

/// The message for an error that is not about one field.
pub fn error_message(i18n: I18nContext<Locale>, err: &AppError) -> String {
    match err {
        AppError::SignInFailed => t_string!(i18n, sign_in_failed).to_string(),
        AppError::TooManyRequests(seconds) => {
            let minutes = seconds.div_ceil(60).max(1);
            t_string!(i18n, too_many_attempts, minutes = minutes).to_string()
        }
        AppError::Invalid(_) => t_string!(i18n, form_has_errors).to_string(),
        AppError::Conflict(reason) => match reason.as_str() {
            "last_admin" => t_string!(i18n, last_admin).to_string(),
            "role_in_use" => t_string!(i18n, role_in_use).to_string(),
            "builtin_role" => t_string!(i18n, builtin_role).to_string(),
            "invitation_invalid" => t_string!(i18n, invitation_invalid).to_string(),
            "account_exists" => t_string!(i18n, account_exists).to_string(),
            "already_member" => t_string!(i18n, already_member).to_string(),
            "too_many_keys" => t_string!(i18n, too_many_keys).to_string(),
            "already_created" => t_string!(i18n, key_already_created).to_string(),
            "no_grace" => t_string!(i18n, no_grace).to_string(),
            "builtin_api_set" => t_string!(i18n, builtin_api_set).to_string(),
            _ => t_string!(i18n, error_generic).to_string(),
        },
        AppError::Forbidden => t_string!(i18n, forbidden).to_string(),
        AppError::GrantRefused(reason) => match reason.as_str() {
            "admin_role" => t_string!(i18n, grant_admin_role).to_string(),
            "role_exceeds_yours" => t_string!(i18n, grant_role_exceeds_yours).to_string(),
            "own_role" => t_string!(i18n, grant_own_role).to_string(),
            "authority_not_held" => t_string!(i18n, grant_authority_not_held).to_string(),
            _ => t_string!(i18n, forbidden).to_string(),
        },
        AppError::Unauthorized => t_string!(i18n, sign_in_needed).to_string(),
        AppError::NotFound => t_string!(i18n, not_found_title).to_string(),
        _ => t_string!(i18n, error_generic).to_string(),
    }
}

/// The field errors of the last attempt, from an action's value.
pub fn field_errors<T>(value: Option<Result<T, AppError>>) -> Vec<FieldError> {
    match value {
        Some(Err(AppError::Invalid(errors))) => errors,
        _ => Vec::new(),
    }
}

/// A labelled input with its hint and error. The input is described by
/// both, and marked invalid when the server refused its value.
#[component]
pub fn TextField(
    id: &'static str,
    name: &'static str,
    field: Option<Field>,
    #[prop(into)] label: Signal<String>,
    #[prop(optional, into)] hint: Option<Signal<String>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] maxlength: Option<usize>,
    #[prop(default = true)] required: bool,
    #[prop(into)] errors: Signal<Vec<FieldError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let problem = move || {
        field.and_then(|f| {
            errors
                .get()
                .into_iter()
                .find(|e| e.field == f)
                .map(|e| e.problem)
        })
    };
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = {
        let (error_id, hint_id) = (error_id.clone(), hint_id.clone());
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if problem().is_some() {
                ids.push(error_id.clone());
            }
            ids.join(" ")
        }
    };
    view! {
        <div class="field">
            <label for=id>{move || label.get()}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                maxlength=maxlength
                required=required
                aria-invalid=move || problem().is_some().then_some("true")
                aria-describedby=described_by
            />
            {hint.map(|hint| view! { <p class="hint" id=hint_id>{move || hint.get()}</p> })}
            {move || {
                problem()
                    .map(|p| {
                        view! {
                            <p class="field-error" id=error_id.clone()>
                                {problem_message(i18n, p)}
                            </p>
                        }
                    })
            }}
        </div>
    }
}
