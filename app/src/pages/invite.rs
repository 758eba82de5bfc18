use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::components::form::{FormError, TextField, use_form_errors};
use crate::i18n::{t, t_string, use_i18n};
use crate::model::validation::{Field, NAME_MAX, PASSWORD_MAX};
use crate::server_fns::auth::current_user;
use crate::server_fns::invitations::{AcceptInvitation, JoinInvitation, preview_invitation};

/// `/invite/{token}`: join an organization from an invitation link.
#[component]
pub fn InvitePage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let token = move || params.get().get("token").unwrap_or_default();
    let preview = Resource::new(token, preview_invitation);
    let me = Resource::new(|| (), |_| current_user());
    let accept = ServerAction::<AcceptInvitation>::new();
    let join = ServerAction::<JoinInvitation>::new();
    let accept_errors = use_form_errors(accept);
    let join_errors = use_form_errors(join);

    view! {
        <section class="auth-card" aria-labelledby="invite-page-title">
            <h1 id="invite-page-title">{t!(i18n, join_organization)}</h1>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let signed_in = me.await.ok().flatten().is_some();
                    match preview.await {
                        Err(err) => view! { <FormError error=Some(err) /> }.into_any(),
                        Ok(p) => view! {
                            <p class="lead" data-testid="invitation-summary">
                                {t!(i18n, invited_to, organization = p.organization.clone(), role = p.role.clone())}
                            </p>
                            {if signed_in {
                                view! {
                                    <ActionForm action=join>
                                        <input type="hidden" name="token" value=token() />
                                        <FormError error=join_errors.error />
                                        <button type="submit" class="primary">{t!(i18n, join_with_account)}</button>
                                    </ActionForm>
                                }.into_any()
                            } else {
                                view! {
                                    <ActionForm action=accept>
                                        <input type="hidden" name="token" value=token() />
                                        <FormError error=accept_errors.error />
                                        <TextField id="invite-name" name="name" field=Some(Field::Name)
                                            label=Signal::derive(move || t_string!(i18n, field_name).to_string())
                                            autocomplete="name" maxlength=NAME_MAX errors=accept_errors.fields />
                                        <TextField id="invite-password" name="password" field=Some(Field::Password) kind="password"
                                            label=Signal::derive(move || t_string!(i18n, field_password).to_string())
                                            hint=Signal::derive(move || t_string!(i18n, password_hint).to_string())
                                            autocomplete="new-password" maxlength=PASSWORD_MAX errors=accept_errors.fields />
                                        <TextField id="invite-password-confirm" name="password_confirm" field=Some(Field::PasswordConfirm) kind="password"
                                            label=Signal::derive(move || t_string!(i18n, field_password_confirm).to_string())
                                            autocomplete="new-password" maxlength=PASSWORD_MAX errors=accept_errors.fields />
                                        <button type="submit" class="primary">{t!(i18n, accept_invitation)}</button>
                                    </ActionForm>
                                    <p class="switch-auth">{t!(i18n, invite_have_account)}</p>
                                }.into_any()
                            }}
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
