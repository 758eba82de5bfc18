//! "Decoys" on the Public API page (Manage Integrations): the decoy keys,
//! how often each was presented and when and from where last, "Create
//! decoy key" (`?dialog=decoy`) and a deletion that asks first
//! (`?delete-decoy=ID`). The new decoy is shown once by the key list's Save
//! generated key dialog, like any key.
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_query_map};

use super::when;
use crate::components::dialog::Dialog;
use crate::components::form::{FormError, TextField, use_form_errors};
use crate::i18n::{t, t_string, use_i18n};
use crate::model::keys::{DESCRIPTION_MAX, DecoyRow};
use crate::model::validation::NAME_MAX;
use crate::server_fns::decoys::{CreateDecoy, DeleteDecoy, list_decoys};

#[component]
pub fn DecoysSection(#[prop(into)] base: String) -> impl IntoView {
    let query = use_query_map();
    let create = ServerAction::<CreateDecoy>::new();
    let delete = ServerAction::<DeleteDecoy>::new();
    let decoys = Resource::new(|| (), |_| list_decoys());
    view! {
        <Transition fallback=|| ()>
            {move || {
                let base = base.clone();
                Suspend::new(async move {
                    // Without Manage Integrations the section is not there.
                    let Ok(rows) = decoys.await else { return ().into_any() };
                    let q = query.get();
                    let creating = q.get("dialog").as_deref() == Some("decoy");
                    let deleting = q
                        .get("delete-decoy")
                        .and_then(|v| v.parse::<i64>().ok())
                        .and_then(|id| rows.iter().find(|r| r.id == id).cloned());
                    view! {
                        <DecoysCard rows base=base.clone() />
                        {creating.then(|| view! { <CreateDecoyDialog action=create base=base.clone() /> })}
                        {deleting.map(|row| view! { <DeleteDecoyDialog row action=delete base=base.clone() /> })}
                    }
                    .into_any()
                })
            }}
        </Transition>
    }
}

#[component]
fn DecoysCard(rows: Vec<DecoyRow>, base: String) -> impl IntoView {
    let i18n = use_i18n();
    let table = if rows.is_empty() {
        view! { <p data-testid="no-decoys">{t!(i18n, decoys_none)}</p> }.into_any()
    } else {
        let delete = t_string!(i18n, delete).to_string();
        view! {
            <table class="data-table" aria-labelledby="decoys-title">
                <thead>
                    <tr>
                        <th scope="col">{t!(i18n, col_name)}</th>
                        <th scope="col">{t!(i18n, col_key)}</th>
                        <th scope="col">{t!(i18n, col_created)}</th>
                        <th scope="col">{t!(i18n, col_triggered)}</th>
                        <th scope="col">{t!(i18n, col_last_triggered)}</th>
                        <th scope="col">{t!(i18n, col_actions)}</th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|r| {
                        let last = match (&r.last_triggered_at, &r.last_triggered_from) {
                            (Some(at), Some(ip)) => format!("{} · {ip}", when(at)),
                            (Some(at), None) => when(at),
                            (None, _) => t_string!(i18n, never_triggered).to_string(),
                        };
                        let label = format!("{delete} {}", r.name);
                        view! {
                            <tr data-decoy-id=r.id>
                                <th scope="row">{r.name.clone()}</th>
                                <td><code>{format!("{}…", r.visible_start)}</code></td>
                                <td>{when(&r.created_at)}</td>
                                <td data-testid="decoy-triggers">{r.triggers}</td>
                                <td>{last}</td>
                                <td>
                                    <a href=format!("{base}?delete-decoy={}", r.id) class="button danger-link" aria-label=label>
                                        {delete.clone()}
                                    </a>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };
    view! {
        <section class="card" aria-labelledby="decoys-title">
            <h2 id="decoys-title">{t!(i18n, decoys_title)}</h2>
            <p class="hint">{t!(i18n, decoys_lead)}</p>
            {table}
            <A href=format!("{base}?dialog=decoy") attr:class="button">{t!(i18n, create_decoy_key)}</A>
        </section>
    }
}

#[component]
fn CreateDecoyDialog(action: ServerAction<CreateDecoy>, base: String) -> impl IntoView {
    let i18n = use_i18n();
    let errors = use_form_errors(action);
    view! {
        <Dialog labelled_by="create-decoy-title" close_href=base.clone()>
            <h2 id="create-decoy-title">{t!(i18n, create_decoy_key)}</h2>
            <p>{t!(i18n, decoy_dialog_body)}</p>
            <ActionForm action=action attr:aria-labelledby="create-decoy-title">
                <input type="hidden" name="back" value=base.clone() />
                <FormError error=errors.error />
                <TextField
                    id="decoy-name"
                    name="name"
                    field=Some(crate::model::validation::Field::Name)
                    label=Signal::derive(move || t_string!(i18n, key_name).to_string())
                    maxlength=NAME_MAX
                    errors=errors.fields
                />
                <div class="field">
                    <label for="decoy-description">{t!(i18n, field_description)}</label>
                    <textarea id="decoy-description" name="description" rows="2" maxlength=DESCRIPTION_MAX></textarea>
                </div>
                <div class="dialog-buttons">
                    <button type="submit" class="primary">{t!(i18n, create_decoy_key)}</button>
                    <A href=base.clone() attr:class="button">{t!(i18n, cancel)}</A>
                </div>
            </ActionForm>
        </Dialog>
    }
}

#[component]
fn DeleteDecoyDialog(
    row: DecoyRow,
    action: ServerAction<DeleteDecoy>,
    base: String,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Dialog labelled_by="delete-decoy-title" close_href=base.clone()>
            <h2 id="delete-decoy-title">{t!(i18n, confirm_delete_decoy_title)}</h2>
            <p>{t!(i18n, confirm_delete_decoy_body, name = row.name.clone())}</p>
            <ActionForm action=action>
                <input type="hidden" name="id" value=row.id.to_string() />
                <input type="hidden" name="back" value=base.clone() />
                <button type="submit" class="danger">{t!(i18n, delete)}</button>
                " "
                <A href=base.clone() attr:class="button">{t!(i18n, cancel)}</A>
            </ActionForm>
        </Dialog>
    }
}
