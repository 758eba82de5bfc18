//! The one guard every server function and every API handler uses:
//! "who is this, and may they do X in their organization?"
use tower_sessions::Session;

use super::session::{Principal, principal};
use crate::backend::state::{AppState, app_state};
use crate::model::authz::Authority;
use crate::model::error::AppError;

/// Decides for a known session. `None` means "any signed-in user".
pub async fn check(
    state: &AppState,
    session: &Session,
    authority: Option<Authority>,
) -> Result<Principal, AppError> {
    let principal = principal(state, session)
        .await?
        .ok_or(AppError::Unauthorized)?;
    allows(&principal, authority)?;
    Ok(principal)
}

/// The rule itself, for a known principal (a session's, or the one an API
/// key acts as): it must hold `authority`; `None` means "anyone".
pub fn allows(principal: &Principal, authority: Option<Authority>) -> Result<(), AppError> {
    match authority {
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

/// Signed in, and holding `authority`: the principal; else 401 or 403.
pub async fn require(authority: Authority) -> Result<Principal, AppError> {
    check(&app_state()?, &current_session().await?, Some(authority)).await
}

/// Signed in, whatever the role.
pub async fn require_signed_in() -> Result<Principal, AppError> {
    check(&app_state()?, &current_session().await?, None).await
}
