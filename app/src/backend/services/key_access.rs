//! Which API keys the caller may act on or put (back) to work, and the
//! limit on one owner's working keys (with the lock that makes it hold
//! under concurrent creations and re-enablings). Shared by the key services.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::LockType;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};

use crate::backend::auth::session::Principal;
use crate::backend::entities::{api_key, membership};
use crate::backend::state::AppState;
use crate::model::authz::Authority;
use crate::model::error::AppError;

/// A key of the caller's organization that the caller may act on: their
/// own, or anyone's with Manage All API Keys. Anything else is not found.
pub(super) async fn actionable(
    state: &AppState,
    who: &Principal,
    id: i64,
) -> Result<api_key::Model, AppError> {
    // A decoy is acted on only as a decoy (`decoys`).
    let key = api_key::Entity::find_by_id(id)
        .filter(api_key::Column::OrganizationId.eq(who.organization.id))
        .filter(api_key::Column::Decoy.eq(false))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    if key.user_id == who.user.id || who.may(Authority::ManageAllApiKeys) {
        Ok(key)
    } else {
        Err(AppError::NotFound)
    }
}

/// Whether `who` may put `key` (back) to work or change what it may do:
/// their own key with Manage User API Key, anyone's with Manage All.
pub fn may_put_to_work(who: &Principal, key: &api_key::Model) -> bool {
    who.may(Authority::ManageAllApiKeys)
        || (key.user_id == who.user.id && who.may(Authority::ManageUserApiKey))
}

/// Serializes the creations and re-enablings of one owner's keys in one
/// organization until the transaction ends, so that the count after them
/// sees every other one. PostgreSQL: a row lock on the owner's membership,
/// taken before the write and the count (under READ COMMITTED, twenty
/// creations at once would otherwise each see only their own new key).
/// SQLite ignores the clause; `Work::begin` already lets one writer in.
pub(super) async fn lock_owner<C: ConnectionTrait>(
    txn: &C,
    org_id: i64,
    user_id: i64,
) -> Result<(), AppError> {
    membership::Entity::find_by_id((user_id, org_id))
        .lock(LockType::NoKeyUpdate)
        .one(txn)
        .await?;
    Ok(())
}

pub(super) async fn active_key_count<C: ConnectionTrait>(
    db: &C,
    org_id: i64,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    Ok(api_key::Entity::find()
        .filter(api_key::Column::OrganizationId.eq(org_id))
        .filter(api_key::Column::UserId.eq(user_id))
        .filter(api_key::Column::Enabled.eq(true))
        .filter(api_key::Column::Decoy.eq(false))
        .filter(
            sea_orm::Condition::any()
                .add(api_key::Column::ExpiresAt.is_null())
                .add(api_key::Column::ExpiresAt.gt(now)),
        )
        .count(db)
        .await?)
}
