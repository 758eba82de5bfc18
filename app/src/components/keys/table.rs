//! The table of keys, with enable/disable, roll and delete per row. Plain
//! links and forms: `<A>` would mark every Roll and Delete link of the page
//! `aria-current="page"` (it ignores the query).
use leptos::prelude::*;

use crate::i18n::{t, t_string, use_i18n};
use crate::model::keys::{KeyRow, KeyStatus};
use crate::server_fns::keys::SetKeyEnabled;

use super::{status_label, when};

/// The id of the bulk actions' form: the rows' checkboxes belong to it
/// (a form cannot hold the rows' own forms).
pub(super) const BULK_FORM: &str = "bulk-keys";

/// Rendered on the server only (no island). The rows are the page's bulk
/// (50 of them, ~1 KB each): they are written straight into one string,
/// every value from the database or the address escaped ([`Escaped`]), not
/// built as a view tree per row — a third less time per Public API page.
/// The words are looked up once per table; the row's form is a plain one
/// (the page's in-place posting takes it in the browser).
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
        select: t_string!(i18n, col_select),
    };
    let mut body = String::with_capacity(rows.len() * 1_100);
    for row in &rows {
        let status = status_label(i18n, row.status);
        let grace: Vec<String> = row
            .grace
            .iter()
            .map(|g| {
                let until = when(&g.until);
                t_string!(
                    i18n,
                    previous_secret,
                    start = g.visible_start.clone(),
                    until = until
                )
                .to_string()
            })
            .collect();
        write_row(
            &mut body,
            row,
            &Shown {
                base: &base,
                may_roll,
                words: &words,
                status: &status,
                grace: &grace,
            },
        );
    }
    view! {
        <table class="data-table keys">
            <thead>
                <tr>
                    <th scope="col"><span class="visually-hidden">{words.select}</span></th>
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
            <tbody inner_html=body></tbody>
        </table>
    }
    .into_any()
}

/// The table's words, in the reader's language.
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
    select: &'static str,
}

/// What a row is written with besides the key: the list's address (actions
/// come back to it), whether Roll is offered, the words, the key's status
/// and its previous secrets' lines, translated.
struct Shown<'a> {
    base: &'a str,
    may_roll: bool,
    words: &'a Words,
    status: &'a str,
    grace: &'a [String],
}

/// One `<tr>`: the key's name (a link to its page), the visible start, API
/// sets, status, dates, owner and the actions (Disable/Enable as a form,
/// Roll and Delete as links that open their confirmation).
fn write_row(out: &mut String, row: &KeyRow, shown: &Shown) {
    use std::fmt::Write;
    let Shown {
        base,
        may_roll,
        words,
        status,
        grace,
    } = *shown;
    let id = row.id;
    let name = Escaped(&row.name);
    let sep = if base.contains('?') { "&amp;" } else { "?" };
    let base = Escaped(base);
    let disabled = row.status == KeyStatus::Disabled;
    let (toggle, next) = if disabled {
        (words.enable, "true")
    } else {
        (words.disable, "false")
    };
    let toggle_url = <SetKeyEnabled as leptos::server_fn::ServerFn>::PATH;
    let _ = write!(
        out,
        "<tr data-key-id=\"{id}\"><td class=\"select\"><input type=\"checkbox\" name=\"ids[]\" value=\"{id}\" form=\"{BULK_FORM}\" aria-label=\"{} {name}\"></td><th scope=\"row\"><a href=\"/settings/integrations/public-api/keys/{id}\">{name}</a></th>\
         <td><code>{}…</code></td><td>",
        Escaped(words.select),
        Escaped(&row.visible_start),
    );
    let sets = if row.api_sets.is_empty() {
        words.none.to_owned()
    } else {
        row.api_sets.join(", ")
    };
    let _ = write!(out, "{}", Escaped(&sets));
    let _ = write!(
        out,
        "</td><td><span class=\"key-status key-status-{}\">{}</span></td><td>{}</td><td>",
        row.status.as_str(),
        Escaped(status),
        Escaped(&when(&row.created_at)),
    );
    match (&row.last_used_at, &row.last_used_ip) {
        (Some(at), Some(ip)) => {
            let _ = write!(out, "{} · {}", Escaped(&when(at)), Escaped(ip));
        }
        (Some(at), None) => {
            let _ = write!(out, "{}", Escaped(&when(at)));
        }
        (None, _) => {
            let _ = write!(out, "{}", Escaped(words.never_used));
        }
    }
    for (line, g) in grace.iter().zip(&row.grace) {
        let used = g
            .last_used_at
            .as_deref()
            .map_or_else(|| words.never_used.to_owned(), when);
        let _ = write!(
            out,
            "<p class=\"hint\">{} · {}: {}</p>",
            Escaped(line),
            Escaped(words.last_used),
            Escaped(&used),
        );
    }
    out.push_str("</td><td>");
    match &row.expires_at {
        Some(at) => {
            let _ = write!(out, "{}", Escaped(&when(at)));
        }
        None => {
            let _ = write!(out, "{}", Escaped(words.expires_never));
        }
    }
    if row.expiring_soon {
        let _ = write!(
            out,
            " <span class=\"badge warning\">{}</span>",
            Escaped(words.expires_soon)
        );
    }
    let _ = write!(
        out,
        "</td><td>{}</td><td><div class=\"actions\">",
        Escaped(&row.owner)
    );
    // A leaked key is rolled before it may be enabled: no toggle until then.
    if row.status != KeyStatus::Leaked {
        let _ = write!(
            out,
            "<form action=\"{toggle_url}\" method=\"post\">\
             <input type=\"hidden\" name=\"id\" value=\"{id}\"><input type=\"hidden\" name=\"enabled\" value=\"{next}\">\
             <input type=\"hidden\" name=\"back\" value=\"{base}\">\
             <button type=\"submit\" aria-label=\"{} {name}\">{}</button></form>",
            Escaped(toggle),
            Escaped(toggle),
        );
    }
    if may_roll && row.is_own {
        let roll = Escaped(words.roll);
        let _ = write!(
            out,
            "<a href=\"{base}{sep}roll={id}\" class=\"button\" aria-label=\"{roll} {name}\">{roll}</a>"
        );
    }
    let delete = Escaped(words.delete);
    let _ = write!(
        out,
        "<a href=\"{base}{sep}delete={id}\" class=\"button danger-link\" aria-label=\"{delete} {name}\">{delete}</a></div></td></tr>"
    );
}

/// Text made safe for HTML element content and double-quoted attribute
/// values (every attribute here is double-quoted), as Leptos escapes.
struct Escaped<'a>(&'a str);

impl std::fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(['&', '<', '>', '"']) {
            f.write_str(&rest[..at])?;
            f.write_str(match rest.as_bytes()[at] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                _ => "&quot;",
            })?;
            rest = &rest[at + 1..];
        }
        f.write_str(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::keys::GraceSecret;

    fn row(name: &str) -> KeyRow {
        KeyRow {
            id: 7,
            name: name.to_owned(),
            description: String::new(),
            visible_start: "kh_<b>".into(),
            api_sets: vec!["keys:read".into(), "a&b".into()],
            status: KeyStatus::Disabled,
            created_at: "2026-11-29T10:00:00+00:00".into(),
            last_used_at: Some("2026-11-29T11:00:00+00:00".into()),
            last_used_ip: Some("::1\"><x".into()),
            expires_at: None,
            expiring_soon: false,
            owner: "o'wner".into(),
            owner_name: String::new(),
            is_own: true,
            grace: vec![GraceSecret {
                visible_start: "kh_old".into(),
                until: "2026-11-30T10:00:00+00:00".into(),
                last_used_at: None,
            }],
            allowed_addresses: Vec::new(),
        }
    }

    fn words() -> Words {
        Words {
            enable: "Enable",
            disable: "Disable",
            roll: "Roll",
            delete: "Delete",
            none: "None",
            never_used: "Never",
            expires_never: "Never",
            expires_soon: "Soon",
            last_used: "Last used",
            select: "Select",
        }
    }

    #[test]
    fn every_value_is_escaped() {
        let mut html = String::new();
        let grace = ["Previous <secret>".to_owned()];
        let shown = Shown {
            base: "/keys?owner=a&x=\"<",
            may_roll: true,
            words: &words(),
            status: "Disabled",
            grace: &grace,
        };
        write_row(&mut html, &row("<script>alert('x')</script>"), &shown);
        for raw in ["<script>", "<b>", "a&b", "\"><x", "<secret>", "x=\"<"] {
            assert!(!html.contains(raw), "{raw} unescaped in {html}");
        }
        assert!(
            html.contains("aria-label=\"Enable &lt;script&gt;alert('x')&lt;/script&gt;\""),
            "{html}"
        );
        assert!(
            html.contains("href=\"/keys?owner=a&amp;x=&quot;&lt;&amp;roll=7\""),
            "{html}"
        );
        assert!(html.contains("<td>keys:read, a&amp;b</td>"), "{html}");
        assert!(
            html.contains("2026-11-29 11:00 UTC · ::1&quot;&gt;&lt;x"),
            "{html}"
        );
        assert!(
            html.contains("value=\"true\""),
            "a disabled key's button enables it"
        );
        assert_eq!(html.matches("<tr").count(), html.matches("</tr>").count());
    }

    #[test]
    fn roll_only_for_ones_own_key_when_allowed() {
        let grace = [String::new()];
        for (may_roll, is_own, offered) in [
            (true, true, true),
            (true, false, false),
            (false, true, false),
        ] {
            let mut html = String::new();
            let mut key = row("k");
            key.is_own = is_own;
            let shown = Shown {
                base: "/keys",
                may_roll,
                words: &words(),
                status: "Active",
                grace: &grace,
            };
            write_row(&mut html, &key, &shown);
            assert_eq!(html.contains("roll=7"), offered, "{may_roll} {is_own}");
            assert!(html.contains("/keys?delete=7"));
        }
    }
}
