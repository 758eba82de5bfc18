//! User tokens (the Altegio model): a service holding an API key signs a
//! user in with their login and password and receives a token; requests
//! with `Authorization: Bearer <key>, User <token>` then act as that user,
//! limited to what both the key and the user may do. The token is random,
//! stored only as SHA-256, lives 24 hours, belongs to the one key it was
//! issued through, and ends when the user signs out.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};
use secrecy::SecretString;

use super::sign_in;
use crate::backend::audit::{Action, Entry};
use crate::backend::auth::operation::{Need, Operation};
use crate::backend::entities::user_token;
use crate::backend::keys::cache::Facts;
use crate::backend::request_meta::RequestMeta;
use crate::backend::state::AppState;
use crate::backend::unit_of_work::{Invalidate, Work};
use crate::model::error::AppError;

/// A service signs a user in with its key and their password.
pub const ISSUE: Operation =
    Operation::new("user_tokens.issue", Need::key()).http(&["POST /api/v1/auth/user"]);

pub const LIFETIME_HOURS: i64 = 24;
/// What every user token starts with.
pub const PREFIX: &str = "khu_";

use crate::backend::keys::format::hash;

/// A token just issued: the only time it exists in plain text.
pub struct Issued {
    pub token: String,
    pub username: String,
    pub expires_at: DateTime<Utc>,
}

/// Checks `login` and `password` like a sign-in (same throttling, same
/// audit of failures) for a member of the key's organization, then issues
/// a token for that user through this key.
pub async fn issue(
    state: &AppState,
    key: &Facts,
    login: &str,
    password: SecretString,
    meta: &RequestMeta,
) -> Result<Issued, AppError> {
    let org_id = key.organization.id;
    let auth = sign_in::sign_in_to(state, login, password, Some(org_id), meta).await?;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(AppError::internal)?;
    let token = format!(
        "{PREFIX}{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    let now = state.clock.now();
    let expires_at = now + Duration::hours(LIFETIME_HOURS);
    let mut work = Work::begin(state).await?;
    user_token::ActiveModel {
        token_hash: Set(hash(&token)),
        api_key_id: Set(key.key.id),
        user_id: Set(auth.user_id),
        organization_id: Set(org_id),
        created_at: Set(now),
        expires_at: Set(expires_at),
        ..Default::default()
    }
    .insert(&work)
    .await?;
    work.audit(Entry::new(
        Action::UserTokenCreated,
        org_id,
        auth.user_id,
        format!("key:{}", key.key.id),
        meta,
        now,
    ));
    work.commit(Invalidate::None).await?;
    let username = crate::backend::entities::user::Entity::find_by_id(auth.user_id)
        .one(&state.db)
        .await?
        .map(|u| u.username)
        .unwrap_or_default();
    Ok(Issued {
        token,
        username,
        expires_at,
    })
}

/// The user and organization a token presented with key `key_id` acts
/// for, if it was issued through that key and has not expired.
pub async fn resolve(
    state: &AppState,
    key_id: i64,
    token: &str,
) -> Result<Option<(i64, i64)>, AppError> {
    if !token.starts_with(PREFIX) || token.len() != PREFIX.len() + 64 {
        return Ok(None);
    }
    let found = user_token::Entity::find()
        .filter(user_token::Column::TokenHash.eq(hash(token)))
        .filter(user_token::Column::ApiKeyId.eq(key_id))
        .filter(user_token::Column::ExpiresAt.gt(state.clock.now()))
        .one(&state.db)
        .await?;
    Ok(found.map(|t| (t.user_id, t.organization_id)))
}

/// Ends a user's tokens in one organization (on deactivation there).
pub async fn revoke_in<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    org_id: i64,
) -> Result<(), AppError> {
    user_token::Entity::delete_many()
        .filter(user_token::Column::UserId.eq(user_id))
        .filter(user_token::Column::OrganizationId.eq(org_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes tokens expired at `now` (a periodic job, see `backend::jobs`).
pub async fn purge_expired<C: ConnectionTrait>(db: &C, now: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(user_token::Entity::delete_many()
        .filter(user_token::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?
        .rows_affected)
}

/// Ends every user token of a user (on sign-out, on a password change).
pub async fn revoke_all<C: ConnectionTrait>(db: &C, user_id: i64) -> Result<(), AppError> {
    user_token::Entity::delete_many()
        .filter(user_token::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}
