//! Bulk actions of the key list: Disable, Enable or Delete the ticked keys
//! in ONE transaction, one audit row per key changed. Every key must be one
//! the caller may act on (and, to enable, put to work): otherwise nothing
//! at all changes. A key found already as asked (disabled twice, deleted by
//! a request committing meanwhile) is skipped, so the same request sent
//! many times at once changes and audits each key once.
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::key_access::{active_key_count, lock_owner, may_put_to_work};
use crate::backend::audit::{Action, Entry};
use crate::backend::auth::operation::{Need, Operation};
use crate::backend::auth::session::Principal;
use crate::backend::entities::api_key;
use crate::backend::request_meta::RequestMeta;
use crate::backend::state::AppState;
use crate::backend::unit_of_work::{Invalidate, Work};
use crate::model::authz::Authority;
use crate::model::error::{AppError, Conflict};
use crate::model::keys::{BULK_MAX, BulkAction};

/// Per key, as Disable / Enable / Delete decide (a member's own keys; any
/// with Manage All API Keys).
pub const BULK: Operation = Operation::new("keys.bulk", Need::member()).rpc("keys/bulk");

/// Does `action` to the keys `ids`; returns how many changed.
pub async fn bulk(
    state: &AppState,
    who: &Principal,
    action: BulkAction,
    ids: &[i64],
    meta: &RequestMeta,
) -> Result<u64, AppError> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() || ids.len() > BULK_MAX {
        return Err(AppError::BadRequest(format!(
            "between 1 and {BULK_MAX} keys"
        )));
    }
    let now = state.clock.now();
    let mut work = Work::begin(state).await?;
    // Read inside the transaction (after BEGIN IMMEDIATE on SQLite, so no
    // other writer comes between this read and the writes).
    let keys = api_key::Entity::find()
        .filter(api_key::Column::Id.is_in(ids.clone()))
        .filter(api_key::Column::OrganizationId.eq(who.organization.id))
        .filter(api_key::Column::Decoy.eq(false))
        .order_by_asc(api_key::Column::Id)
        .all(&work)
        .await?;
    let may_all = who.may(Authority::ManageAllApiKeys);
    // A key of another organization, one already deleted, or another's key
    // without Manage All API Keys is "not found", as one by one: then
    // nothing at all changes.
    if keys.len() != ids.len() || keys.iter().any(|k| k.user_id != who.user.id && !may_all) {
        return Err(AppError::NotFound);
    }
    if action == BulkAction::Enable {
        if keys.iter().any(|k| !may_put_to_work(who, k)) {
            return Err(AppError::Forbidden);
        }
        if keys.iter().any(|k| k.leaked_at.is_some()) {
            return Err(AppError::Conflict(Conflict::KeyLeaked));
        }
        // Owners' locks in id order (see `key_access::lock_owner`).
        let mut owners: Vec<i64> = keys.iter().map(|k| k.user_id).collect();
        owners.sort_unstable();
        owners.dedup();
        for owner in &owners {
            lock_owner(&work, who.organization.id, *owner).await?;
        }
    }
    let mut changed = 0;
    for key in &keys {
        let done = match action {
            BulkAction::Delete => {
                api_key::Entity::delete_by_id(key.id)
                    .exec(&work)
                    .await?
                    .rows_affected
            }
            BulkAction::Disable | BulkAction::Enable => {
                let enabled = action == BulkAction::Enable;
                let mut change = api_key::Entity::update_many()
                    .col_expr(api_key::Column::Enabled, Expr::value(enabled))
                    .filter(api_key::Column::Id.eq(key.id))
                    .filter(api_key::Column::Enabled.eq(!enabled));
                if enabled {
                    change = change.filter(api_key::Column::LeakedAt.is_null());
                }
                change.exec(&work).await?.rows_affected
            }
        };
        if done == 0 {
            continue;
        }
        changed += 1;
        let what = match action {
            BulkAction::Disable => Action::KeyDisabled,
            BulkAction::Enable => Action::KeyEnabled,
            BulkAction::Delete => Action::KeyDeleted,
        };
        work.audit(
            Entry::new(
                what,
                who.organization.id,
                who.user.id,
                format!("key:{}", key.id),
                meta,
                now,
            )
            .with_details(serde_json::json!({
                "name": key.name,
                "owner": key.user_id,
                "bulk": ids.len(),
            })),
        );
    }
    if action == BulkAction::Enable {
        let mut owners: Vec<i64> = keys.iter().map(|k| k.user_id).collect();
        owners.sort_unstable();
        owners.dedup();
        for owner in owners {
            if active_key_count(&work, who.organization.id, owner, now).await?
                > state.settings.max_keys_per_user
            {
                return Err(AppError::Conflict(Conflict::TooManyKeys));
            }
        }
    }
    work.commit(if changed > 0 {
        Invalidate::Keys
    } else {
        Invalidate::None
    })
    .await?;
    Ok(changed)
}
