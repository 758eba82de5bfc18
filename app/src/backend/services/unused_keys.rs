//! The key policy's "Disable keys unused for N days", run with the
//! housekeeping round: in each organization whose policy asks for it,
//! every enabled key that nobody has used, created, rolled or enabled in
//! the last N days (and a margin for use not yet written by another
//! instance) is disabled, audited as `key.disabled` by nobody (the system)
//! with the reason. One organization per transaction; no row is locked
//! before its one `UPDATE … WHERE enabled` decides, so the job never holds
//! keys that a leak report, a usage flush or a bulk action waits for.
use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};

use crate::backend::advisory::{self, Lock};
use crate::backend::audit::{Action, Entry};
use crate::backend::entities::{api_key, api_key_secret, audit_event, key_policy};
use crate::backend::request_meta::RequestMeta;
use crate::backend::state::AppState;
use crate::backend::unit_of_work::{Invalidate, Work};

/// Use another instance may have counted and not written yet (its flush
/// runs every few seconds): a key is disabled only this long after its
/// N days.
pub const MARGIN_MINUTES: i64 = 10;

/// One round; `None` when another instance is running it (PostgreSQL).
pub async fn disable_unused(state: &AppState, now: DateTime<Utc>) -> Result<Option<u64>, DbErr> {
    // On PostgreSQL one instance at a time: the advisory lock of a
    // transaction kept open (reading nothing) for the round.
    let guard = if state.db.get_database_backend() == DbBackend::Postgres {
        let txn = state.db.begin().await?;
        if !advisory::try_take(&txn, Lock::UnusedKeyDisabling).await? {
            txn.rollback().await?;
            return Ok(None);
        }
        Some(txn)
    } else {
        None
    };
    let policies = key_policy::Entity::find()
        .filter(key_policy::Column::DisableUnusedDays.is_not_null())
        .order_by_asc(key_policy::Column::OrganizationId)
        .all(&state.db)
        .await?;
    let mut disabled = 0u64;
    for policy in policies {
        let Some(days) = policy.disable_unused_days.filter(|d| *d > 0) else {
            continue;
        };
        disabled += in_organization(state, policy.organization_id, days, now).await?;
    }
    if let Some(txn) = guard {
        txn.commit().await?;
    }
    Ok(Some(disabled))
}

async fn in_organization(
    state: &AppState,
    organization: i64,
    days: i32,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let cutoff = now - Duration::days(i64::from(days)) - Duration::minutes(MARGIN_MINUTES);
    let unused = Condition::any()
        .add(api_key::Column::LastUsedAt.is_null())
        .add(api_key::Column::LastUsedAt.lte(cutoff));
    let candidates = api_key::Entity::find()
        .filter(api_key::Column::OrganizationId.eq(organization))
        .filter(api_key::Column::Decoy.eq(false))
        .filter(api_key::Column::Enabled.eq(true))
        .filter(api_key::Column::CreatedAt.lte(cutoff))
        .filter(unused.clone())
        .order_by_asc(api_key::Column::Id)
        .all(&state.db)
        .await?;
    if candidates.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = candidates.iter().map(|k| k.id).collect();
    // Rolled within the period: the new secret has not had its N days.
    let rolled: HashSet<i64> = api_key_secret::Entity::find()
        .filter(api_key_secret::Column::ApiKeyId.is_in(ids.clone()))
        .filter(api_key_secret::Column::CreatedAt.gt(cutoff))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|s| s.api_key_id)
        .collect();
    // Enabled again within the period (by hand, after this job or an
    // admin disabled it): the owner meant it to work.
    let targets: Vec<String> = ids.iter().map(|id| format!("key:{id}")).collect();
    let enabled: HashSet<String> = audit_event::Entity::find()
        .filter(audit_event::Column::OrganizationId.eq(organization))
        .filter(audit_event::Column::Action.eq(Action::KeyEnabled.as_str()))
        .filter(audit_event::Column::CreatedAt.gt(cutoff))
        .filter(audit_event::Column::Target.is_in(targets))
        .all(&state.db)
        .await?
        .into_iter()
        .filter_map(|e| e.target)
        .collect();
    let due: Vec<api_key::Model> = candidates
        .into_iter()
        .filter(|k| !rolled.contains(&k.id) && !enabled.contains(&format!("key:{}", k.id)))
        .collect();
    if due.is_empty() {
        return Ok(0);
    }
    let meta = RequestMeta::default();
    let mut work = Work::begin(state).await?;
    let mut disabled = 0u64;
    for key in due {
        let changed = api_key::Entity::update_many()
            .col_expr(api_key::Column::Enabled, Expr::value(false))
            .filter(api_key::Column::Id.eq(key.id))
            .filter(api_key::Column::Enabled.eq(true))
            .filter(unused.clone())
            .exec(&work)
            .await?
            .rows_affected;
        if changed == 0 {
            continue;
        }
        disabled += 1;
        work.audit(Entry {
            action: Action::KeyDisabled,
            organization_id: Some(organization),
            actor_user_id: None,
            target: Some(format!("key:{}", key.id)),
            details: Some(serde_json::json!({
                "name": key.name,
                "owner": key.user_id,
                "reason": "unused",
                "unused_days": days,
                "last_used_at": key.last_used_at.map(|t| t.to_rfc3339()),
            })),
            meta: &meta,
            at: now,
        });
    }
    work.commit(if disabled > 0 {
        Invalidate::Keys
    } else {
        Invalidate::None
    })
    .await?;
    Ok(disabled)
}
