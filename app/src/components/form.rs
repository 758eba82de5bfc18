//! Form pieces: the errors of a form's last submission and the alert that
//! says them, a labelled input with its error beside it, and the
//! translation of validation problems.
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::i18n::{Locale, t_string, use_i18n};
use crate::model::error::{AppError, Conflict, GrantRefusal};
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
        Problem::InvalidAddress => t_string!(i18n, problem_invalid_address),
        Problem::HostBitsSet => t_string!(i18n, problem_host_bits_set),
        Problem::TooManyAddresses => t_string!(i18n, problem_too_many_addresses),
        Problem::DaysOutOfRange => t_string!(i18n, problem_days_out_of_range),
        Problem::ExpiryRequired => t_string!(i18n, problem_expiry_required),
        Problem::BeyondPolicy => t_string!(i18n, problem_beyond_policy),
        Problem::InvalidUrl => t_string!(i18n, problem_invalid_url),
        Problem::UnresolvableHost => t_string!(i18n, problem_unresolvable_host),
        Problem::PrivateAddress => t_string!(i18n, problem_private_address),
        Problem::CannotHoldKeys => t_string!(i18n, problem_cannot_hold_keys),
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
        AppError::Conflict(reason) => match reason {
            Conflict::LastAdmin => t_string!(i18n, last_admin).to_string(),
            Conflict::RoleInUse => t_string!(i18n, role_in_use).to_string(),
            Conflict::BuiltinRole => t_string!(i18n, builtin_role).to_string(),
            Conflict::InvitationInvalid => t_string!(i18n, invitation_invalid).to_string(),
            Conflict::AccountExists => t_string!(i18n, account_exists).to_string(),
            Conflict::AlreadyMember => t_string!(i18n, already_member).to_string(),
            Conflict::TooManyKeys => t_string!(i18n, too_many_keys).to_string(),
            Conflict::AlreadyCreated => t_string!(i18n, key_already_created).to_string(),
            Conflict::NoGrace => t_string!(i18n, no_grace).to_string(),
            Conflict::BuiltinApiSet => t_string!(i18n, builtin_api_set).to_string(),
            Conflict::KeyLeaked => t_string!(i18n, key_leaked_roll_first).to_string(),
            Conflict::TooManyDecoys => t_string!(i18n, too_many_decoys).to_string(),
            Conflict::TooManyWebhooks => t_string!(i18n, too_many_webhooks).to_string(),
            Conflict::OwnerActive => t_string!(i18n, owner_active).to_string(),
        },
        AppError::Forbidden => t_string!(i18n, forbidden).to_string(),
        AppError::GrantRefused(reason) => match reason {
            GrantRefusal::AdminRole => t_string!(i18n, grant_admin_role).to_string(),
            GrantRefusal::RoleExceedsYours => t_string!(i18n, grant_role_exceeds_yours).to_string(),
            GrantRefusal::OwnRole => t_string!(i18n, grant_own_role).to_string(),
            GrantRefusal::AuthorityNotHeld => t_string!(i18n, grant_authority_not_held).to_string(),
        },
        AppError::Unauthorized => t_string!(i18n, sign_in_needed).to_string(),
        AppError::NotFound => t_string!(i18n, not_found_title).to_string(),
        _ => t_string!(i18n, error_generic).to_string(),
    }
}

/// What a form shows of its last submission: the refusal, and the problems
/// of single fields when the refusal was about them.
#[derive(Clone, Copy)]
pub struct FormErrors {
    /// The refusal; `None` before a submission and after a success.
    pub error: Signal<Option<AppError>>,
    /// The problems of single fields (`AppError::Invalid`), for `TextField`.
    pub fields: Signal<Vec<FieldError>>,
}

impl FormErrors {
    fn new(error: Signal<Option<AppError>>) -> Self {
        let fields = Signal::derive(move || match error.get() {
            Some(AppError::Invalid(fields)) => fields,
            _ => Vec::new(),
        });
        Self { error, fields }
    }

    /// The problem of one field, if the refusal named it.
    pub fn problem(self, field: Field) -> Option<Problem> {
        self.fields
            .with(|all| all.iter().find(|e| e.field == field).map(|e| e.problem))
    }

    /// The refusal unless it is about single fields: for forms that say
    /// every field's problem beside the field and nothing more.
    pub fn general(self) -> Signal<Option<AppError>> {
        let error = self.error;
        Signal::derive(move || error.get().filter(|e| !matches!(e, AppError::Invalid(_))))
    }

    /// This form's refusal, or else the other's: two forms that share one
    /// place to say it.
    pub fn or(self, other: FormErrors) -> FormErrors {
        FormErrors::new(Signal::derive(move || {
            self.error.get().or_else(|| other.error.get())
        }))
    }
}

/// The errors of an action's last submission. With JavaScript the action
/// holds the server's answer. After a plain form post Leptos redirects back
/// with the error in the query (`__path`, `__err`); the router hands it to
/// the page and `ServerAction::new` of the same server function starts with
/// it as its value, so the action's value serves both ways.
pub fn use_form_errors<S>(action: ServerAction<S>) -> FormErrors
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
{
    FormErrors::new(Signal::derive(move || {
        action
            .value()
            .with(|value| value.as_ref().and_then(|r| r.as_ref().err().cloned()))
    }))
}

/// The message of a refused submission (or of a page part that failed to
/// load), as an alert, in the user's language. Nothing without an error.
#[component]
pub fn FormError(
    #[prop(into)] error: Signal<Option<AppError>>,
    /// For an input's `aria-describedby`: the alert is then always there,
    /// empty while there is nothing to say, so the reference never dangles.
    #[prop(optional)]
    id: Option<&'static str>,
    /// The form's own words where it has them (a field's problem); the
    /// error's message otherwise.
    #[prop(optional, into)]
    message: Option<Signal<Option<String>>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let text = move || {
        message
            .and_then(|m| m.get())
            .or_else(|| error.get().map(|e| error_message(i18n, &e)))
    };
    match id {
        Some(id) => view! { <p id=id class="form-error" role="alert">{text}</p> }.into_any(),
        None => (move || text().map(|m| view! { <p class="form-error" role="alert">{m}</p> }))
            .into_any(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_problems_beside_fields_and_the_rest_in_the_alert() {
        let owner = Owner::new();
        owner.set();
        let slug = FieldError {
            field: Field::Slug,
            problem: Problem::InvalidSlug,
        };
        let invalid = FormErrors::new(Signal::stored(Some(AppError::Invalid(vec![slug]))));
        assert_eq!(invalid.problem(Field::Slug), Some(Problem::InvalidSlug));
        assert_eq!(invalid.problem(Field::Name), None);
        assert_eq!(invalid.general().get(), None);

        let forbidden = FormErrors::new(Signal::stored(Some(AppError::Forbidden)));
        assert_eq!(forbidden.general().get(), Some(AppError::Forbidden));
        assert!(forbidden.fields.get().is_empty());

        let quiet = FormErrors::new(Signal::stored(None));
        assert_eq!(quiet.or(forbidden).error.get(), Some(AppError::Forbidden));
        assert_eq!(
            invalid.or(forbidden).problem(Field::Slug),
            Some(Problem::InvalidSlug)
        );
        assert_eq!(quiet.or(quiet).error.get(), None);
    }
}
