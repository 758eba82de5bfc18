//! Signing in: a login and password checked under the sign-in throttle,
//! into one of the user's organizations.
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Set,
};
use secrecy::SecretString;

use crate::backend::audit::{Action, Entry};
use crate::backend::auth::operation::{Need, Operation};
use crate::backend::auth::session::SessionAuth;
use crate::backend::auth::{password, throttle};
use crate::backend::entities::{membership, user};
use crate::backend::request_meta::RequestMeta;
use crate::backend::state::AppState;
use crate::backend::unit_of_work::{Invalidate, Work};
use crate::model::error::AppError;
use crate::model::users::UserStatus;
use crate::model::validation;

pub const SIGN_IN: Operation =
    Operation::new("accounts.sign_in", Need::anyone()).rpc("auth/sign-in");

/// Checks a login (username or e-mail) and password. Unknown login and wrong
/// password give the same error after the same work (a dummy hash is
/// verified); too many recent failures give 429 without checking anything.
pub async fn sign_in(
    state: &AppState,
    login: &str,
    password: SecretString,
    meta: &RequestMeta,
) -> Result<SessionAuth, AppError> {
    sign_in_to(state, login, password, None, meta).await
}

/// [`sign_in`], into one organization (`None`: the user's first active
/// membership). Not being an active member of it fails like a wrong
/// password.
pub async fn sign_in_to(
    state: &AppState,
    login: &str,
    password: SecretString,
    organization: Option<i64>,
    meta: &RequestMeta,
) -> Result<SessionAuth, AppError> {
    let login = login.trim().to_lowercase();
    let now = state.clock.now();
    let failure = |actor: Option<i64>, org: Option<i64>| Entry {
        action: Action::SignInFailure,
        organization_id: org,
        actor_user_id: actor,
        target: Some(throttle::login_target(&login)),
        details: None,
        meta,
        at: now,
    };

    // Counted before the password is checked, so parallel attempts cannot
    // get more than the limit through to argon2.
    let reservation =
        match throttle::reserve_sign_in(&state.db, &login, meta.client_ip, now).await? {
            Ok(reservation) => reservation,
            Err(wait) => {
                let entry = Entry {
                    action: Action::SignInThrottled,
                    ..failure(None, None)
                };
                Work::audit_alone(state, entry).await?;
                return Err(AppError::TooManyRequests(wait));
            }
        };

    let found = if login.is_empty() || login.chars().count() > validation::EMAIL_MAX {
        None
    } else {
        user::Entity::find()
            .filter(
                Condition::any()
                    .add(user::Column::Username.eq(login.as_str()))
                    .add(user::Column::Email.eq(login.as_str())),
            )
            .one(&state.db)
            .await?
    };
    let ok = password::verify(password, found.as_ref().map(|u| u.password_hash.clone())).await?;
    let membership = match &found {
        Some(user) if ok && user.status == UserStatus::Active => {
            let mut query = membership::Entity::find()
                .filter(membership::Column::UserId.eq(user.id))
                .filter(membership::Column::Status.eq(UserStatus::Active));
            if let Some(org) = organization {
                query = query.filter(membership::Column::OrganizationId.eq(org));
            }
            query
                .order_by_asc(membership::Column::CreatedAt)
                .one(&state.db)
                .await?
        }
        _ => None,
    };
    let (Some(user), Some(membership)) = (found.clone(), membership) else {
        // A failure on a known account shows in its organization's log.
        let org = match &found {
            Some(user) => membership::Entity::find()
                .filter(membership::Column::UserId.eq(user.id))
                .order_by_asc(membership::Column::CreatedAt)
                .one(&state.db)
                .await?
                .map(|m| m.organization_id),
            None => None,
        };
        // The reservation stays: it counts as this failure.
        drop(reservation);
        Work::audit_alone(state, failure(found.map(|u| u.id), org)).await?;
        return Err(AppError::SignInFailed);
    };

    let mut work = Work::begin(state).await?;
    let mut active: user::ActiveModel = user.clone().into();
    active.last_sign_in_at = Set(Some(now));
    active.update(&work).await?;
    throttle::release(&work, reservation).await?;
    work.audit(Entry {
        action: Action::SignInSuccess,
        organization_id: Some(membership.organization_id),
        actor_user_id: Some(user.id),
        target: Some(format!("user:{}", user.id)),
        details: None,
        meta,
        at: now,
    });
    work.commit(Invalidate::None).await?;
    Ok(SessionAuth::new(&user, membership.organization_id, now))
}
