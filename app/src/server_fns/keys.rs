//! API keys (Settings → Integrations → Public API, and the API Keys section
//! of User Account Details). Each function: guard → service → DTO. These
//! are reached with a browser session only: an API key never creates a key.
use leptos::prelude::*;

use crate::model::error::AppError;
use crate::model::keys::{CreateKeyForm, GeneratedKey, KeyDetails, KeyFilter, KeyListing};

#[server(prefix = "/rpc", endpoint = "keys/list")]
pub async fn list_keys(#[server(default)] filter: KeyFilter) -> Result<KeyListing, AppError> {
    use super::support::call;
    use crate::backend::services::api_keys;
    call(api_keys::LIST, move |c| async move {
        api_keys::list(&c.state, &c.who, &filter).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "keys/details")]
pub async fn get_key_details(id: i64) -> Result<KeyDetails, AppError> {
    use super::support::call;
    use crate::backend::services::api_keys;
    call(api_keys::DETAILS, move |c| async move {
        api_keys::details(&c.state, &c.who, id).await
    })
    .await
}

/// Generates a key for the signed-in user. Answers with the key itself,
/// once (`Cache-Control: no-store`). A form posted without JavaScript is
/// redirected to `back` (a Keyhouse page), which shows the key once.
#[server(prefix = "/rpc", endpoint = "keys/create")]
pub async fn create_key(
    name: String,
    #[server(default)] description: String,
    #[server(default)] api_sets: Vec<i64>,
    #[server(default)] expires: String,
    #[server(default)] expires_on: String,
    #[server(default)] request_token: String,
    #[server(default)] back: String,
) -> Result<Option<GeneratedKey>, AppError> {
    use super::support::{call, no_store};
    use crate::backend::services::api_keys;
    call(api_keys::CREATE, move |c| async move {
        let state = c.state;
        let new = api_keys::NewKey {
            name,
            description,
            api_sets,
            expires,
            expires_on,
            request_token,
        };
        let delivery = delivery(&back);
        let issued = api_keys::create(&state, &c.who, new, &c.meta, delivery).await?;
        Ok(hand_over(&state, issued, &back))
    })
    .await
    .inspect(|_| no_store())
}

/// The Create API key dialog's choices and one-time form token.
#[server(prefix = "/rpc", endpoint = "keys/new-form")]
pub async fn new_key_form() -> Result<CreateKeyForm, AppError> {
    use super::support::call;
    use crate::backend::services::{api_keys, integrations, key_policy};
    call(api_keys::NEW_FORM, move |c| async move {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(AppError::internal)?;
        Ok(CreateKeyForm {
            api_sets: integrations::api_sets(&c.state, &c.who).await?,
            request_token: bytes.iter().map(|b| format!("{b:02x}")).collect(),
            policy: key_policy::of(&c.state.db, c.who.organization.id, c.state.clock.now()).await?,
        })
    })
    .await
}

/// A new secret for one of the caller's own keys; the old secret keeps
/// working for `grace_hours`.
#[server(prefix = "/rpc", endpoint = "keys/roll")]
pub async fn roll_key(
    id: i64,
    grace_hours: u32,
    #[server(default)] expires: String,
    #[server(default)] expires_on: String,
    #[server(default)] retire_unused: bool,
    #[server(default)] back: String,
) -> Result<Option<GeneratedKey>, AppError> {
    use super::support::{call, no_store};
    use crate::backend::services::api_keys;
    call(api_keys::ROLL, move |c| async move {
        let state = c.state;
        let delivery = delivery(&back);
        let ask = api_keys::Roll {
            grace_hours,
            expires,
            expires_on,
            retire_unused,
        };
        let issued = api_keys::roll(&state, &c.who, id, ask, &c.meta, delivery).await?;
        Ok(hand_over(&state, issued, &back))
    })
    .await
    .inspect(|_| no_store())
}

#[server(prefix = "/rpc", endpoint = "keys/set-enabled")]
pub async fn set_key_enabled(
    id: i64,
    enabled: bool,
    #[server(default)] back: String,
) -> Result<(), AppError> {
    use super::support::call;
    use crate::backend::services::api_keys;
    call(api_keys::SET_ENABLED, move |c| async move {
        api_keys::set_enabled(&c.state, &c.who, id, enabled, &c.meta).await?;
        redirect_back(&back);
        Ok(())
    })
    .await
}

/// Sets the key's own rate limit (requests per minute on the HTTP API);
/// empty removes it.
#[server(prefix = "/rpc", endpoint = "keys/set-rate-limit")]
pub async fn set_key_rate_limit(
    id: i64,
    #[server(default)] per_minute: String,
    #[server(default)] back: String,
) -> Result<(), AppError> {
    use super::support::{call, notify};
    use crate::backend::services::api_keys;
    use crate::model::notice::Notice;
    use crate::model::validation::{Field, FieldError, Problem};
    call(api_keys::SET_RATE_LIMIT, move |c| async move {
        let value = per_minute.trim();
        let per_minute = if value.is_empty() {
            None
        } else {
            Some(value.parse::<u32>().map_err(|_| {
                AppError::Invalid(vec![FieldError {
                    field: Field::RateLimit,
                    problem: Problem::OutOfRange,
                }])
            })?)
        };
        api_keys::set_rate_limit(&c.state, &c.who, id, per_minute, &c.meta).await?;
        notify(&c.state, &Notice::RateLimitSaved);
        redirect_back(&back);
        Ok(())
    })
    .await
}

/// Disable, Enable or Delete the keys ticked in the list, confirmed once:
/// one transaction, one audit row per key.
#[server(prefix = "/rpc", endpoint = "keys/bulk")]
pub async fn bulk_keys(
    #[server(default)] action: String,
    #[server(default)] ids: Vec<i64>,
    #[server(default)] back: String,
) -> Result<u64, AppError> {
    use super::support::call;
    use crate::backend::services::key_bulk;
    use crate::model::keys::BulkAction;
    call(key_bulk::BULK, move |c| async move {
        let action: BulkAction = action
            .parse()
            .map_err(|_| AppError::BadRequest("action".into()))?;
        let changed = key_bulk::bulk(&c.state, &c.who, action, &ids, &c.meta).await?;
        redirect_back(&back);
        Ok(changed)
    })
    .await
}

/// Sets the addresses and ranges the key is accepted from: the lines of
/// `addresses` and the ticked suggestions; all empty: anywhere.
#[server(prefix = "/rpc", endpoint = "keys/set-allowed-addresses")]
pub async fn set_key_allowed_addresses(
    id: i64,
    #[server(default)] addresses: String,
    #[server(default)] suggested: Vec<String>,
    #[server(default)] back: String,
) -> Result<(), AppError> {
    use super::support::{call, notify};
    use crate::backend::services::api_keys;
    use crate::model::notice::Notice;
    call(api_keys::SET_ALLOWED_ADDRESSES, move |c| async move {
        let mut entries = vec![addresses];
        entries.extend(suggested);
        api_keys::set_allowed_addresses(&c.state, &c.who, id, &entries, &c.meta).await?;
        notify(&c.state, &Notice::AllowedAddressesSaved);
        redirect_back(&back);
        Ok(())
    })
    .await
}

/// "End grace period now": the key's rolled secrets stop working at once.
#[server(prefix = "/rpc", endpoint = "keys/end-grace")]
pub async fn end_key_grace(id: i64, #[server(default)] back: String) -> Result<(), AppError> {
    use super::support::{call, notify};
    use crate::backend::services::api_keys;
    use crate::model::notice::Notice;
    call(api_keys::END_GRACE, move |c| async move {
        api_keys::end_grace(&c.state, &c.who, id, &c.meta).await?;
        notify(&c.state, &Notice::GraceEnded);
        redirect_back(&back);
        Ok(())
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "keys/delete")]
pub async fn delete_key(id: i64, #[server(default)] back: String) -> Result<(), AppError> {
    use super::support::call;
    use crate::backend::services::api_keys;
    call(api_keys::DELETE, move |c| async move {
        api_keys::delete(&c.state, &c.who, id, &c.meta).await?;
        redirect_back(&back);
        Ok(())
    })
    .await
}

/// The key generated for this user by a call that could not answer with it
/// (a form posted without JavaScript, or sign-up), handed over once.
#[server(prefix = "/rpc", endpoint = "keys/take-generated")]
pub async fn take_generated_key() -> Result<Option<GeneratedKey>, AppError> {
    use super::support::{call, no_store};
    use crate::backend::services::api_keys;
    call(api_keys::TAKE_GENERATED, move |c| async move {
        let key = super::support::take_handed_over(&c, false).await?;
        if key.is_some() {
            no_store();
        }
        Ok(key)
    })
    .await
}

/// Only paths of this site: never an open redirect.
#[cfg(feature = "ssr")]
fn safe_back(back: &str) -> Option<&str> {
    let mut chars = back.chars();
    let local = chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !back
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\');
    local.then_some(back)
}

#[cfg(feature = "ssr")]
pub(super) fn redirect_back(back: &str) {
    if let Some(path) = safe_back(back) {
        leptos_axum::redirect(path);
    }
}

/// With JavaScript the key is the call's answer. A plain form post is
/// answered with a redirect, so the key waits, sealed, for the next page
/// (which any instance may serve).
#[cfg(feature = "ssr")]
pub(super) fn delivery(back: &str) -> crate::backend::keys::handover::Delivery {
    use crate::backend::keys::handover::Delivery;
    if super::support::is_form_post() && safe_back(back).is_some() {
        Delivery::HandOver
    } else {
        Delivery::Answer
    }
}

/// The call's answer: the key, or (handed over) the ticket to the browser
/// and a redirect to `back`.
#[cfg(feature = "ssr")]
pub(super) fn hand_over(
    state: &crate::backend::state::AppState,
    issued: crate::backend::keys::handover::Issued,
    back: &str,
) -> Option<GeneratedKey> {
    match issued.ticket {
        Some(ticket) => {
            super::support::give_handover_ticket(state, &ticket);
            redirect_back(back);
            None
        }
        None => Some(issued.key),
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::safe_back;

    #[test]
    fn only_paths_of_this_site_are_followed() {
        for ok in [
            "/settings/integrations/public-api",
            "/admin/users/ada%40example.com?scope=all",
        ] {
            assert_eq!(safe_back(ok), Some(ok));
        }
        for bad in [
            "",
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example/",
            "/\t/evil.example/",
            "/ /evil.example",
            "\\\\evil.example",
            "/a\nb",
        ] {
            assert_eq!(safe_back(bad), None, "{bad:?}");
        }
    }
}

/// The "Transfer to…" form of a departed member's User Account Details;
/// `None` while they are active (or have no keys).
#[server(prefix = "/rpc", endpoint = "keys/transfer-form")]
pub async fn transfer_form(
    username: String,
) -> Result<Option<crate::model::transfer::TransferForm>, AppError> {
    use super::support::call;
    use crate::backend::services::key_transfer;
    call(key_transfer::FORM, move |c| async move {
        key_transfer::form(&c.state, &c.who, &username).await
    })
    .await
}

/// Moves every key of the departed member `from` to `to`; answers how many.
#[server(prefix = "/rpc", endpoint = "keys/transfer")]
pub async fn transfer_keys(from: String, to: String) -> Result<u64, AppError> {
    use super::support::{call, notify};
    use crate::backend::services::key_transfer;
    use crate::model::notice::Notice;
    call(key_transfer::TRANSFER, move |c| async move {
        let moved = key_transfer::transfer(&c.state, &c.who, &from, &to, &c.meta).await?;
        notify(&c.state, &Notice::KeysTransferred);
        Ok(moved)
    })
    .await
}
