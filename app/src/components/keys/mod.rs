//! The API key pieces shared by the Public API page and the API Keys
//! section of User Account Details: the key list with its actions, the
//! Create API key dialog (with the Available API / Selected API lists), the
//! Save generated key dialog, and the delete and roll confirmations.
//!
//! Every dialog is driven by the page's query (`?dialog=create`,
//! `?delete=ID`, `?roll=ID`), so it opens, posts and closes without
//! JavaScript as well; once hydrated it is a modal dialog.
mod addresses;
mod confirm;
mod create;
mod decoys;
mod expiring;
mod panel;
mod picker;
mod rotation;
mod save;
mod table;
mod transfer;
mod usage;

pub use addresses::AllowedAddressesSection;
pub use confirm::{DeleteKeyDialog, RollKeyDialog};
pub use decoys::DecoysSection;
pub use expiring::ExpiringBanner;
pub use panel::KeysPanel;
pub use rotation::RotationSection;
pub use save::{FileLabels, SaveKeyDialog, key_file, key_file_name};
pub use transfer::TransferSection;
pub use usage::{UsageChart, UsedFromTable};

use leptos_i18n::I18nContext;

use crate::i18n::{Locale, t_string};
use crate::model::keys::{ApiSetInfo, KeyStatus};

pub fn status_label(i18n: I18nContext<Locale>, status: KeyStatus) -> String {
    match status {
        KeyStatus::Active => t_string!(i18n, key_status_active),
        KeyStatus::Leaked => t_string!(i18n, key_status_leaked),
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
