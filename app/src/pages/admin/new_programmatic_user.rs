use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::admin_area::AdminCrumb;
use crate::components::form::{FormError, TextField, use_form_errors};
use crate::components::role_select::RoleSelect;
use crate::i18n::{t, t_string, use_i18n};
use crate::model::validation::{Field, NAME_MAX, PASSWORD_MAX};
use crate::server_fns::users::CreateProgrammaticUser;

/// `/admin/programmatic-users/new`.
#[component]
pub fn NewProgrammaticUserPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<CreateProgrammaticUser>::new();
    let errors = use_form_errors(action);

    view! {
        <nav class="breadcrumb" aria-label=move || t_string!(i18n, breadcrumb)>
            <ol>
                <AdminCrumb />
                <li><A href="/admin/users">{t!(i18n, user_management)}</A></li>
                <li aria-current="page">{t!(i18n, new_programmatic_user)}</li>
            </ol>
        </nav>
        <section class="auth-card" aria-labelledby="new-user-title">
            <h1 id="new-user-title">{t!(i18n, new_programmatic_user)}</h1>
            <p class="lead">{t!(i18n, new_programmatic_user_lead)}</p>
            <ActionForm action=action attr:aria-labelledby="new-user-title">
                <FormError error=errors.error />
                <TextField id="new-user-username" name="username" field=Some(Field::Username)
                    label=Signal::derive(move || t_string!(i18n, field_username).to_string())
                    autocomplete="off" maxlength=64 errors=errors.fields />
                <TextField id="new-user-name" name="name" field=Some(Field::Name)
                    label=Signal::derive(move || t_string!(i18n, field_name).to_string())
                    autocomplete="off" maxlength=NAME_MAX required=false errors=errors.fields />
                <TextField id="new-user-password" name="password" field=Some(Field::Password) kind="password"
                    label=Signal::derive(move || t_string!(i18n, field_password).to_string())
                    hint=Signal::derive(move || t_string!(i18n, password_hint).to_string())
                    autocomplete="new-password" maxlength=PASSWORD_MAX errors=errors.fields />
                <RoleSelect id="new-user-role" />
                <button type="submit" class="primary">{t!(i18n, create_user)}</button>
            </ActionForm>
        </section>
    }
}
