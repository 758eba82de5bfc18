//! The Save generated key dialog and the key file it downloads.
use leptos::prelude::*;

use crate::components::dialog::Dialog;
use crate::components::hydration::{CopyLabels, hydrated};
use crate::i18n::{t, t_string, use_i18n};
use crate::model::keys::GeneratedKey;

/// The comment lines' words in the downloaded file, in the user's language.
pub struct FileLabels {
    pub heading: String,
    pub name: String,
    pub organization: String,
    pub api_sets: String,
    pub created: String,
    pub api_base: String,
}

/// The comment lines of the downloaded `<name>.APIKEY` file: what the key
/// is for. The key itself follows on the last line.
pub fn key_file_head(key: &GeneratedKey, api_base: &str, l: &FileLabels) -> String {
    let sets = if key.api_sets.is_empty() {
        "-".to_owned()
    } else {
        key.api_sets.join(", ")
    };
    format!(
        "# {}\n# {}: {}\n# {}: {}\n# {}: {sets}\n# {}: {}\n# {}: {api_base}\n",
        l.heading,
        l.name,
        key.name.replace(['\n', '\r'], " "),
        l.organization,
        key.organization.replace(['\n', '\r'], " "),
        l.api_sets,
        l.created,
        key.created_at,
        l.api_base,
    )
}

/// The whole `<name>.APIKEY` file: the comment lines, then the key.
pub fn key_file(key: &GeneratedKey, api_base: &str, l: &FileLabels) -> String {
    format!("{}{}\n", key_file_head(key, api_base, l), key.key)
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
    let copy = CopyLabels {
        copy: t_string!(i18n, copy_to_clipboard).to_string(),
        copied: t_string!(i18n, copied).to_string(),
        refused: t_string!(i18n, copy_refused).to_string(),
    };
    let file = FileLabels {
        heading: t_string!(i18n, key_file_heading).to_string(),
        name: t_string!(i18n, file_name).to_string(),
        organization: t_string!(i18n, file_organization).to_string(),
        api_sets: t_string!(i18n, file_api_sets).to_string(),
        created: t_string!(i18n, file_created).to_string(),
        api_base: t_string!(i18n, file_api_base).to_string(),
    };
    // The island gets the file's comment lines and name, not the secret:
    // that is in the page once, in its field, and read from there on click.
    let file_head = key_file_head(
        &key,
        &format!("{}/api/v1", crate::server_fns::instance_url()),
        &file,
    );
    let file_name = key_file_name(&key.name);
    view! {
        <Dialog labelled_by="save-key-title" close_href=base.clone()>
            <h2 id="save-key-title">{t!(i18n, save_generated_key)}</h2>
            <p class="warning" role="note">{t!(i18n, key_warning)}</p>
            <div class="field">
                <label for="generated-key">{t!(i18n, your_api_key)}</label>
                <input id="generated-key" readonly=true class="key-field" value=key.key.clone() />
            </div>
            <p class="hint">{key.name.clone()}</p>
            <SaveKeyButtons
                base
                file_head
                file_name
                copy
                download=t_string!(i18n, download).to_string()
                close=t_string!(i18n, close).to_string()
            />
        </Dialog>
    }
}

#[island]
fn SaveKeyButtons(
    base: String,
    file_head: String,
    file_name: String,
    copy: CopyLabels,
    download: String,
    close: String,
) -> impl IntoView {
    let js = hydrated();
    let copied = RwSignal::new(None::<bool>);
    let copy_key = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let text = key_field().map(|f| f.value()).unwrap_or_default();
            leptos::task::spawn_local(async move {
                let ok = crate::components::hydration::write_clipboard(&text).await;
                if !ok && let Some(input) = key_field() {
                    input.select();
                }
                copied.set(Some(ok));
            });
        }
    };
    let download_key = move |_| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let secret = key_field().map(|f| f.value()).unwrap_or_default();
            let href = format!(
                "data:text/plain;charset=utf-8,{}",
                crate::model::users::urlencode(&format!("{file_head}{secret}\n"))
            );
            if let Ok(a) = document().create_element("a")
                && let Ok(a) = a.dyn_into::<web_sys::HtmlAnchorElement>()
            {
                a.set_href(&href);
                a.set_download(&file_name);
                a.click();
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (&file_head, &file_name);
    };
    let copy_label = copy.copy.clone();
    view! {
        <form method="get" action=base class="dialog-buttons">
            {move || js.get().then(|| view! {
                <button type="button" class="primary" on:click=copy_key>{copy_label.clone()}</button>
                <button type="button" on:click=download_key.clone()>{download.clone()}</button>
            })}
            <button type="submit">{close}</button>
            <span role="status" class="notice">{move || copy.outcome(copied.get())}</span>
        </form>
    }
}

/// The key's field: what Copy and Download read, and what is selected for
/// copying by hand when the browser refuses the clipboard.
#[cfg(feature = "hydrate")]
fn key_field() -> Option<web_sys::HtmlInputElement> {
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
            webhook: false,
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
