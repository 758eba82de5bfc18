//! Keys that outlive their owner: a deactivated member's keys (Owner
//! inactive) move, with their secrets, to another active member who holds
//! Manage User API Key, and work again at once under the new owner. Needs
//! Manage All API Keys; audited per key (`key.transferred`, a webhook event
//! too).
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use super::key_access::{active_key_count, lock_owner};
use super::key_changes::invalid;
use crate::backend::audit::{Action, Entry};
use crate::backend::auth::operation::{Need, Operation};
use crate::backend::auth::session::Principal;
use crate::backend::entities::{api_key, membership, role_authority, user};
use crate::backend::request_meta::RequestMeta;
use crate::backend::state::AppState;
use crate::backend::unit_of_work::{Invalidate, Work};
use crate::model::authz::Authority;
use crate::model::error::{AppError, Conflict};
use crate::model::transfer::{TransferForm, TransferTarget};
use crate::model::users::UserStatus;
use crate::model::validation::{Field, Problem};

pub const FORM: Operation = Operation::new(
    "keys.transfer_form",
    Need::authority(Authority::ManageAllApiKeys),
)
.rpc("keys/transfer-form");
pub const TRANSFER: Operation = Operation::new(
    "keys.transfer",
    Need::authority(Authority::ManageAllApiKeys),
)
.rpc("keys/transfer");

/// `username`'s membership here, if they are a member at all.
async fn member_of(
    state: &AppState,
    who: &Principal,
    username: &str,
) -> Result<Option<(user::Model, membership::Model)>, AppError> {
    let Some(found) = user::Entity::find()
        .filter(user::Column::Username.eq(username.trim()))
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    let membership = membership::Entity::find_by_id((found.id, who.organization.id))
        .one(&state.db)
        .await?;
    Ok(membership.map(|m| (found, m)))
}

fn is_active(user: &user::Model, membership: &membership::Model) -> bool {
    user.status == UserStatus::Active && membership.status == UserStatus::Active
}

/// The active members who may hold keys, by username.
async fn targets(state: &AppState, who: &Principal) -> Result<Vec<TransferTarget>, AppError> {
    let holding: Vec<i64> = role_authority::Entity::find()
        .filter(role_authority::Column::Authority.eq(Authority::ManageUserApiKey.as_str()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|a| a.role_id)
        .collect();
    let members = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(who.organization.id))
        .filter(membership::Column::Status.eq(UserStatus::Active))
        .filter(membership::Column::RoleId.is_in(holding))
        .find_also_related(user::Entity)
        .all(&state.db)
        .await?;
    let mut out: Vec<TransferTarget> = members
        .into_iter()
        .filter_map(|(_, u)| u)
        .filter(|u| u.status == UserStatus::Active)
        .map(|u| TransferTarget {
            username: u.username,
            name: u.name,
        })
        .collect();
    out.sort_by(|a, b| a.username.cmp(&b.username));
    Ok(out)
}

/// The form for `username`'s keys; `None` while they are active here (or
/// have no keys), when there is nothing to hand on.
pub async fn form(
    state: &AppState,
    who: &Principal,
    username: &str,
) -> Result<Option<TransferForm>, AppError> {
    let Some((owner, membership)) = member_of(state, who, username).await? else {
        return Ok(None);
    };
    if is_active(&owner, &membership) {
        return Ok(None);
    }
    let keys = api_key::Entity::find()
        .filter(api_key::Column::OrganizationId.eq(who.organization.id))
        .filter(api_key::Column::UserId.eq(owner.id))
        .filter(api_key::Column::Decoy.eq(false))
        .count(&state.db)
        .await?;
    if keys == 0 {
        return Ok(None);
    }
    Ok(Some(TransferForm {
        keys,
        targets: targets(state, who).await?,
    }))
}

/// Moves every key of `from` (no longer active here) to `to`; returns how
/// many moved. The same request again (or at once) moves none twice.
pub async fn transfer(
    state: &AppState,
    who: &Principal,
    from: &str,
    to: &str,
    meta: &RequestMeta,
) -> Result<u64, AppError> {
    let (old, old_membership) = member_of(state, who, from)
        .await?
        .ok_or(AppError::NotFound)?;
    if is_active(&old, &old_membership) {
        return Err(AppError::Conflict(Conflict::OwnerActive));
    }
    let refused = || AppError::Invalid(vec![invalid(Field::Username, Problem::CannotHoldKeys)]);
    let (new, new_membership) = member_of(state, who, to).await?.ok_or_else(refused)?;
    let may_hold = role_authority::Entity::find()
        .filter(role_authority::Column::RoleId.eq(new_membership.role_id))
        .filter(role_authority::Column::Authority.eq(Authority::ManageUserApiKey.as_str()))
        .count(&state.db)
        .await?
        > 0;
    if !is_active(&new, &new_membership) || !may_hold || new.id == old.id {
        return Err(refused());
    }
    let now = state.clock.now();
    let mut work = Work::begin(state).await?;
    // The receiver's key count is decided under their lock, as Create's is.
    lock_owner(&work, who.organization.id, new.id).await?;
    let keys = api_key::Entity::find()
        .filter(api_key::Column::OrganizationId.eq(who.organization.id))
        .filter(api_key::Column::UserId.eq(old.id))
        .filter(api_key::Column::Decoy.eq(false))
        .order_by_asc(api_key::Column::Id)
        .all(&work)
        .await?;
    let mut moved = 0u64;
    for key in &keys {
        let changed = api_key::Entity::update_many()
            .col_expr(api_key::Column::UserId, Expr::value(new.id))
            .filter(api_key::Column::Id.eq(key.id))
            .filter(api_key::Column::UserId.eq(old.id))
            .exec(&work)
            .await?
            .rows_affected;
        if changed == 0 {
            continue;
        }
        moved += 1;
        work.audit(
            Entry::new(
                Action::KeyTransferred,
                who.organization.id,
                who.user.id,
                format!("key:{}", key.id),
                meta,
                now,
            )
            .with_details(serde_json::json!({
                "name": key.name,
                "from": old.username,
                "to": new.username,
            })),
        );
    }
    if active_key_count(&work, who.organization.id, new.id, now).await?
        > state.settings.max_keys_per_user
    {
        return Err(AppError::Conflict(Conflict::TooManyKeys));
    }
    work.commit(if moved > 0 {
        Invalidate::Keys
    } else {
        Invalidate::None
    })
    .await?;
    Ok(moved)
}
