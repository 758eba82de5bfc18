//! Signing out and changing the password: each ends what an earlier sign-in
//! gave (the user's user tokens; with a new password, every other session
//! of the user too).
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use secrecy::{ExposeSecret, SecretString};

use crate::backend::audit::{Action, Entry};
use crate::backend::auth::operation::{Need, Operation};
use crate::backend::auth::session::SessionAuth;
use crate::backend::auth::{password, throttle};
use crate::backend::entities::user;
use crate::backend::request_meta::RequestMeta;
use crate::backend::state::AppState;
use crate::backend::unit_of_work::{Invalidate, Work};
use crate::model::error::AppError;
use crate::model::validation::{Field, FieldError, Problem};

pub const SIGN_OUT: Operation =
    Operation::new("accounts.sign_out", Need::anyone()).rpc("auth/sign-out");
pub const CHANGE_PASSWORD: Operation =
    Operation::new("accounts.change_password", Need::member()).rpc("auth/change-password");

/// Records the sign-out and revokes the user's user tokens; the caller
/// ends the session.
pub async fn sign_out(
    state: &AppState,
    auth: &SessionAuth,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let mut work = Work::begin(state).await?;
    super::user_tokens::revoke_all(&work, auth.user_id).await?;
    work.audit(Entry {
        action: Action::SignOut,
        organization_id: Some(auth.org_id),
        actor_user_id: Some(auth.user_id),
        target: Some(format!("user:{}", auth.user_id)),
        details: None,
        meta,
        at: state.clock.now(),
    });
    work.commit(Invalidate::None).await?;
    Ok(())
}

pub struct PasswordChange {
    pub current: SecretString,
    pub new: SecretString,
    pub confirm: SecretString,
}

/// Needs the current password (checked under the sign-in throttle); on
/// success the user's credential version goes up, which ends every other
/// session of the user, and the one making the change (`keep`) is given the
/// new version, returned for the caller's copy of the session.
pub async fn change_password(
    state: &AppState,
    who: &crate::backend::auth::session::Principal,
    change: PasswordChange,
    keep: Option<tower_sessions::session::Id>,
    meta: &RequestMeta,
) -> Result<i64, AppError> {
    let mut errors = Vec::new();
    if let Err(problem) = password::check_policy(change.new.expose_secret()) {
        errors.push(FieldError {
            field: Field::Password,
            problem,
        });
    } else if change.new.expose_secret() != change.confirm.expose_secret() {
        errors.push(FieldError {
            field: Field::PasswordConfirm,
            problem: Problem::PasswordMismatch,
        });
    }
    let login = who.user.username.as_str();
    let now = state.clock.now();
    let reservation = throttle::reserve_sign_in(&state.db, login, meta.client_ip, now)
        .await?
        .map_err(AppError::TooManyRequests)?;
    let ok = password::verify(change.current, Some(who.user.password_hash.clone())).await?;
    if ok {
        throttle::release(&state.db, reservation).await?;
    } else {
        // Counted like a failed sign-in (the reservation stays), and logged
        // like one: somebody holding the session may be guessing.
        drop(reservation);
        let failure = Entry {
            action: Action::SignInFailure,
            organization_id: Some(who.organization.id),
            actor_user_id: Some(who.user.id),
            target: Some(throttle::login_target(login)),
            details: None,
            meta,
            at: now,
        };
        Work::audit_alone(state, failure).await?;
        errors.push(FieldError {
            field: Field::CurrentPassword,
            problem: Problem::WrongPassword,
        });
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let hash = password::hash(change.new).await?;
    let mut work = Work::begin(state).await?;
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .col_expr(
            user::Column::CredentialVersion,
            Expr::col(user::Column::CredentialVersion).add(1),
        )
        .filter(user::Column::Id.eq(who.user.id))
        .exec(&work)
        .await?;
    let version = user::Entity::find_by_id(who.user.id)
        .one(&work)
        .await?
        .ok_or(AppError::Unauthorized)?
        .credential_version;
    if let Some(keep) = keep {
        crate::backend::session_store::set_credential_version(&work, keep, version).await?;
    }
    // A token obtained with the old password must not outlive it.
    super::user_tokens::revoke_all(&work, who.user.id).await?;
    work.audit(Entry {
        action: Action::PasswordChanged,
        organization_id: Some(who.organization.id),
        actor_user_id: Some(who.user.id),
        target: Some(format!("user:{}", who.user.id)),
        details: None,
        meta,
        at: state.clock.now(),
    });
    work.commit(Invalidate::None).await?;
    state
        .sessions
        .delete_for_user(who.user.id, keep)
        .await
        .map_err(AppError::internal)?;
    Ok(version)
}
