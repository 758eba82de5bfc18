//! Who may be active, and in which role: Activate/Deactivate and role
//! changes of a member. Both are grants (see [`super::grants`]) decided
//! inside the write transaction with the organization locked, and both keep
//! an organization with an active Admin.
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::grants::{self, Giver};
use super::memberships::member;
use crate::backend::audit::{Action, Entry};
use crate::backend::auth::operation::{Need, Operation};
use crate::backend::auth::session::Principal;
use crate::backend::entities::{membership, role};
use crate::backend::request_meta::RequestMeta;
use crate::backend::state::AppState;
use crate::backend::unit_of_work::{Invalidate, Work};
use crate::model::authz::Authority as A;
use crate::model::authz::BuiltinRole;
use crate::model::error::{AppError, Conflict};
use crate::model::users::UserStatus;

/// Activate / Deactivate a member.
pub const SET_STATUS: Operation = Operation::new(
    "users.set_status",
    Need::authority(A::ManageUsers).api_set("users:write"),
)
.rpc("users/set-status")
.http(&[
    "POST /api/v1/users/{username}/deactivate",
    "POST /api/v1/users/{username}/activate",
]);
pub const SET_ROLE: Operation =
    Operation::new("users.set_role", Need::authority(A::ManageRoles)).rpc("users/set-role");

async fn admin_role_id<C: ConnectionTrait>(db: &C, org_id: i64) -> Result<i64, AppError> {
    role::Entity::find()
        .filter(role::Column::OrganizationId.eq(org_id))
        .filter(role::Column::Builtin.eq(true))
        .filter(role::Column::Name.eq(BuiltinRole::Admin.name()))
        .one(db)
        .await?
        .map(|r| r.id)
        .ok_or_else(|| AppError::internal("organization without Admin role"))
}

/// Would the organization be left without an active Admin if `user_id`
/// stopped being one? Asked inside the write transaction, after
/// [`grants::lock_organization`]: counted before the lock, two demotions at
/// once would each still see the other Admin.
async fn is_last_admin<C: ConnectionTrait>(
    txn: &C,
    org_id: i64,
    user_id: i64,
) -> Result<bool, AppError> {
    let admin = admin_role_id(txn, org_id).await?;
    let admins = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(org_id))
        .filter(membership::Column::RoleId.eq(admin))
        .filter(membership::Column::Status.eq(UserStatus::Active))
        .all(txn)
        .await?;
    Ok(admins.len() == 1 && admins[0].user_id == user_id)
}

/// `user_id`'s membership of `org_id` as it is inside `txn`.
async fn membership_in<C: ConnectionTrait>(
    txn: &C,
    user_id: i64,
    org_id: i64,
) -> Result<membership::Model, AppError> {
    membership::Entity::find_by_id((user_id, org_id))
        .one(txn)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn set_status(
    state: &AppState,
    who: &Principal,
    username: &str,
    active: bool,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let org_id = who.organization.id;
    let (user, _) = member(state, org_id, username).await?;
    let status = if active {
        UserStatus::Active
    } else {
        UserStatus::Inactive
    };
    let mut work = Work::begin(state).await?;
    grants::lock_organization(&work, org_id).await?;
    let membership = membership_in(&work, user.id, org_id).await?;
    if membership.status == status {
        return Ok(());
    }
    // Giving access back is giving the member's role, and taking it away
    // is remaking what only someone who could give that role may remake:
    // an Admin is activated or deactivated only by someone holding every
    // authority.
    let giver = Giver::now(&work, who).await?;
    grants::givable_role(&work, org_id, &giver, membership.role_id).await?;
    if !active && is_last_admin(&work, org_id, user.id).await? {
        return Err(AppError::Conflict(Conflict::LastAdmin));
    }
    let mut m: membership::ActiveModel = membership.into();
    m.status = Set(status);
    m.update(&work).await?;
    if !active {
        // Reactivating must not bring old user tokens back to life.
        super::user_tokens::revoke_in(&work, user.id, org_id).await?;
    }
    let action = if active {
        Action::UserActivated
    } else {
        Action::UserDeactivated
    };
    work.audit(
        Entry::new(
            action,
            who.organization.id,
            who.user.id,
            format!("user:{}", user.id),
            meta,
            state.clock.now(),
        )
        .with_details(serde_json::json!({ "username": user.username })),
    );
    work.commit(Invalidate::Keys).await?;
    Ok(())
}

pub async fn set_role(
    state: &AppState,
    who: &Principal,
    username: &str,
    role_id: i64,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let org_id = who.organization.id;
    let (user, _) = member(state, org_id, username).await?;
    let mut work = Work::begin(state).await?;
    grants::lock_organization(&work, org_id).await?;
    let membership = membership_in(&work, user.id, org_id).await?;
    let new_role = role::Entity::find_by_id(role_id)
        .filter(role::Column::OrganizationId.eq(org_id))
        .one(&work)
        .await?
        .ok_or_else(|| AppError::BadRequest("unknown role".into()))?;
    if membership.role_id == new_role.id {
        return Ok(());
    }
    let giver = Giver::now(&work, who).await?;
    giver.may_give(
        &new_role,
        &grants::authorities_of(&work, new_role.id).await?,
    )?;
    // Nor is the role of someone who holds more than the giver changed: a
    // member you could not have made what they are is not yours to remake.
    grants::givable_role(&work, org_id, &giver, membership.role_id).await?;
    let admin = admin_role_id(&work, org_id).await?;
    if membership.role_id == admin && is_last_admin(&work, org_id, user.id).await? {
        return Err(AppError::Conflict(Conflict::LastAdmin));
    }
    let old_role = membership.role_id;
    let mut m: membership::ActiveModel = membership.into();
    m.role_id = Set(new_role.id);
    m.update(&work).await?;
    let details = serde_json::json!({ "username": user.username, "from_role_id": old_role, "to_role": new_role.name });
    work.audit(
        Entry::new(
            Action::RoleChanged,
            who.organization.id,
            who.user.id,
            format!("user:{}", user.id),
            meta,
            state.clock.now(),
        )
        .with_details(details),
    );
    work.commit(Invalidate::Keys).await?;
    Ok(())
}
