//! The Save generated key dialog and the key file it downloads.
use leptos::prelude::*;

use serde::{Deserialize, Serialize};

use crate::components::dialog::Dialog;
use crate::components::hydration::hydrated;
use crate::i18n::{t, t_string, use_i18n};
use crate::model::keys::GeneratedKey;

/// The comment lines' words in the downloaded file, in the user's language.
#[derive(Clone, Serialize, Deserialize)]
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
/// Download and Close. Close is a plain form (a page load to the list);
/// Copy and Download appear once the island runs.
#[component]
pub fn SaveKeyDialog(key: GeneratedKey, base: String) -> impl IntoView {
    let i18n = use_i18n();
    let labels = SaveLabels {
        copy: t_string!(i18n, copy_to_clipboard).to_string(),
        copied: t_string!(i18n, copied).to_string(),
        refused: t_string!(i18n, copy_refused).to_string(),
        download: t_string!(i18n, download).to_string(),
        close: t_string!(i18n, close).to_string(),
        file: FileLabels {
            heading: t_string!(i18n, key_file_heading).to_string(),
            name: t_string!(i18n, file_name).to_string(),
            organization: t_string!(i18n, file_organization).to_string(),
            api_sets: t_string!(i18n, file_api_sets).to_string(),
            created: t_string!(i18n, file_created).to_string(),
            api_base: t_string!(i18n, file_api_base).to_string(),
        },
    };
    let (value, name) = (key.key.clone(), key.name.clone());
    view! {
        <Dialog labelled_by="save-key-title" close_href=base.clone()>
            <h2 id="save-key-title">{t!(i18n, save_generated_key)}</h2>
            <p class="warning" role="note">{t!(i18n, key_warning)}</p>
            <div class="field">
                <label for="generated-key">{t!(i18n, your_api_key)}</label>
                <input id="generated-key" readonly=true class="key-field" value=value />
            </div>
            <p class="hint">{name}</p>
            <SaveKeyButtons key base labels />
        </Dialog>
    }
}

/// The words of the Save generated key buttons, in the user's language.
#[derive(Clone, Serialize, Deserialize)]
pub struct SaveLabels {
    copy: String,
    copied: String,
    refused: String,
    download: String,
    close: String,
    file: FileLabels,
}

#[island]
fn SaveKeyButtons(key: GeneratedKey, base: String, labels: SaveLabels) -> impl IntoView {
    let js = hydrated();
    let copied = RwSignal::new(None::<bool>);
    let key = StoredValue::new(key);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let text = key.with_value(|k| k.key.clone());
            leptos::task::spawn_local(async move {
                let promise = window().navigator().clipboard().write_text(&text);
                let ok = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
                if !ok && let Some(input) = select_key_field() {
                    input.select();
                }
                copied.set(Some(ok));
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = key;
    };
    let file = labels.file.clone();
    let download = move |_| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let origin = window().location().origin().unwrap_or_default();
            let (text, name) = key.with_value(|k| {
                (
                    key_file(k, &format!("{origin}/api/v1"), &file),
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
                a.set_download(&name);
                a.click();
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &file;
    };
    let SaveLabels {
        copy: copy_label,
        copied: copied_label,
        refused,
        download: download_label,
        close,
        ..
    } = labels;
    view! {
        <form method="get" action=base class="dialog-buttons">
            {move || js.get().then(|| view! {
                <button type="button" class="primary" on:click=copy>{copy_label.clone()}</button>
                <button type="button" on:click=download.clone()>{download_label.clone()}</button>
            })}
            <button type="submit">{close}</button>
            <span role="status" class="notice">
                {move || match copied.get() {
                    Some(true) => copied_label.clone(),
                    Some(false) => refused.clone(),
                    None => String::new(),
                }}
            </span>
        </form>
    }
}

/// The key's field, selected so the user can copy it by hand when the
/// browser refuses the clipboard.
#[cfg(feature = "hydrate")]
fn select_key_field() -> Option<web_sys::HtmlInputElement> {
    use wasm_bindgen::JsCast;
    document()
        .get_element_by_id("generated-key")
        .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
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
