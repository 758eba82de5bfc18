//! Small shared pieces about who belongs where, used by the account, user
//! and invitation services.
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::backend::entities::{membership, role};
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
