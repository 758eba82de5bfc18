//! Settings → Integrations → Key policy: read it, save it, and shorten the
//! keys beyond it.
use leptos::prelude::*;

use crate::model::error::AppError;
use crate::model::policy::KeyPolicyPage;

#[server(prefix = "/rpc", endpoint = "key-policy/page")]
pub async fn get_key_policy() -> Result<KeyPolicyPage, AppError> {
    use super::support::call;
    use crate::backend::services::key_policy;
    call(key_policy::PAGE, move |c| async move {
        key_policy::page(&c.state, &c.who).await
    })
    .await
}

/// A checkbox posts its value when ticked and nothing otherwise.
#[server(prefix = "/rpc", endpoint = "key-policy/save")]
pub async fn save_key_policy(
    #[server(default)] max_lifetime_days: String,
    #[server(default)] expiry_required: Option<String>,
    #[server(default)] default_expiry: String,
    #[server(default)] disable_unused_days: String,
) -> Result<(), AppError> {
    use super::support::{call, notify};
    use crate::backend::services::key_policy;
    use crate::model::notice::Notice;
    use crate::model::policy::PolicyForm;
    call(key_policy::SAVE, move |c| async move {
        let form = PolicyForm {
            max_lifetime_days,
            expiry_required: expiry_required.is_some_and(|v| !v.is_empty() && v != "false"),
            default_expiry,
            disable_unused_days,
        };
        key_policy::save(&c.state, &c.who, &form, &c.meta).await?;
        notify(&c.state, &Notice::KeyPolicySaved);
        Ok(())
    })
    .await
}

/// "Shorten to the policy": answers how many keys were shortened.
#[server(prefix = "/rpc", endpoint = "key-policy/shorten")]
pub async fn shorten_keys() -> Result<u64, AppError> {
    use super::support::{call, notify};
    use crate::backend::services::key_policy;
    use crate::model::notice::Notice;
    call(key_policy::SHORTEN, move |c| async move {
        let shortened = key_policy::shorten(&c.state, &c.who, &c.meta).await?;
        notify(&c.state, &Notice::KeysShortened);
        Ok(shortened)
    })
    .await
}

/// The caller's own keys that stop working within 7 days (the home page's
/// banner); signed out: an error, and no banner.
#[server(prefix = "/rpc", endpoint = "keys/expiring")]
pub async fn expiring_keys() -> Result<Vec<crate::model::keys::ExpiringKey>, AppError> {
    use super::support::call;
    use crate::backend::services::key_policy;
    call(key_policy::EXPIRING, move |c| async move {
        key_policy::expiring(&c.state.db, &c.who, c.state.clock.now()).await
    })
    .await
}
