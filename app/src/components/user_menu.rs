//! The signed-in user's name and organization with Sign out; or, for a
//! visitor, Sign in and Sign up.
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_location};

use crate::i18n::{t, t_string, use_i18n};
use crate::model::authz::Authority;
use crate::server_fns::auth::{SignOut, SwitchOrganization, current_user};

#[component]
pub fn UserMenu() -> impl IntoView {
    let i18n = use_i18n();
    let location = use_location();
    let sign_out = ServerAction::<SignOut>::new();
    let switch = ServerAction::<SwitchOrganization>::new();
    // Refetched on every navigation: sign-in and sign-out both navigate.
    // One call answers who is signed in and where they may act.
    let user = Resource::new(
        move || {
            (
                location.pathname.get(),
                sign_out.version().get(),
                switch.version().get(),
            )
        },
        |_| current_user(),
    );

    view! {
        <div class="user-menu" role="region" aria-label=move || t_string!(i18n, user_menu)>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(me)) => {
                            let manage_users = me.authorities.contains(&Authority::ManageUsers);
                            let manage_roles = me.authorities.contains(&Authority::ManageRoles);
                            let view_audit = me.authorities.contains(&Authority::ViewAuditLog);
                            view! {
                                {manage_users.then(|| view! {
                                    <A href="/admin/users">{t!(i18n, user_management)}</A>
                                })}
                                {manage_roles.then(|| view! {
                                    <A href="/admin/roles">{t!(i18n, roles)}</A>
                                })}
                                {view_audit.then(|| view! {
                                    <A href="/admin/audit">{t!(i18n, audit_log)}</A>
                                })}
                                <A href="/account" attr:class="who" attr:aria-label=move || t_string!(i18n, account_settings)>
                                    <span class="who-name" data-testid="user-name">{me.name.clone()}</span>
                                    <span class="who-org" data-testid="user-organization">
                                        {me.organization.clone()}
                                    </span>
                                </A>
                                {(me.organizations.len() > 1).then(|| {
                                    let list = me.organizations.clone();
                                    view! {
                                        <ActionForm action=switch attr:class="org-switch">
                                            <label for="org-switch" class="visually-hidden">{t!(i18n, switch_organization)}</label>
                                            <select id="org-switch" name="org_id">
                                                {list.into_iter().map(|o| view! {
                                                    <option value=o.id.to_string() selected=o.current>{o.name}</option>
                                                }).collect_view()}
                                            </select>
                                            <button type="submit" class="link-button">{t!(i18n, switch)}</button>
                                        </ActionForm>
                                    }
                                })}
                                <ActionForm action=sign_out>
                                    <button type="submit" class="link-button">
                                        {t!(i18n, sign_out)}
                                    </button>
                                </ActionForm>
                            }
                                .into_any()
                        }
                        _ => {
                            view! {
                                <A href="/login">{t!(i18n, sign_in)}</A>
                                <A href="/register" attr:class="button-link">
                                    {t!(i18n, sign_up)}
                                </A>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </div>
    }
}
