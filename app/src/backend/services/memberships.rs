//! Small shared pieces about who belongs where, used by the account, user
//! and invitation services.
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::backend::entities::{membership, role, user};
use crate::backend::state::AppState;
use crate::model::error::AppError;
use crate::model::users::UserStatus;

/// Makes `user_id` an active member of `org_id` with `role_id`.
pub async fn add<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    org_id: i64,
    role_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    membership::ActiveModel {
        user_id: Set(user_id),
        organization_id: Set(org_id),
        role_id: Set(role_id),
        created_at: Set(now),
        status: Set(UserStatus::Active),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Whether `role_id` is a role of `org_id` (a role id from another
/// organization must never be accepted).
pub async fn role_in_org<C: ConnectionTrait>(
    db: &C,
    org_id: i64,
    role_id: i64,
) -> Result<bool, AppError> {
    Ok(role::Entity::find_by_id(role_id)
        .filter(role::Column::OrganizationId.eq(org_id))
        .one(db)
        .await?
        .is_some())
}

/// The user and their membership, only if they belong to the caller's
/// organization; anything else is "not found", never "forbidden".
pub(super) async fn member(
    state: &AppState,
    org_id: i64,
    username: &str,
) -> Result<(user::Model, membership::Model), AppError> {
    let user = user::Entity::find()
        .filter(user::Column::Username.eq(username.trim().to_lowercase()))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let membership = membership::Entity::find_by_id((user.id, org_id))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((user, membership))
}
