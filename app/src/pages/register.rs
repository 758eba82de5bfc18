use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::form::{FormError, TextField, use_form_errors};
use crate::i18n::{t, t_string, use_i18n};
use crate::model::validation::{EMAIL_MAX, Field, NAME_MAX, PASSWORD_MAX};
use crate::server_fns::auth::{Register, sign_up_open};

/// `/register`: a new organization and its first user, its Admin. With
/// `KEYHOUSE_SIGNUP=invite-only` it explains that an invitation is needed.
#[component]
pub fn RegisterPage() -> impl IntoView {
    let i18n = use_i18n();
    let open = Resource::new(|| (), |_| sign_up_open());
    view! {
        <section class="auth-card" aria-labelledby="register-title">
            <h1 id="register-title">{t!(i18n, register_title)}</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    // Should the question fail, the form shows; the server
                    // still refuses a sign-up it does not allow.
                    if open.await.unwrap_or(true) {
                        view! { <RegisterForm /> }.into_any()
                    } else {
                        view! {
                            <p class="lead" data-testid="sign-up-invite-only">{t!(i18n, sign_up_invite_only)}</p>
                        }
                        .into_any()
                    }
                })}
            </Suspense>
            <p class="switch-auth">
                {t!(i18n, have_account)} " " <A href="/login">{t!(i18n, sign_in)}</A>
            </p>
        </section>
    }
}

#[component]
fn RegisterForm() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<Register>::new();
    let errors = use_form_errors(action);

    view! {
            <p class="lead">{t!(i18n, register_lead)}</p>
            <ActionForm action=action attr:aria-labelledby="register-title">
                <FormError error=errors.error />
                <TextField
                    id="register-name"
                    name="name"
                    field=Some(Field::Name)
                    label=Signal::derive(move || t_string!(i18n, field_name).to_string())
                    autocomplete="name"
                    maxlength=NAME_MAX
                    errors=errors.fields
                />
                <TextField
                    id="register-email"
                    name="email"
                    field=Some(Field::Email)
                    kind="email"
                    label=Signal::derive(move || t_string!(i18n, field_email).to_string())
                    autocomplete="email"
                    maxlength=EMAIL_MAX
                    errors=errors.fields
                />
                <TextField
                    id="register-password"
                    name="password"
                    field=Some(Field::Password)
                    kind="password"
                    label=Signal::derive(move || t_string!(i18n, field_password).to_string())
                    hint=Signal::derive(move || t_string!(i18n, password_hint).to_string())
                    autocomplete="new-password"
                    maxlength=PASSWORD_MAX
                    errors=errors.fields
                />
                <TextField
                    id="register-password-confirm"
                    name="password_confirm"
                    field=Some(Field::PasswordConfirm)
                    kind="password"
                    label=Signal::derive(move || t_string!(i18n, field_password_confirm).to_string())
                    autocomplete="new-password"
                    maxlength=PASSWORD_MAX
                    errors=errors.fields
                />
                <TextField
                    id="register-location"
                    name="location_name"
                    field=Some(Field::LocationName)
                    label=Signal::derive(move || t_string!(i18n, field_location_name).to_string())
                    hint=Signal::derive(move || t_string!(i18n, location_name_hint).to_string())
                    autocomplete="organization"
                    maxlength=NAME_MAX
                    errors=errors.fields
                />
                <label class="check">
                    <input type="checkbox" id="create-first-key" name="create_first_key" checked=true />
                    {t!(i18n, create_first_key)}
                </label>
                <input type="hidden" name="first_key_name" value=move || t_string!(i18n, first_key_default_name).to_string() />
                <button type="submit" class="primary">
                    {t!(i18n, register_submit)}
                </button>
            </ActionForm>
    }
}
