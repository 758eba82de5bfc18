use leptos::prelude::*;
use leptos_router::{
    components::A,
    hooks::{use_params_map, use_query_map},
};

use crate::components::admin_area::AdminCrumb;
use crate::components::dialog::Dialog;
use crate::components::form::{FormError, use_form_errors};
use crate::components::keys::{KeysPanel, TransferSection};
use crate::i18n::{t, t_string, use_i18n};
use crate::model::notice::Notice;
use crate::model::users::urlencode;
use crate::model::users::{UserDetails, UserKind, UserStatus};
use crate::server_fns::notice;
use crate::server_fns::users::{SetUserRole, SetUserStatus, get_user_details};

/// `/admin/users/{username}`: User Account Details.
#[component]
pub fn UserDetailsPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let username = move || params.get().get("username").unwrap_or_default();
    let set_role = ServerAction::<SetUserRole>::new();
    let set_status = ServerAction::<SetUserStatus>::new();
    let details = Resource::new(
        move || {
            (
                username(),
                set_role.version().get(),
                set_status.version().get(),
            )
        },
        |(name, _, _)| get_user_details(name),
    );

    view! {
        <nav class="breadcrumb" aria-label=move || t_string!(i18n, breadcrumb)>
            <ol>
                <AdminCrumb />
                <li><A href="/admin/users">{t!(i18n, user_management)}</A></li>
                <li aria-current="page">{t!(i18n, user_account_details)}</li>
            </ol>
        </nav>
        <h1>{t!(i18n, user_account_details)}</h1>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match details.await {
                    Ok(d) => view! { <Details d set_role set_status /> }.into_any(),
                    Err(err) => view! { <FormError error=Some(err) /> }.into_any(),
                }
            })}
        </Transition>
        // The API Keys section: its own resources, created with the page
        // (not inside the details' Suspend), so server and browser agree on
        // them. Your own keys with Manage User API Key; another user's with
        // Manage All API Keys; otherwise no section.
        {move || {
            let owner = username();
            let base = format!("/admin/users/{}", urlencode(&owner));
            view! {
                <TransferSection username=owner.clone() />
                <KeysPanel base owner section=true offer_create=true generate_label=true />
            }
        }}
    }
}

#[component]
fn Details(
    d: UserDetails,
    set_role: ServerAction<SetUserRole>,
    set_status: ServerAction<SetUserStatus>,
) -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let confirming = move || query.get().get("confirm").as_deref() == Some("deactivate");
    let active = d.user.status == UserStatus::Active;
    let username = d.user.username.clone();
    let name = d.user.name.clone();
    let self_href = format!("/admin/users/{}", urlencode(&username));
    let confirm_href = format!("{self_href}?confirm=deactivate");
    let role_errors = use_form_errors(set_role);
    let status_errors = use_form_errors(set_status);
    let role_saved = notice::take() == Some(Notice::RoleSaved);

    view! {
        <section class="card" aria-labelledby="profile-title">
            <h2 id="profile-title">{t!(i18n, profile)}</h2>
            <dl class="facts">
                <dt>{t!(i18n, col_username)}</dt>
                <dd data-testid="details-username">{d.user.username.clone()}</dd>
                <dt>{t!(i18n, col_name)}</dt>
                <dd>{d.user.name.clone()}</dd>
                <dt>{t!(i18n, col_email)}</dt>
                <dd>{d.user.email.clone().unwrap_or_default()}</dd>
                <dt>{t!(i18n, col_kind)}</dt>
                <dd>
                    {if d.user.kind == UserKind::Programmatic {
                        view! { <span class="badge">{t!(i18n, programmatic_badge)}</span> }.into_any()
                    } else {
                        view! { <span>{t!(i18n, kind_human)}</span> }.into_any()
                    }}
                </dd>
                <dt>{t!(i18n, member_since)}</dt>
                <dd>{d.member_since.chars().take(10).collect::<String>()}</dd>
            </dl>
            {d.is_self.then(|| view! { <p class="hint">{t!(i18n, this_is_you)}</p> })}
        </section>

        <section class="card" aria-labelledby="role-title">
            <h2 id="role-title">{t!(i18n, role)}</h2>
            {if d.may_manage_roles {
                let current = d.role_id;
                let username = username.clone();
                view! {
                    <ActionForm action=set_role>
                        <input type="hidden" name="username" value=username.clone() />
                        <div class="field">
                            <label for="role-select">{t!(i18n, field_role)}</label>
                            <select id="role-select" name="role_id">
                                {d.roles.iter().map(|r| {
                                    view! { <option value=r.id.to_string() selected=r.id == current>{r.name.clone()}</option> }
                                }).collect_view()}
                            </select>
                        </div>
                        <FormError error=role_errors.error />
                        {role_saved.then(|| view! { <p class="notice" role="status">{t!(i18n, role_saved)}</p> })}
                        <button type="submit" class="primary">{t!(i18n, save_role)}</button>
                    </ActionForm>
                }.into_any()
            } else {
                view! { <p data-testid="details-role">{d.user.role.clone()}</p> }.into_any()
            }}
        </section>

        <section class="card" aria-labelledby="status-title">
            <h2 id="status-title">{t!(i18n, status)}</h2>
            <p data-testid="details-status">
                {if active { t!(i18n, status_active).into_any() } else { t!(i18n, status_inactive).into_any() }}
            </p>
            <FormError error=status_errors.error />
            {if !d.may_manage_users || d.is_self {
                ().into_any()
            } else if active {
                let username = username.clone();
                let name = name.clone();
                let self_href = self_href.clone();
                view! {
                    <A href=confirm_href.clone() attr:class="danger-link">{t!(i18n, deactivate)}</A>
                    {move || confirming().then(|| {
                        let (username, name, self_href) = (username.clone(), name.clone(), self_href.clone());
                        view! {
                        <Dialog labelled_by="deactivate-title" close_href=self_href.clone()>
                            <h3 id="deactivate-title">{t!(i18n, confirm_deactivate_title)}</h3>
                            <p>{t!(i18n, confirm_deactivate_body, name = name.clone())}</p>
                            <ActionForm action=set_status>
                                <input type="hidden" name="username" value=username.clone() />
                                <input type="hidden" name="active" value="false" />
                                <button type="submit" class="danger">{t!(i18n, deactivate)}</button>
                                " "
                                <A href=self_href.clone()>{t!(i18n, cancel)}</A>
                            </ActionForm>
                        </Dialog>
                        }
                    })}
                }.into_any()
            } else {
                view! {
                    <ActionForm action=set_status>
                        <input type="hidden" name="username" value=username.clone() />
                        <input type="hidden" name="active" value="true" />
                        <button type="submit" class="primary">{t!(i18n, activate)}</button>
                    </ActionForm>
                }.into_any()
            }}
        </section>

        <section class="card" aria-labelledby="memberships-title">
            <h2 id="memberships-title">{t!(i18n, memberships)}</h2>
            <table class="data-table">
                <thead>
                    <tr>
                        <th scope="col">{t!(i18n, col_organization)}</th>
                        <th scope="col">{t!(i18n, col_role)}</th>
                        <th scope="col">{t!(i18n, col_status)}</th>
                        <th scope="col">{t!(i18n, member_since)}</th>
                    </tr>
                </thead>
                <tbody>
                    {d.memberships.iter().map(|m| view! {
                        <tr>
                            <td>
                                {m.organization.clone()}
                                {m.current.then(|| view! { " " <span class="badge">{t!(i18n, current_organization)}</span> })}
                            </td>
                            <td>{m.role.clone()}</td>
                            <td>{if m.status == UserStatus::Active { t!(i18n, status_active).into_any() } else { t!(i18n, status_inactive).into_any() }}</td>
                            <td>{m.since.chars().take(10).collect::<String>()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>


    }
}
