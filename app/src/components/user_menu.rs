//! The signed-in user's name and organization with Sign out; or, for a
//! visitor, Sign in and Sign up.
use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::admin_area::{admin_sections, use_current_user};
use crate::i18n::{t, t_string, use_i18n};
use crate::server_fns::auth::{SignOut, SwitchOrganization};

#[component]
pub fn UserMenu() -> impl IntoView {
    let i18n = use_i18n();
    let sign_out = ServerAction::<SignOut>::new();
    let switch = ServerAction::<SwitchOrganization>::new();
    let user = use_current_user();

    view! {
        <div class="user-menu" role="region" aria-label=move || t_string!(i18n, user_menu)>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(me)) => {
                            // Admin, for those who may open a section of it.
                            let admin = !admin_sections(&me).is_empty();
                            view! {
                                {admin.then(|| view! { <A href="/admin">{t!(i18n, admin)}</A> })}
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
