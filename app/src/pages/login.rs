use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::form::{FormError, TextField, use_form_errors};
use crate::i18n::{t, t_string, use_i18n};
use crate::model::validation::{EMAIL_MAX, PASSWORD_MAX};
use crate::server_fns::auth::SignIn;

/// `/login`.
#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<SignIn>::new();
    let errors = use_form_errors(action);

    view! {
        <section class="auth-card" aria-labelledby="login-title">
            <h1 id="login-title">{t!(i18n, login_title)}</h1>
            <ActionForm action=action attr:aria-labelledby="login-title">
                <FormError error=errors.error />
                <TextField
                    id="login-login"
                    name="login"
                    field=None
                    label=Signal::derive(move || t_string!(i18n, field_login).to_string())
                    autocomplete="username"
                    maxlength=EMAIL_MAX
                    errors=errors.fields
                />
                <TextField
                    id="login-password"
                    name="password"
                    field=None
                    kind="password"
                    label=Signal::derive(move || t_string!(i18n, field_password).to_string())
                    autocomplete="current-password"
                    maxlength=PASSWORD_MAX
                    errors=errors.fields
                />
                <button type="submit" class="primary">
                    {t!(i18n, login_submit)}
                </button>
            </ActionForm>
            <p class="switch-auth">
                {t!(i18n, no_account)} " " <A href="/register">{t!(i18n, sign_up)}</A>
            </p>
        </section>
    }
}
