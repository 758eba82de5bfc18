//! The API key pieces shared by the Public API page and the API Keys
//! section of User Account Details: the key list with its actions, the
//! Create API key dialog (with the Available API / Selected API lists), the
//! Save generated key dialog, and the delete and roll confirmations.
//!
//! Every dialog is driven by the page's query (`?dialog=create`,
//! `?delete=ID`, `?roll=ID`), so it opens, posts and closes without
//! JavaScript as well; once hydrated it is a modal dialog.
mod picker;
mod save;
mod usage;

pub use save::{FileLabels, SaveKeyDialog, key_file, key_file_name};
pub use usage::{UsageChart, UsedFromTable};

use picker::ApiSetPicker;

use leptos::prelude::*;
use leptos_i18n::I18nContext;
use leptos_router::{
    components::A,
    hooks::{use_navigate, use_query_map},
};

use crate::components::dialog::{Dialog, close_to};
use crate::components::form::{FormError, TextField, problem_message, use_form_errors};
use crate::components::list::ListError;
use crate::i18n::{Locale, t, t_string, use_i18n};
use crate::model::error::AppError;
use crate::model::filter::form_value;
use crate::model::keys::{
    ApiSetInfo, CreateKeyForm, DESCRIPTION_MAX, GRACE_CHOICES, GeneratedKey, KeyFilter, KeyListing,
    KeyRow, KeyScope, KeyStatus,
};
use crate::model::page;
use crate::model::validation::{Field, NAME_MAX};
use crate::server_fns::keys::{
    CreateKey, DeleteKey, RollKey, SetKeyEnabled, list_keys, new_key_form, take_generated_key,
};

pub fn status_label(i18n: I18nContext<Locale>, status: KeyStatus) -> String {
    match status {
        KeyStatus::Active => t_string!(i18n, key_status_active),
        KeyStatus::Disabled => t_string!(i18n, key_status_disabled),
        KeyStatus::Expired => t_string!(i18n, key_status_expired),
        KeyStatus::OwnerInactive => t_string!(i18n, key_status_owner_inactive),
        KeyStatus::PublicApiOff => t_string!(i18n, key_status_public_api_off),
    }
    .to_string()
}

/// An API set's name and description in the user's language: Keyhouse's
/// own sets are translated by slug; an organization's sets are its words.
pub fn api_set_text(i18n: I18nContext<Locale>, set: &ApiSetInfo) -> (String, String) {
    if !set.builtin {
        return (set.name.clone(), set.description.clone());
    }
    let (name, description) = match set.slug.as_str() {
        "keys:read" => (
            t_string!(i18n, set_keys_read_name),
            t_string!(i18n, set_keys_read_description),
        ),
        "keys:write" => (
            t_string!(i18n, set_keys_write_name),
            t_string!(i18n, set_keys_write_description),
        ),
        "users:read" => (
            t_string!(i18n, set_users_read_name),
            t_string!(i18n, set_users_read_description),
        ),
        "users:write" => (
            t_string!(i18n, set_users_write_name),
            t_string!(i18n, set_users_write_description),
        ),
        "audit:read" => (
            t_string!(i18n, set_audit_read_name),
            t_string!(i18n, set_audit_read_description),
        ),
        "keys:verify" => (
            t_string!(i18n, set_keys_verify_name),
            t_string!(i18n, set_keys_verify_description),
        ),
        _ => return (set.name.clone(), set.description.clone()),
    };
    (name.to_string(), description.to_string())
}

/// `2026-11-24T10:15:00+00:00` → `2026-11-24 10:15 UTC`.
pub fn when(rfc3339: &str) -> String {
    let date = rfc3339.get(..10).unwrap_or(rfc3339);
    match rfc3339.get(11..16) {
        Some(time) => format!("{date} {time} UTC"),
        None => date.to_owned(),
    }
}

/// True once the WASM runs: the parts that need JavaScript appear then.
pub fn hydrated() -> ReadSignal<bool> {
    let (js, set_js) = signal(false);
    Effect::new(move |_| set_js.set(true));
    js
}

/// The key list with its dialogs. `base` is the page's own path (dialogs
/// close to it, and plain form posts come back to it).
#[component]
pub fn KeysPanel(
    #[prop(into)] base: String,
    /// Only this user's keys (User Account Details); otherwise the page's
    /// `?scope=` and `?owner=` decide.
    #[prop(optional)]
    owner: Option<String>,
    /// Offer Create API key (or Generate key) when the caller may.
    offer_create: bool,
    /// Label the button "Generate key" (User Account Details).
    #[prop(optional)]
    generate_label: bool,
    /// Changes when something outside the panel changed the keys' status
    /// (the Public API switch).
    #[prop(optional, into)]
    refresh: Option<Signal<usize>>,
    /// Render as the "API Keys" section of User Account Details: shown only
    /// for your own keys with Manage User API Key, or another user's with
    /// Manage All API Keys.
    #[prop(optional)]
    section: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let create = ServerAction::<CreateKey>::new();
    let roll = ServerAction::<RollKey>::new();
    let set_enabled = ServerAction::<SetKeyEnabled>::new();
    let delete = ServerAction::<DeleteKey>::new();
    let fixed_owner = owner.clone();
    // The address's filters, read as `/api/v1/keys` reads its query (a
    // user's own section has its owner fixed).
    let filter = move || {
        let q = query.get();
        let given = |name| form_value(q.get(name));
        let filter = match &fixed_owner {
            Some(owner) => KeyFilter::parse(None, Some(owner)),
            None => KeyFilter::parse(given("scope").as_deref(), given("owner").as_deref()),
        };
        filter.map(|filter| KeyFilter {
            page: page::number(q.get("page")),
            ..filter
        })
    };
    let listing = Resource::new(
        move || {
            (
                filter(),
                create.version().get(),
                roll.version().get(),
                set_enabled.version().get(),
                delete.version().get(),
                refresh.map(|r| r.get()),
            )
        },
        |(filter, ..)| async move { list_keys(filter?).await },
    );
    // A key generated by a plain form post or at sign-up, handed over once.
    let handed_over = Resource::new(|| (), |_| take_generated_key());
    // The Create dialog's choices and one-time token, loaded when it opens
    // (and not again after a failed submit, which keeps what was typed).
    let create_form = Resource::new(
        move || query.get().get("dialog").as_deref() == Some("create"),
        |open| async move {
            if open {
                Some(new_key_form().await)
            } else {
                None
            }
        },
    );
    let generated = RwSignal::new(None::<GeneratedKey>);
    let dismissed = RwSignal::new(false);
    let navigate = use_navigate();
    {
        let base = base.clone();
        let navigate = navigate.clone();
        Effect::new(move |_| {
            let fresh = create
                .value()
                .get()
                .or_else(|| roll.value().get())
                .and_then(Result::ok)
                .flatten();
            if let Some(key) = fresh {
                create.value().set(None);
                roll.value().set(None);
                generated.set(Some(key));
                navigate(&base, Default::default());
            }
        });
    }
    let action_errors = use_form_errors(set_enabled).or(use_form_errors(delete));
    let base_for_view = base.clone();
    let close_generated = Callback::new(move |()| {
        generated.set(None);
        dismissed.set(true);
    });

    view! {
        <Transition fallback=|| ()>
            {move || {
                let base = base_for_view.clone();
                let owner = owner.clone();
                Suspend::new(async move {
                    let listing = match listing.await {
                        Ok(listing) => listing,
                        // Another user's keys without Manage All API Keys:
                        // the section is simply not there.
                        Err(_) if section => return ().into_any(),
                        Err(error) => return view! { <ListError error /> }.into_any(),
                    };
                    if section
                        && !((listing.owner_is_self && listing.may_create)
                            || (!listing.owner_is_self && listing.may_manage_all))
                    {
                        return ().into_any();
                    }
                    let form = create_form.await;
                    let handed = handed_over.await.ok().flatten();
                    let q = query.get();
                    let dialog = q.get("dialog");
                    let deleting = q.get("delete").and_then(|v| v.parse::<i64>().ok());
                    let rolling = q.get("roll").and_then(|v| v.parse::<i64>().ok());
                    let may_create = offer_create && listing.may_create && listing.owner_is_self;
                    // Actions come back to the same view of the list.
                    let view_query: Vec<String> = ["scope", "owner", "page"]
                        .into_iter()
                        .filter_map(|k| q.get(k).filter(|v| !v.is_empty()).map(|v| format!("{k}={}", crate::model::users::urlencode(&v))))
                        .collect();
                    let back = if view_query.is_empty() { base.clone() } else { format!("{base}?{}", view_query.join("&")) };
                    let create_href = format!("{base}?dialog=create");
                    let content = view! {
                        <div class="page-head">
                            {(owner.is_none() && listing.may_manage_all).then(|| view! { <KeyFilterForm listing=listing.clone() base=base.clone() /> })}
                            {may_create.then(|| view! {
                                <A href=create_href.clone() attr:class="button primary">
                                    {if generate_label { t!(i18n, generate_key).into_any() } else { t!(i18n, create_api_key).into_any() }}
                                </A>
                            })}
                        </div>
                        {(offer_create && !section && !listing.may_create).then(|| view! { <p class="hint" data-testid="cannot-create">{t!(i18n, cannot_create_keys)}</p> })}
                        <FormError error=action_errors.error />
                        <KeyTable rows=listing.keys.rows.clone() base=back.clone() may_roll=listing.may_create set_enabled />
                        {form.filter(|_| dialog.as_deref() == Some("create") && may_create).map(|form| view! { <CreateKeyDialog form action=create base=base.clone() /> })}
                        {deleting.and_then(|id| listing.keys.rows.iter().find(|r| r.id == id).cloned()).map(|row| view! { <DeleteKeyDialog row action=delete base=back.clone() /> })}
                        {rolling.and_then(|id| listing.keys.rows.iter().find(|r| r.id == id && r.is_own).cloned()).filter(|_| listing.may_create).map(|row| view! { <RollKeyDialog row action=roll base=back.clone() /> })}
                        {handed.map(|key| {
                            let base = base.clone();
                            view! { {move || (!dismissed.get()).then(|| view! { <SaveKeyDialog key=key.clone() base=base.clone() on_close=close_generated /> })} }
                        })}
                    };
                    if section {
                        view! {
                            <section class="card" aria-labelledby="api-keys-title">
                                <h2 id="api-keys-title">{t!(i18n, api_keys)}</h2>
                                {content}
                            </section>
                        }
                        .into_any()
                    } else {
                        content.into_any()
                    }
                })
            }}
        </Transition>
        {
            let base = base.clone();
            move || generated.get().map(|key| view! { <SaveKeyDialog key base=base.clone() on_close=close_generated /> })
        }
    }
}

/// "Show: my keys / all keys of the organization", and the owner filter,
/// for those with Manage All API Keys. A GET form: works without JS.
#[component]
fn KeyFilterForm(listing: KeyListing, base: String) -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let scope = move || {
        query
            .get()
            .get("scope")
            .and_then(|s| s.parse().ok())
            .unwrap_or(KeyScope::Mine)
    };
    let owner = move || query.get().get("owner").unwrap_or_default();
    view! {
        <form method="get" action=base class="filters" role="search">
            <div class="field">
                <label for="key-scope">{t!(i18n, key_scope)}</label>
                <select id="key-scope" name="scope">
                    <option value=KeyScope::Mine.as_str() selected=move || scope() == KeyScope::Mine>{t!(i18n, my_keys)}</option>
                    <option value=KeyScope::All.as_str() selected=move || scope() == KeyScope::All>{t!(i18n, all_keys)}</option>
                </select>
            </div>
            <div class="field">
                <label for="key-owner">{t!(i18n, owner_filter)}</label>
                <select id="key-owner" name="owner">
                    <option value="">{t!(i18n, all_owners)}</option>
                    {listing.owners.into_iter().map(|o| {
                        let selected = { let o = o.clone(); move || owner() == o };
                        view! { <option value=o.clone() selected=selected>{o.clone()}</option> }
                    }).collect_view()}
                </select>
            </div>
            <button type="submit">{t!(i18n, apply_filter)}</button>
        </form>
    }
}

#[component]
fn KeyTable(
    rows: Vec<KeyRow>,
    base: String,
    may_roll: bool,
    set_enabled: ServerAction<SetKeyEnabled>,
) -> impl IntoView {
    let i18n = use_i18n();
    if rows.is_empty() {
        return view! { <p class="empty">{t!(i18n, no_keys)}</p> }.into_any();
    }
    view! {
        <table class="data-table keys">
            <thead>
                <tr>
                    <th scope="col">{t!(i18n, key_name)}</th>
                    <th scope="col">{t!(i18n, col_key)}</th>
                    <th scope="col">{t!(i18n, col_api_sets)}</th>
                    <th scope="col">{t!(i18n, col_status)}</th>
                    <th scope="col">{t!(i18n, col_created)}</th>
                    <th scope="col">{t!(i18n, col_last_used)}</th>
                    <th scope="col">{t!(i18n, col_expires)}</th>
                    <th scope="col">{t!(i18n, col_owner)}</th>
                    <th scope="col">{t!(i18n, col_actions)}</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|row| {
                    let base = base.clone();
                    let status_class = format!("key-status key-status-{}", row.status.as_str());
                    let detail_href = format!("/settings/integrations/public-api/keys/{}", row.id);
                    let sep = if base.contains('?') { '&' } else { '?' };
                    let delete_href = format!("{base}{sep}delete={}", row.id);
                    let roll_href = format!("{base}{sep}roll={}", row.id);
                    let enabled_next = if row.status == KeyStatus::Disabled { "true" } else { "false" };
                    let disabled = row.status == KeyStatus::Disabled;
                    let name = row.name.clone();
                    let toggle_label = format!(
                        "{} {name}",
                        if disabled { t_string!(i18n, enable) } else { t_string!(i18n, disable) }
                    );
                    let roll_label = format!("{} {name}", t_string!(i18n, roll));
                    let delete_label = format!("{} {name}", t_string!(i18n, delete));
                    view! {
                        <tr data-key-id=row.id.to_string()>
                            <th scope="row"><A href=detail_href.clone()>{row.name.clone()}</A></th>
                            <td><code>{format!("{}…", row.visible_start)}</code></td>
                            <td>{if row.api_sets.is_empty() { t!(i18n, none).into_any() } else { row.api_sets.join(", ").into_any() }}</td>
                            <td><span class=status_class>{status_label(i18n, row.status)}</span></td>
                            <td>{when(&row.created_at)}</td>
                            <td>
                                {match &row.last_used_at {
                                    Some(at) => format!("{}{}", when(at), row.last_used_ip.as_ref().map(|ip| format!(" · {ip}")).unwrap_or_default()).into_any(),
                                    None => t!(i18n, never_used).into_any(),
                                }}
                                {row.grace.iter().map(|g| {
                                    let (start, until) = (g.visible_start.clone(), when(&g.until));
                                    let used = match &g.last_used_at {
                                        Some(at) => when(at),
                                        None => t_string!(i18n, never_used).to_string(),
                                    };
                                    view! {
                                        <p class="hint">
                                            {t!(i18n, previous_secret, start = start.clone(), until = until.clone())}
                                            " · " {t!(i18n, col_last_used)} ": " {used}
                                        </p>
                                    }
                                }).collect_view()}
                            </td>
                            <td>
                                {match &row.expires_at {
                                    Some(at) => when(at).into_any(),
                                    None => t!(i18n, expires_never).into_any(),
                                }}
                                {row.expiring_soon.then(|| view! { " " <span class="badge warning">{t!(i18n, expires_soon)}</span> })}
                            </td>
                            <td>{row.owner.clone()}</td>
                            <td>
                                <div class="actions">
                                    <ActionForm action=set_enabled>
                                        <input type="hidden" name="id" value=row.id.to_string() />
                                        <input type="hidden" name="enabled" value=enabled_next />
                                        <input type="hidden" name="back" value=base.clone() />
                                        <button type="submit" aria-label=toggle_label>
                                            {if disabled { t!(i18n, enable).into_any() } else { t!(i18n, disable).into_any() }}
                                        </button>
                                    </ActionForm>
                                    {(may_roll && row.is_own).then(|| view! {
                                        <A href=roll_href.clone() attr:class="button" attr:aria-label=roll_label.clone()>{t!(i18n, roll)}</A>
                                    })}
                                    <A href=delete_href.clone() attr:class="button danger-link" attr:aria-label=delete_label>{t!(i18n, delete)}</A>
                                </div>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn DeleteKeyDialog(row: KeyRow, action: ServerAction<DeleteKey>, base: String) -> impl IntoView {
    let i18n = use_i18n();
    let name = row.name.clone();
    view! {
        <Dialog labelled_by="delete-key-title" on_close=close_to(base.clone())>
            <h2 id="delete-key-title">{t!(i18n, confirm_delete_key_title)}</h2>
            <p>{t!(i18n, confirm_delete_key_body, name = name.clone())}</p>
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

#[component]
fn RollKeyDialog(row: KeyRow, action: ServerAction<RollKey>, base: String) -> impl IntoView {
    let i18n = use_i18n();
    let name = row.name.clone();
    let errors = use_form_errors(action);
    view! {
        <Dialog labelled_by="roll-key-title" on_close=close_to(base.clone())>
            <h2 id="roll-key-title">{t!(i18n, roll_key_title)}</h2>
            <p>{t!(i18n, roll_key_body, name = name.clone())}</p>
            <ActionForm action=action>
                <input type="hidden" name="id" value=row.id.to_string() />
                <input type="hidden" name="back" value=base.clone() />
                <div class="field">
                    <label for="roll-grace">{t!(i18n, field_grace)}</label>
                    <select id="roll-grace" name="grace_hours">
                        {GRACE_CHOICES.into_iter().map(|hours| {
                            let label = match hours {
                                0 => t_string!(i18n, grace_0),
                                1 => t_string!(i18n, grace_1),
                                24 => t_string!(i18n, grace_24),
                                _ => t_string!(i18n, grace_168),
                            };
                            view! { <option value=hours.to_string() selected=hours == 24>{label}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <FormError error=errors.error />
                <button type="submit" class="primary" disabled=move || action.pending().get()>{t!(i18n, roll_confirm)}</button>
                " "
                <A href=base.clone() attr:class="button">{t!(i18n, cancel)}</A>
            </ActionForm>
        </Dialog>
    }
}

#[component]
fn CreateKeyDialog(
    form: Result<CreateKeyForm, AppError>,
    action: ServerAction<CreateKey>,
    base: String,
) -> impl IntoView {
    let i18n = use_i18n();
    let errors = use_form_errors(action);
    let problem = move |field: Field, id: &'static str| {
        errors
            .problem(field)
            .map(|p| view! { <p class="field-error" id=id>{problem_message(i18n, p)}</p> })
    };
    let invalid = move |field: Field| errors.problem(field).is_some().then_some("true");
    let described =
        move |field: Field, id: &'static str| errors.problem(field).is_some().then_some(id);
    view! {
        <Dialog labelled_by="create-key-title" on_close=close_to(base.clone()) class="wide">
            <h2 id="create-key-title">{t!(i18n, create_api_key)}</h2>
            {match form {
                Err(err) => view! { <FormError error=Some(err) /> }.into_any(),
                Ok(form) => view! {
                                <ActionForm action=action attr:aria-labelledby="create-key-title">
                                    <input type="hidden" name="request_token" value=form.request_token.clone() />
                                    <input type="hidden" name="back" value=base.clone() />
                                    <FormError error=errors.error />
                                    <TextField
                                        id="key-name"
                                        name="name"
                                        field=Some(Field::Name)
                                        label=Signal::derive(move || t_string!(i18n, key_name).to_string())
                                        maxlength=NAME_MAX
                                        errors=errors.fields
                                    />
                                    <div class="field">
                                        <label for="key-description">{t!(i18n, field_description)}</label>
                                        <textarea
                                            id="key-description"
                                            name="description"
                                            rows="2"
                                            maxlength=DESCRIPTION_MAX
                                            aria-invalid=move || invalid(Field::Description)
                                            aria-describedby=move || described(Field::Description, "key-description-error")
                                        ></textarea>
                                        {move || problem(Field::Description, "key-description-error")}
                                    </div>
                                    <ApiSetPicker sets=form.api_sets.clone() />
                                    {move || problem(Field::ApiSets, "key-api-sets-error")}
                                    <div class="field-row">
                                        <div class="field">
                                            <label for="key-expires">{t!(i18n, field_expires)}</label>
                                            <select
                                                id="key-expires"
                                                name="expires"
                                                aria-invalid=move || invalid(Field::Expires)
                                                aria-describedby=move || described(Field::Expires, "key-expires-error")
                                            >
                                                <option value="never" selected=true>{t!(i18n, expires_never)}</option>
                                                <option value="30">{t!(i18n, expires_30)}</option>
                                                <option value="90">{t!(i18n, expires_90)}</option>
                                                <option value="365">{t!(i18n, expires_365)}</option>
                                                <option value="date">{t!(i18n, expires_date)}</option>
                                            </select>
                                        </div>
                                        <div class="field">
                                            <label for="key-expires-on">{t!(i18n, field_expires_on)}</label>
                                            <input
                                                id="key-expires-on"
                                                name="expires_on"
                                                type="date"
                                                aria-invalid=move || invalid(Field::Expires)
                                                aria-describedby=move || described(Field::Expires, "key-expires-error")
                                            />
                                        </div>
                                    </div>
                                    {move || problem(Field::Expires, "key-expires-error")}
                                    <div class="dialog-buttons">
                                        <button type="submit" class="primary" disabled=move || action.pending().get()>{t!(i18n, finish)}</button>
                                        <A href=base.clone() attr:class="button">{t!(i18n, cancel)}</A>
                                    </div>
                                </ActionForm>
                            }
                            .into_any(),
            }}
        </Dialog>
    }
}
