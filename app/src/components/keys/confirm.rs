//! The delete and roll confirmations, opened by `?delete=ID` and `?roll=ID`,
//! and the bulk actions' one confirmation (`?bulk=…&ids[]=…`).
use leptos::prelude::*;
use leptos_router::components::A;

use super::create::{ExpiryOptions, PolicyHint};
use super::when;
use crate::components::dialog::Dialog;
use crate::components::form::{FormError, problem_message, use_form_errors};
use crate::i18n::{t, t_string, use_i18n};
use crate::model::keys::{BulkAction, GRACE_CHOICES, KeyRow};
use crate::model::policy::KeyPolicy;
use crate::model::validation::Field;
use crate::server_fns::keys::{BulkKeys, DeleteKey, RollKey};

/// `base`: the page it opens on (Cancel and Esc go back there); `done`:
/// where the deletion leads, `base` unless given (the key's own page is
/// gone after it).
#[component]
pub fn DeleteKeyDialog(
    row: KeyRow,
    action: ServerAction<DeleteKey>,
    base: String,
    #[prop(optional)] done: Option<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let name = row.name.clone();
    let done = done.unwrap_or_else(|| base.clone());
    view! {
        <Dialog labelled_by="delete-key-title" close_href=base.clone()>
            <h2 id="delete-key-title">{t!(i18n, confirm_delete_key_title)}</h2>
            <p>{t!(i18n, confirm_delete_key_body, name = name.clone())}</p>
            <ActionForm action=action>
                <input type="hidden" name="id" value=row.id.to_string() />
                <input type="hidden" name="back" value=done />
                <button type="submit" class="danger">{t!(i18n, delete)}</button>
                " "
                <A href=base.clone() attr:class="button">{t!(i18n, cancel)}</A>
            </ActionForm>
        </Dialog>
    }
}

/// `done`: where the roll leads, `base` unless given; the page there must
/// show the new secret (the key list takes it from the hand-over).
#[component]
pub fn RollKeyDialog(
    row: KeyRow,
    policy: KeyPolicy,
    action: ServerAction<RollKey>,
    base: String,
    #[prop(optional)] done: Option<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let name = row.name.clone();
    let errors = use_form_errors(action);
    // Under a policy that asks for an expiry, the roll sets one: the key's
    // own, when the policy allows it from today, or a new one.
    let expiry = policy.requires_expiry().then(|| {
        let keep = row
            .expires_at
            .as_deref()
            .filter(|at| {
                policy
                    .latest_expiry
                    .as_deref()
                    .is_none_or(|latest| *at <= latest)
            })
            .map(|at| t_string!(i18n, expires_keep, date = when(at)).to_string());
        let policy = policy.clone();
        view! {
            <div class="field">
                <label for="roll-expires">{t!(i18n, field_expires)}</label>
                <select id="roll-expires" name="expires" aria-describedby="roll-policy" aria-invalid=move || errors.problem(Field::Expires).map(|_| "true")>
                    <ExpiryOptions policy=policy.clone() keep />
                </select>
            </div>
            <div class="field">
                <label for="roll-expires-on">{t!(i18n, field_expires_on)}</label>
                <input
                    id="roll-expires-on"
                    name="expires_on"
                    type="date"
                    max=policy.latest_date.clone()
                    aria-describedby="roll-policy"
                    aria-invalid=move || errors.problem(Field::Expires).map(|_| "true")
                />
            </div>
            <div id="roll-policy">
                <PolicyHint policy=policy />
                {move || errors.problem(Field::Expires).map(|p| view! { <p class="field-error">{problem_message(i18n, p)}</p> })}
            </div>
        }
    });
    let done = done.unwrap_or_else(|| base.clone());
    view! {
        <Dialog labelled_by="roll-key-title" close_href=base.clone()>
            <h2 id="roll-key-title">{t!(i18n, roll_key_title)}</h2>
            <p>{t!(i18n, roll_key_body, name = name.clone())}</p>
            <ActionForm action=action>
                <input type="hidden" name="id" value=row.id.to_string() />
                <input type="hidden" name="back" value=done />
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
                <div class="field checkbox">
                    <input id="roll-retire-unused" type="checkbox" name="retire_unused" value="true" aria-describedby="roll-retire-hint" />
                    <label for="roll-retire-unused">{t!(i18n, retire_unused)}</label>
                    <p id="roll-retire-hint" class="hint">{t!(i18n, retire_unused_hint)}</p>
                </div>
                {expiry}
                <FormError error=errors.error />
                <button type="submit" class="primary">{t!(i18n, roll_confirm)}</button>
                " "
                <A href=base.clone() attr:class="button">{t!(i18n, cancel)}</A>
            </ActionForm>
        </Dialog>
    }
}

/// The one confirmation of a bulk action (`?bulk=disable&ids[]=…`, from the
/// list's Selected keys form): how many and which, then one post.
#[component]
pub fn BulkKeysDialog(
    rows: Vec<KeyRow>,
    what: BulkAction,
    action: ServerAction<BulkKeys>,
    base: String,
) -> impl IntoView {
    let i18n = use_i18n();
    let count = rows.len();
    let (title, body, confirm) = match what {
        BulkAction::Disable => (
            t_string!(i18n, bulk_title_disable, count = count).to_string(),
            t_string!(i18n, bulk_body_disable).to_string(),
            t_string!(i18n, bulk_confirm_disable, count = count).to_string(),
        ),
        BulkAction::Enable => (
            t_string!(i18n, bulk_title_enable, count = count).to_string(),
            t_string!(i18n, bulk_body_enable).to_string(),
            t_string!(i18n, bulk_confirm_enable, count = count).to_string(),
        ),
        BulkAction::Delete => (
            t_string!(i18n, bulk_title_delete, count = count).to_string(),
            t_string!(i18n, bulk_body_delete).to_string(),
            t_string!(i18n, bulk_confirm_delete, count = count).to_string(),
        ),
    };
    let class = if what == BulkAction::Delete {
        "danger"
    } else {
        "primary"
    };
    view! {
        <Dialog labelled_by="bulk-keys-title" close_href=base.clone()>
            <h2 id="bulk-keys-title">{title}</h2>
            <p id="bulk-keys-body">{body}</p>
            <ul aria-labelledby="bulk-keys-body" data-testid="bulk-keys">
                {rows.iter().map(|r| view! { <li>{r.name.clone()}" "<code>{format!("{}…", r.visible_start)}</code></li> }).collect_view()}
            </ul>
            <ActionForm action=action>
                <input type="hidden" name="action" value=what.as_str() />
                {rows.iter().map(|r| view! { <input type="hidden" name="ids[]" value=r.id.to_string() /> }).collect_view()}
                <input type="hidden" name="back" value=base.clone() />
                <button type="submit" class=class>{confirm}</button>
                " "
                <A href=base.clone() attr:class="button">{t!(i18n, cancel)}</A>
            </ActionForm>
        </Dialog>
    }
}
