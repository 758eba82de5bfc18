use leptos::prelude::*;
use leptos_i18n::I18nContext;
use leptos_router::{components::A, hooks::use_query_map};

use crate::components::admin_area::AdminCrumb;
use crate::components::dialog::Dialog;
use crate::components::form::{FormError, problem_message, use_form_errors};
use crate::i18n::{Locale, t, t_string, use_i18n};
use crate::model::authz::Authority;
use crate::model::roles::RoleInfo;
use crate::model::validation::{Field, NAME_MAX};
use crate::server_fns::roles::{CreateRole, DeleteRole, UpdateRole, list_roles};

pub fn authority_label(i18n: I18nContext<Locale>, authority: Authority) -> String {
    match authority {
        Authority::ManageUsers => t_string!(i18n, auth_manage_users),
        Authority::ManageRoles => t_string!(i18n, auth_manage_roles),
        Authority::ManageUserApiKey => t_string!(i18n, auth_manage_user_api_key),
        Authority::ManageAllApiKeys => t_string!(i18n, auth_manage_all_api_keys),
        Authority::ManageIntegrations => t_string!(i18n, auth_manage_integrations),
        Authority::ViewAuditLog => t_string!(i18n, auth_view_audit_log),
    }
    .to_string()
}

/// `/admin/roles`: roles of the organization and their authorities.
#[component]
pub fn RolesPage() -> impl IntoView {
    let i18n = use_i18n();
    let create = ServerAction::<CreateRole>::new();
    let update = ServerAction::<UpdateRole>::new();
    let delete = ServerAction::<DeleteRole>::new();
    let roles = Resource::new(
        move || {
            (
                create.version().get(),
                update.version().get(),
                delete.version().get(),
            )
        },
        |_| list_roles(),
    );
    let create_errors = use_form_errors(create);
    let update_errors = use_form_errors(update);
    let delete_errors = use_form_errors(delete);

    view! {
        <nav class="breadcrumb" aria-label=move || t_string!(i18n, breadcrumb)>
            <ol>
                <AdminCrumb />
                <li aria-current="page">{t!(i18n, roles)}</li>
            </ol>
        </nav>
        <h1>{t!(i18n, roles)}</h1>
        <p class="lead">{t!(i18n, roles_lead)}</p>
        <FormError error=update_errors.error />
        <FormError error=delete_errors.error />
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match roles.await {
                    Ok(list) => view! { <RolesTable list=list.clone() /> <RoleEditors list update delete /> }.into_any(),
                    Err(err) => view! { <FormError error=Some(err) /> }.into_any(),
                }
            })}
        </Transition>
        <section class="card" aria-labelledby="new-role-title">
            <h2 id="new-role-title">{t!(i18n, new_role)}</h2>
            <ActionForm action=create>
                <div class="field">
                    <label for="new-role-name">{t!(i18n, role_name)}</label>
                    <input id="new-role-name" name="name" required maxlength=NAME_MAX
                        aria-invalid=move || (!create_errors.fields.get().is_empty()).then_some("true")
                        aria-describedby="new-role-name-error" />
                    {move || create_errors.problem(Field::Name).map(|p| {
                        view! { <p class="field-error" id="new-role-name-error">{problem_message(i18n, p)}</p> }
                    })}
                </div>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let held = held(&roles.await.unwrap_or_default());
                        view! { <AuthorityChecks prefix="new-role".to_string() checked=Vec::new() held /> }
                    })}
                </Transition>
                <button type="submit" class="primary">{t!(i18n, create_role)}</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn RolesTable(list: Vec<RoleInfo>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <table class="data-table">
            <caption class="visually-hidden">{t!(i18n, roles)}</caption>
            <thead>
                <tr>
                    <th scope="col">{t!(i18n, role)}</th>
                    <th scope="col">{t!(i18n, authorities)}</th>
                    <th scope="col">{t!(i18n, col_members)}</th>
                </tr>
            </thead>
            <tbody>
                {list.into_iter().map(|r| {
                    let labels = if r.authorities.is_empty() {
                        t_string!(i18n, no_authorities).to_string()
                    } else {
                        r.authorities.iter().map(|a| authority_label(i18n, *a)).collect::<Vec<_>>().join(", ")
                    };
                    view! {
                        <tr>
                            <th scope="row">
                                {r.name.clone()}
                                {r.builtin.then(|| view! { " " <span class="badge">{t!(i18n, builtin)}</span> })}
                            </th>
                            <td>{labels}</td>
                            <td>{r.members}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The caller's own authorities: those of the role marked as theirs.
fn held(list: &[RoleInfo]) -> Vec<Authority> {
    list.iter()
        .find(|r| r.yours)
        .map(|r| r.authorities.clone())
        .unwrap_or_default()
}

/// One checkbox per authority. An authority the caller does not hold can
/// be taken away (its box stays enabled when ticked) but not added: the
/// server would refuse it, so the box is disabled.
#[component]
fn AuthorityChecks(prefix: String, checked: Vec<Authority>, held: Vec<Authority>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <fieldset class="checks">
            <legend>{t!(i18n, authorities)}</legend>
            {Authority::ALL.into_iter().map(|a| {
                let id = format!("{prefix}-{}", a.as_str());
                let label_for = id.clone();
                view! {
                    <label for=label_for class="check">
                        <input type="checkbox" id=id name=a.as_str() checked=checked.contains(&a)
                            disabled=!checked.contains(&a) && !held.contains(&a) />
                        {move || authority_label(i18n, a)}
                    </label>
                }
            }).collect_view()}
        </fieldset>
    }
}

#[component]
fn RoleEditors(
    list: Vec<RoleInfo>,
    update: ServerAction<UpdateRole>,
    delete: ServerAction<DeleteRole>,
) -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let held = held(&list);
    list.into_iter().filter(|r| !r.builtin).map(|r| {
        if r.yours {
            let title_id = format!("role-{}-title", r.id);
            let labelled_by = title_id.clone();
            return view! {
                <section class="card" aria-labelledby=labelled_by>
                    <h2 id=title_id>{r.name.clone()}</h2>
                    <p class="hint">{t!(i18n, grant_own_role)}</p>
                </section>
            }
            .into_any();
        }
        let held = held.clone();
        let title_id = format!("role-{}-title", r.id);
        let labelled_by = title_id.clone();
        let name_id = format!("role-{}-name", r.id);
        let name_for = name_id.clone();
        let id = r.id;
        let confirming = move || query.get().get("delete").and_then(|v| v.parse::<i64>().ok()) == Some(id);
        let name = r.name.clone();
        view! {
            <section class="card" aria-labelledby=labelled_by>
                <h2 id=title_id>{r.name.clone()}</h2>
                <ActionForm action=update>
                    <input type="hidden" name="role_id" value=r.id.to_string() />
                    <div class="field">
                        <label for=name_for>{t!(i18n, role_name)}</label>
                        <input id=name_id name="name" required maxlength=NAME_MAX value=r.name.clone() />
                    </div>
                    <AuthorityChecks prefix=format!("role-{}", r.id) checked=r.authorities.clone() held />
                    <button type="submit" class="primary">{t!(i18n, save)}</button>
                    " "
                    <A href=format!("/admin/roles?delete={}", r.id) attr:class="danger-link">{t!(i18n, delete)}</A>
                </ActionForm>
                {move || confirming().then(|| {
                    let name = name.clone();
                    view! {
                        <Dialog labelled_by=format!("delete-role-{id}") close_href="/admin/roles">
                            <h3 id=format!("delete-role-{id}")>{t!(i18n, confirm_delete_role_title)}</h3>
                            <p>{t!(i18n, confirm_delete_role_body, name = name.clone())}</p>
                            <ActionForm action=delete>
                                <input type="hidden" name="role_id" value=id.to_string() />
                                <button type="submit" class="danger">{t!(i18n, delete)}</button>
                                " "
                                <A href="/admin/roles">{t!(i18n, cancel)}</A>
                            </ActionForm>
                        </Dialog>
                    }
                })}
            </section>
        }
        .into_any()
    }).collect_view()
}
