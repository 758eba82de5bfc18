use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_query_map};

use super::IntegrationsBreadcrumb;
use crate::components::dialog::Dialog;
use crate::components::form::{FormError, TextField, problem_message, use_form_errors};
use crate::components::keys::api_set_text;
use crate::i18n::{t, t_string, use_i18n};
use crate::model::keys::DESCRIPTION_MAX;
use crate::model::notice::Notice;
use crate::model::validation::{Field, NAME_MAX};
use crate::server_fns::integrations::{CreateApiSet, DeleteApiSet, get_public_api, list_api_sets};
use crate::server_fns::notice;

const BASE: &str = "/settings/integrations/api-sets";

/// `/settings/integrations/api-sets`: the built-in API sets and the
/// organization's own (Manage Integrations to change them).
#[component]
pub fn ApiSetsPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let create = ServerAction::<CreateApiSet>::new();
    let delete = ServerAction::<DeleteApiSet>::new();
    let sets = Resource::new(
        move || (create.version().get(), delete.version().get()),
        |_| list_api_sets(),
    );
    // Whether the caller has Manage Integrations: only then the page offers
    // to create and delete (the server decides either way).
    let manage = Resource::new(|| (), |_| get_public_api());
    let errors = use_form_errors(create);
    let summary = errors.or(use_form_errors(delete));
    let created = notice::take() == Some(Notice::ApiSetCreated);
    let description_problem = move || {
        errors
            .problem(Field::Description)
            .map(|p| view! { <p class="field-error">{problem_message(i18n, p)}</p> })
    };
    view! {
        <IntegrationsBreadcrumb>
            <li aria-current="page">{t!(i18n, api_sets)}</li>
        </IntegrationsBreadcrumb>
        <h1>{t!(i18n, api_sets)}</h1>
        <p class="lead">{t!(i18n, api_sets_lead)}</p>
        <FormError error=summary.error />
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let sets = match sets.await {
                    Ok(sets) => sets,
                    Err(err) => return view! { <FormError error=Some(err) /> }.into_any(),
                };
                let may_manage = manage.await.map(|s| s.may_change).unwrap_or(false);
                let deleting = query.get().get("delete").and_then(|v| v.parse::<i64>().ok());
                let confirm = deleting
                    .filter(|_| may_manage)
                    .and_then(|id| sets.iter().find(|s| s.id == id && !s.builtin).cloned());
                view! {
                    <table class="data-table">
                        <thead>
                            <tr>
                                <th scope="col">{t!(i18n, col_slug)}</th>
                                <th scope="col">{t!(i18n, key_name)}</th>
                                <th scope="col">{t!(i18n, field_description)}</th>
                                <th scope="col">{t!(i18n, col_keys)}</th>
                                <th scope="col">{t!(i18n, col_actions)}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {sets.iter().map(|s| {
                                let (name, description) = api_set_text(i18n, s);
                                view! {
                                <tr>
                                    <th scope="row"><code>{s.slug.clone()}</code></th>
                                    <td>{name} {s.builtin.then(|| view! { " " <span class="badge">{t!(i18n, builtin_set)}</span> })}</td>
                                    <td>{description}</td>
                                    <td>{s.keys}</td>
                                    <td>
                                        {(may_manage && !s.builtin).then(|| view! {
                                            <A href=format!("{BASE}?delete={}", s.id) attr:class="danger-link" attr:aria-label=format!("{} {}", t_string!(i18n, delete), s.slug)>{t!(i18n, delete)}</A>
                                        })}
                                    </td>
                                </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    {confirm.map(|s| {
                        let (name, count) = (s.name.clone(), s.keys);
                        view! {
                            <Dialog labelled_by="delete-set-title" close_href=BASE>
                                <h2 id="delete-set-title">{t!(i18n, confirm_delete_set_title)}</h2>
                                <p>{t!(i18n, confirm_delete_set_body, name = name.clone(), count = count)}</p>
                                <ActionForm action=delete>
                                    <input type="hidden" name="id" value=s.id.to_string() />
                                    <button type="submit" class="danger">{t!(i18n, delete)}</button>
                                    " "
                                    <A href=BASE attr:class="button">{t!(i18n, cancel)}</A>
                                </ActionForm>
                            </Dialog>
                        }
                    })}
                }
                .into_any()
            })}
        </Transition>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let may_manage = manage.await.map(|s| s.may_change).unwrap_or(false);
                may_manage.then(|| view! {
                <section class="card" aria-labelledby="new-set-title">
                    <h2 id="new-set-title">{t!(i18n, create_api_set)}</h2>
                    <ActionForm action=create attr:aria-labelledby="new-set-title">
                        <TextField id="set-slug" name="slug" field=Some(Field::Slug) label=Signal::derive(move || t_string!(i18n, col_slug).to_string()) maxlength=64 errors=errors.fields />
                        <TextField id="set-name" name="name" field=Some(Field::Name) label=Signal::derive(move || t_string!(i18n, key_name).to_string()) maxlength=NAME_MAX errors=errors.fields />
                        <div class="field">
                            <label for="set-description">{t!(i18n, field_description)}</label>
                            <textarea id="set-description" name="description" rows="2" maxlength=DESCRIPTION_MAX></textarea>
                            {description_problem}
                        </div>
                        {created.then(|| view! { <p class="notice" role="status">{t!(i18n, api_set_created)}</p> })}
                        <button type="submit" class="primary">{t!(i18n, create_api_set)}</button>
                    </ActionForm>
                </section>
                })
            })}
        </Transition>
    }
}
