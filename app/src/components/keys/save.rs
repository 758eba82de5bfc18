//! The Save generated key dialog and the key file it downloads.
use leptos::prelude::*;

use crate::components::dialog::Dialog;
use crate::i18n::{t, t_string, use_i18n};
use crate::model::keys::GeneratedKey;

use super::hydrated;

/// The comment lines' words in the downloaded file, in the user's language.
pub struct FileLabels {
    pub heading: String,
    pub name: String,
    pub organization: String,
    pub api_sets: String,
    pub created: String,
    pub api_base: String,
}

/// The text of the downloaded `<name>.APIKEY` file: the key, and as
/// comments what it is for.
pub fn key_file(key: &GeneratedKey, api_base: &str, l: &FileLabels) -> String {
    let sets = if key.api_sets.is_empty() {
        "-".to_owned()
    } else {
        key.api_sets.join(", ")
    };
    format!(
        "# {}\n# {}: {}\n# {}: {}\n# {}: {sets}\n# {}: {}\n# {}: {api_base}\n{}\n",
        l.heading,
        l.name,
        key.name.replace(['\n', '\r'], " "),
        l.organization,
        key.organization.replace(['\n', '\r'], " "),
        l.api_sets,
        l.created,
        key.created_at,
        l.api_base,
        key.key
    )
}

/// A file name from the key's name: letters, digits, `-` and `_` kept.
pub fn key_file_name(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let stem = stem.trim_matches('_');
    format!("{}.APIKEY", if stem.is_empty() { "key" } else { stem })
}

/// The Save generated key dialog: the key once, with Copy to clipboard,
/// Download and Close.
#[component]
pub fn SaveKeyDialog(key: GeneratedKey, base: String, on_close: Callback<()>) -> impl IntoView {
    let i18n = use_i18n();
    let js = hydrated();
    let copied = RwSignal::new(None::<bool>);
    let key = StoredValue::new(key);
    let input = NodeRef::<leptos::html::Input>::new();
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let text = key.with_value(|k| k.key.clone());
            let input = input.get();
            leptos::task::spawn_local(async move {
                let promise = window().navigator().clipboard().write_text(&text);
                let ok = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
                if !ok && let Some(input) = input {
                    input.select();
                }
                copied.set(Some(ok));
            });
        }
    };
    let download = move |_| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let origin = window().location().origin().unwrap_or_default();
            let labels = FileLabels {
                heading: t_string!(i18n, key_file_heading).to_string(),
                name: t_string!(i18n, file_name).to_string(),
                organization: t_string!(i18n, file_organization).to_string(),
                api_sets: t_string!(i18n, file_api_sets).to_string(),
                created: t_string!(i18n, file_created).to_string(),
                api_base: t_string!(i18n, file_api_base).to_string(),
            };
            let (text, file) = key.with_value(|k| {
                (
                    key_file(k, &format!("{origin}/api/v1"), &labels),
                    key_file_name(&k.name),
                )
            });
            let href = format!(
                "data:text/plain;charset=utf-8,{}",
                crate::model::users::urlencode(&text)
            );
            if let Ok(a) = document().create_element("a")
                && let Ok(a) = a.dyn_into::<web_sys::HtmlAnchorElement>()
            {
                a.set_href(&href);
                a.set_download(&file);
                a.click();
            }
        }
    };
    let close = move |ev: leptos::ev::MouseEvent| {
        if js.get_untracked() {
            ev.prevent_default();
            on_close.run(());
        }
    };
    view! {
        <Dialog labelled_by="save-key-title" on_close=on_close>
            <h2 id="save-key-title">{t!(i18n, save_generated_key)}</h2>
            <p class="warning" role="note">{t!(i18n, key_warning)}</p>
            <div class="field">
                <label for="generated-key">{t!(i18n, your_api_key)}</label>
                <input id="generated-key" node_ref=input readonly=true class="key-field" value=key.with_value(|k| k.key.clone()) />
            </div>
            <p class="hint">{key.with_value(|k| k.name.clone())}</p>
            <form method="get" action=base class="dialog-buttons">
                {move || js.get().then(|| view! {
                    <button type="button" class="primary" on:click=copy>{t!(i18n, copy_to_clipboard)}</button>
                    <button type="button" on:click=download>{t!(i18n, download)}</button>
                })}
                <button type="submit" on:click=close>{t!(i18n, close)}</button>
                <span role="status" class="notice">
                    {move || match copied.get() {
                        Some(true) => t_string!(i18n, copied).to_string(),
                        Some(false) => t_string!(i18n, copy_refused).to_string(),
                        None => String::new(),
                    }}
                </span>
            </form>
        </Dialog>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_holds_the_key_and_comments() {
        let key = GeneratedKey {
            id: 1,
            name: "CRM\nsync".into(),
            key: "kh_abc".into(),
            organization: "Acme".into(),
            api_sets: vec!["keys:read".into(), "billing".into()],
            created_at: "2026-11-24T10:00:00+00:00".into(),
        };
        let labels = FileLabels {
            heading: "Keyhouse API key".into(),
            name: "Name".into(),
            organization: "Organization".into(),
            api_sets: "API sets".into(),
            created: "Created".into(),
            api_base: "API base URL".into(),
        };
        let text = key_file(&key, "https://kh.example/api/v1", &labels);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.last(), Some(&"kh_abc"));
        assert!(lines[..lines.len() - 1].iter().all(|l| l.starts_with('#')));
        assert!(text.contains("# API sets: keys:read, billing"));
        assert!(text.contains("# API base URL: https://kh.example/api/v1"));
        assert_eq!(
            key_file_name("Integration with CRM"),
            "Integration_with_CRM.APIKEY"
        );
        assert_eq!(key_file_name("../.."), "key.APIKEY");
    }
}
