//! Keys that outlive their owner: a deactivated member's keys (Owner
//! inactive) move, with their secrets, to another active member who holds
//! Manage User API Key and no authority the departed owner lacked (a key
//! acts as its owner: it must not gain power by moving), and work again at
//! once under the new owner. Needs Manage All API Keys; audited per key
//! (`key.transferred`, a webhook event too).
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use super::grants::{authorities_of, lock_organization};
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
async fn member_of<C: ConnectionTrait>(
    db: &C,
    who: &Principal,
    username: &str,
) -> Result<Option<(user::Model, membership::Model)>, AppError> {
    let Some(found) = user::Entity::find()
        .filter(user::Column::Username.eq(username.trim()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let membership = membership::Entity::find_by_id((found.id, who.organization.id))
        .one(db)
        .await?;
    Ok(membership.map(|m| (found, m)))
}

/// Whether a key of an owner with `departed` may move to one with
/// `receiver`: a working key acts as its owner, so the receiver must hold
/// Manage User API Key and nothing the departed owner did not (a key never
/// gains power by moving).
fn may_receive(receiver: &[Authority], departed: &[Authority]) -> bool {
    receiver.contains(&Authority::ManageUserApiKey) && receiver.iter().all(|a| departed.contains(a))
}

fn is_active(user: &user::Model, membership: &membership::Model) -> bool {
    user.status == UserStatus::Active && membership.status == UserStatus::Active
}

/// The active members who may receive keys of an owner with `departed`,
/// by username.
async fn targets(
    state: &AppState,
    who: &Principal,
    departed: &[Authority],
) -> Result<Vec<TransferTarget>, AppError> {
    let mut by_role: std::collections::HashMap<i64, Vec<Authority>> =
        std::collections::HashMap::new();
    for link in role_authority::Entity::find().all(&state.db).await? {
        if let Some(a) = Authority::parse(&link.authority) {
            by_role.entry(link.role_id).or_default().push(a);
        }
    }
    let holding: Vec<i64> = by_role
        .iter()
        .filter(|(_, authorities)| may_receive(authorities, departed))
        .map(|(role, _)| *role)
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
    let Some((owner, membership)) = member_of(&state.db, who, username).await? else {
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
    let departed = authorities_of(&state.db, membership.role_id).await?;
    Ok(Some(TransferForm {
        keys,
        targets: targets(state, who, &departed).await?,
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
    let now = state.clock.now();
    let org = who.organization.id;
    let mut work = Work::begin(state).await?;
    // Decided under the locks membership and role changes take (the
    // organization's, then both owners' in id order, as Create and Enable
    // take an owner's): a reactivation or a new role cannot slip between
    // the check and the move, nor a key count.
    lock_organization(&work, org).await?;
    let (old, old_membership) = member_of(&work, who, from)
        .await?
        .ok_or(AppError::NotFound)?;
    if is_active(&old, &old_membership) {
        return Err(AppError::Conflict(Conflict::OwnerActive));
    }
    let refused = || AppError::Invalid(vec![invalid(Field::Username, Problem::CannotHoldKeys)]);
    let (new, new_membership) = member_of(&work, who, to).await?.ok_or_else(refused)?;
    let mut owners = [old.id, new.id];
    owners.sort_unstable();
    for owner in owners {
        lock_owner(&work, org, owner).await?;
    }
    let departed = authorities_of(&work, old_membership.role_id).await?;
    let receiver = authorities_of(&work, new_membership.role_id).await?;
    if !is_active(&new, &new_membership) || !may_receive(&receiver, &departed) || new.id == old.id {
        return Err(refused());
    }
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
