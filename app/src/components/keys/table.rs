//! The table of keys, with enable/disable, roll and delete per row. Plain
//! links (the router still takes their clicks): `<A>` would mark every
//! Roll and Delete link of the page `aria-current="page"` (it ignores the
//! query), and costs a router lookup per link on every render.
use leptos::prelude::*;

use crate::i18n::{t, t_string, use_i18n};
use crate::model::keys::{KeyRow, KeyStatus};
use crate::server_fns::keys::SetKeyEnabled;

use super::{status_label, when};

#[component]
pub(super) fn KeyTable(
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
                            <th scope="row"><a href=detail_href>{row.name.clone()}</a></th>
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
                                        <a href=roll_href.clone() class="button" aria-label=roll_label.clone()>{t!(i18n, roll)}</a>
                                    })}
                                    <a href=delete_href class="button danger-link" aria-label=delete_label>{t!(i18n, delete)}</a>
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
