//! The table of keys, with enable/disable, roll and delete per row. Plain
//! links (the router still takes their clicks): `<A>` would mark every
//! Roll and Delete link of the page `aria-current="page"` (it ignores the
//! query), and costs a router lookup per link on every render.
use leptos::prelude::*;

use crate::i18n::{t, t_string, use_i18n};
use crate::model::keys::{KeyRow, KeyStatus};
use crate::server_fns::keys::SetKeyEnabled;

use super::{status_label, when};

/// Rendered on the server only (no island): the words are looked up once
/// per table, not once per row, and the row's form is a plain one (the
/// page's in-place posting takes it in the browser).
#[component]
pub(super) fn KeyTable(rows: Vec<KeyRow>, base: String, may_roll: bool) -> impl IntoView {
    let i18n = use_i18n();
    if rows.is_empty() {
        return view! { <p class="empty">{t!(i18n, no_keys)}</p> }.into_any();
    }
    let words = Words {
        enable: t_string!(i18n, enable),
        disable: t_string!(i18n, disable),
        roll: t_string!(i18n, roll),
        delete: t_string!(i18n, delete),
        none: t_string!(i18n, none),
        never_used: t_string!(i18n, never_used),
        expires_never: t_string!(i18n, expires_never),
        expires_soon: t_string!(i18n, expires_soon),
        last_used: t_string!(i18n, col_last_used),
    };
    let toggle_url = <SetKeyEnabled as leptos::server_fn::ServerFn>::PATH;
    let sep = if base.contains('?') { '&' } else { '?' };
    view! {
        <table class="data-table keys">
            <thead>
                <tr>
                    <th scope="col">{t_string!(i18n, key_name)}</th>
                    <th scope="col">{t_string!(i18n, col_key)}</th>
                    <th scope="col">{t_string!(i18n, col_api_sets)}</th>
                    <th scope="col">{t_string!(i18n, col_status)}</th>
                    <th scope="col">{t_string!(i18n, col_created)}</th>
                    <th scope="col">{words.last_used}</th>
                    <th scope="col">{t_string!(i18n, col_expires)}</th>
                    <th scope="col">{t_string!(i18n, col_owner)}</th>
                    <th scope="col">{t_string!(i18n, col_actions)}</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|row| {
                    let status_class = format!("key-status key-status-{}", row.status.as_str());
                    let detail_href = format!("/settings/integrations/public-api/keys/{}", row.id);
                    let disabled = row.status == KeyStatus::Disabled;
                    let enabled_next = if disabled { "true" } else { "false" };
                    let toggle = if disabled { words.enable } else { words.disable };
                    let name = &row.name;
                    let toggle_label = format!("{toggle} {name}");
                    let delete_label = format!("{} {name}", words.delete);
                    let delete_href = format!("{base}{sep}delete={}", row.id);
                    let roll = (may_roll && row.is_own).then(|| {
                        let roll_href = format!("{base}{sep}roll={}", row.id);
                        let roll_label = format!("{} {name}", words.roll);
                        view! { <a href=roll_href class="button" aria-label=roll_label>{words.roll}</a> }
                    });
                    let sets = if row.api_sets.is_empty() { words.none.to_owned() } else { row.api_sets.join(", ") };
                    let last_used = match &row.last_used_at {
                        Some(at) => match &row.last_used_ip {
                            Some(ip) => format!("{} · {ip}", when(at)),
                            None => when(at),
                        },
                        None => words.never_used.to_owned(),
                    };
                    let grace = row.grace.iter().map(|g| {
                        let (start, until) = (g.visible_start.clone(), when(&g.until));
                        let used = g.last_used_at.as_deref().map_or_else(|| words.never_used.to_owned(), when);
                        view! {
                            <p class="hint">
                                {t!(i18n, previous_secret, start = start.clone(), until = until.clone())}
                                " · " {words.last_used} ": " {used}
                            </p>
                        }
                    }).collect_view();
                    let expires = row.expires_at.as_deref().map_or_else(|| words.expires_never.to_owned(), when);
                    let soon = row.expiring_soon.then(|| view! { " " <span class="badge warning">{words.expires_soon}</span> });
                    view! {
                        <tr data-key-id=row.id.to_string()>
                            <th scope="row"><a href=detail_href>{row.name.clone()}</a></th>
                            <td><code>{format!("{}…", row.visible_start)}</code></td>
                            <td>{sets}</td>
                            <td><span class=status_class>{status_label(i18n, row.status)}</span></td>
                            <td>{when(&row.created_at)}</td>
                            <td>{last_used}{grace}</td>
                            <td>{expires}{soon}</td>
                            <td>{row.owner.clone()}</td>
                            <td>
                                <div class="actions">
                                    <form action=toggle_url method="post">
                                        <input type="hidden" name="id" value=row.id.to_string() />
                                        <input type="hidden" name="enabled" value=enabled_next />
                                        <input type="hidden" name="back" value=base.clone() />
                                        <button type="submit" aria-label=toggle_label>{toggle}</button>
                                    </form>
                                    {roll}
                                    <a href=delete_href class="button danger-link" aria-label=delete_label>{words.delete}</a>
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

/// The table's words, in the reader's language.
#[derive(Clone, Copy)]
struct Words {
    enable: &'static str,
    disable: &'static str,
    roll: &'static str,
    delete: &'static str,
    none: &'static str,
    never_used: &'static str,
    expires_never: &'static str,
    expires_soon: &'static str,
    last_used: &'static str,
}
