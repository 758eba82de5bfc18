use leptos::prelude::*;

use crate::components::form::{FormError, TextField, use_form_errors};
use crate::i18n::{t, t_string, use_i18n};
use crate::model::notice::Notice;
use crate::model::validation::{Field, PASSWORD_MAX};
use crate::server_fns::auth::ChangePassword;
use crate::server_fns::notice;

/// `/account`: Account settings of the signed-in user.
#[component]
pub fn AccountPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<ChangePassword>::new();
    let errors = use_form_errors(action);
    let done = notice::take() == Some(Notice::PasswordChanged);

    view! {
        <h1>{t!(i18n, account_settings)}</h1>
        <section class="card" aria-labelledby="password-title">
            <h2 id="password-title">{t!(i18n, change_password)}</h2>
            <p class="hint">{t!(i18n, change_password_lead)}</p>
            <ActionForm action=action attr:aria-labelledby="password-title">
                <FormError error=errors.error />
                {done.then(|| view! { <p class="notice" role="status">{t!(i18n, password_changed)}</p> })}
                <TextField id="current-password" name="current_password" field=Some(Field::CurrentPassword) kind="password"
                    label=Signal::derive(move || t_string!(i18n, field_current_password).to_string())
                    autocomplete="current-password" maxlength=PASSWORD_MAX errors=errors.fields />
                <TextField id="new-password" name="new_password" field=Some(Field::Password) kind="password"
                    label=Signal::derive(move || t_string!(i18n, field_new_password).to_string())
                    hint=Signal::derive(move || t_string!(i18n, password_hint).to_string())
                    autocomplete="new-password" maxlength=PASSWORD_MAX errors=errors.fields />
                <TextField id="new-password-confirm" name="new_password_confirm" field=Some(Field::PasswordConfirm) kind="password"
                    label=Signal::derive(move || t_string!(i18n, field_password_confirm).to_string())
                    autocomplete="new-password" maxlength=PASSWORD_MAX errors=errors.fields />
                <button type="submit" class="primary">{t!(i18n, change_password)}</button>
            </ActionForm>
        </section>
    }
}
