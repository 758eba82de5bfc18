//! Who a request to the HTTP API acts as. A working key acts as its owner,
//! in the key's organization, with the owner's authorities; with a user
//! token it acts as that user, holding only the authorities both the user
//! and the key's owner hold. Every management endpoint then asks the one
//! guard ([`super::guard::api`]), which checks the key's API sets here.
use super::session::{Principal, load};
use crate::backend::keys::cache::Facts;
use crate::backend::services::user_tokens;
use crate::backend::state::AppState;
use crate::model::authz::Authority;
use crate::model::error::AppError;

/// Why a request with a working key still may not act.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The user token is unknown, expired, or not issued through this key;
    /// or its user is no longer an active member.
    BadUserToken,
    /// The key lacks the API set.
    MissingApiSet,
    /// The owner (or the user) lacks the authority, or it is not found.
    App(AppError),
}

impl From<AppError> for Refusal {
    fn from(err: AppError) -> Self {
        Refusal::App(err)
    }
}

/// The user a token presented with the working key `key` stands for: it
/// was issued through this key, has not expired or been revoked, and its
/// user is still an active member of the key's organization.
pub async fn token_user(state: &AppState, key: &Facts, token: &str) -> Result<Principal, Refusal> {
    let (user_id, token_org) = user_tokens::resolve(state, key.key.id, token)
        .await?
        .ok_or(Refusal::BadUserToken)?;
    load(state, user_id, token_org)
        .await?
        .filter(|p| p.organization.id == key.organization.id)
        .ok_or(Refusal::BadUserToken)
}

/// The principal of an API request made with the working key `key` (and
/// perhaps a user token), allowed to use `api_set` with `authority`.
pub async fn principal(
    state: &AppState,
    key: &Facts,
    user_token: Option<&str>,
    api_set: &str,
    authority: Option<Authority>,
) -> Result<Principal, Refusal> {
    if !key.api_sets.iter().any(|s| s == api_set) {
        return Err(Refusal::MissingApiSet);
    }
    let owner = load(state, key.key.user_id, key.organization.id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let acting = match user_token {
        None => owner,
        Some(token) => {
            let mut user = token_user(state, key, token).await?;
            user.authorities.retain(|a| owner.may(*a));
            user
        }
    };
    if let Some(needed) = authority
        && !acting.may(needed)
    {
        return Err(Refusal::App(AppError::Forbidden));
    }
    Ok(acting)
}
