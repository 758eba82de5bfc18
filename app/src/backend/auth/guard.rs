//! The one guard both front doors use: "who is this, and may they do this
//! operation in their organization?" The pages' server functions ask
//! [`session`]; the HTTP API asks [`api`] with the key it authenticated.
//! Both read the operation's [`Need`], declared once beside its service.
use tower_sessions::Session;

use super::api_caller::{self, Refusal};
use super::operation::{Caller, Need};
use super::session::{Principal, principal};
use crate::backend::keys::cache::Facts;
use crate::backend::state::AppState;
use crate::model::error::AppError;

/// A browser session's principal, if it may start an operation needing
/// `need`: 401 when nobody is signed in, 403 without the authority.
/// Operations for anyone or for keys only never reach here.
pub async fn session(
    state: &AppState,
    session: &Session,
    need: Need,
) -> Result<Principal, AppError> {
    if matches!(need.caller, Caller::Anyone | Caller::Key | Caller::Signed) {
        // A programming error, not the caller's: such an operation has no
        // session principal to hand out.
        return Err(AppError::internal(format!(
            "guard::session asked for {:?}",
            need.caller
        )));
    }
    let principal = principal(state, session)
        .await?
        .ok_or(AppError::Unauthorized)?;
    allows(&principal, need)?;
    Ok(principal)
}

/// The principal of an HTTP API request made with the working key `key`
/// (and perhaps a user token): the key must carry the operation's API set
/// and the acting user hold its authority.
pub async fn api(
    state: &AppState,
    key: &Facts,
    user_token: Option<&str>,
    need: Need,
) -> Result<Principal, Refusal> {
    let Some(api_set) = need.api_set else {
        return Err(Refusal::App(AppError::internal(
            "guard::api for an operation without an API set",
        )));
    };
    api_caller::principal(state, key, user_token, api_set, need.authority_needed()).await
}

/// The rule itself, for a known principal (a session's, or the one an API
/// key acts as).
pub fn allows(principal: &Principal, need: Need) -> Result<(), AppError> {
    match need.authority_needed() {
        Some(needed) if !principal.may(needed) => Err(AppError::Forbidden),
        _ => Ok(()),
    }
}

/// The session of the current server-function request.
pub async fn current_session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(AppError::internal)
}
