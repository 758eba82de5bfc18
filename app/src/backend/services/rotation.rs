//! Rotation that finishes itself. A roll may ask to "Retire the old secret
//! when it has not been used for 1 hour": the housekeeping round (right
//! after this instance's usage is written) ends the grace period of such a
//! secret once nobody has used it for [`UNUSED_MINUTES`] since the roll,
//! the grace period staying the upper bound. Every retirement is audited
//! once as `key.secret_retired`, with the reason `unused` or `grace_ended`
//! (a grace period that simply ran out); "End grace period now" and a roll
//! with no grace are audited as what they are and marked retired with them.
//!
//! The key page shows the rotation's progress from each secret's requests
//! per hour and the addresses still using the rolled secret, both written
//! by the usage task.
use std::collections::HashMap;

use chrono::{DateTime, Duration, DurationRound, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::backend::audit::{Action, Entry};
use crate::backend::entities::{api_key, api_key_secret, api_key_secret_hour, api_key_secret_ip};
use crate::backend::request_meta::RequestMeta;
use crate::backend::state::AppState;
use crate::backend::unit_of_work::{Invalidate, Work};
use crate::model::rotation::{Rotation, RotationAddress, RotationHour};

/// How long a rolled secret must go unused to retire early.
pub const UNUSED_MINUTES: i64 = 60;
/// Hours of a rotation the key page shows at most.
pub const HOURS_SHOWN: i64 = 24;
/// Hours of per-secret counts kept.
pub const HOURS_KEPT: i64 = 48;
/// Secrets one round looks at, per reason.
const BATCH: u64 = 500;

/// What a round retired.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Retired {
    pub unused: u64,
    pub grace_ended: u64,
}

/// One round: the rolled secrets unused for an hour that asked for it, then
/// the grace periods that ran out; each audited once, however many rounds
/// run at once (the `retired_at IS NULL` update decides).
pub async fn retire(state: &AppState, now: DateTime<Utc>) -> Result<Retired, DbErr> {
    let quiet_since = now - Duration::minutes(UNUSED_MINUTES);
    let unused = Condition::all()
        .add(api_key_secret::Column::SupersededAt.lte(quiet_since))
        .add(api_key_secret::Column::RetireWhenUnused.eq(true))
        .add(api_key_secret::Column::GraceUntil.gt(now))
        .add(
            Condition::any()
                .add(api_key_secret::Column::LastUsedAt.is_null())
                .add(api_key_secret::Column::LastUsedAt.lte(quiet_since)),
        );
    let ended = Condition::all().add(api_key_secret::Column::GraceUntil.lte(now));
    let mut done = Retired::default();
    for (reason, condition) in [("unused", unused), ("grace_ended", ended)] {
        // In (key, secret) order, as the usage task writes them: two
        // transactions never wait for each other's rows (a deadlock).
        let due: Vec<api_key_secret::Model> = api_key_secret::Entity::find()
            .filter(api_key_secret::Column::SupersededAt.is_not_null())
            .filter(api_key_secret::Column::RetiredAt.is_null())
            .filter(condition.clone())
            .order_by_asc(api_key_secret::Column::ApiKeyId)
            .order_by_asc(api_key_secret::Column::Id)
            .limit(BATCH)
            .all(&state.db)
            .await?;
        if due.is_empty() {
            continue;
        }
        let n = retire_batch(state, &due, reason, condition, now).await?;
        match reason {
            "unused" => done.unused += n,
            _ => done.grace_ended += n,
        }
    }
    Ok(done)
}

/// Retires `due` in one transaction, each only if still so (the update's
/// condition decides, so rounds at once retire each once), with one audit
/// row each and, for early retirements, one clearing of the key cache.
async fn retire_batch(
    state: &AppState,
    due: &[api_key_secret::Model],
    reason: &str,
    condition: Condition,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut work = Work::begin(state).await?;
    let keys: HashMap<i64, api_key::Model> = api_key::Entity::find()
        .filter(api_key::Column::Id.is_in(due.iter().map(|s| s.api_key_id)))
        .all(&work)
        .await?
        .into_iter()
        .map(|k| (k.id, k))
        .collect();
    let meta = RequestMeta::default();
    let mut retired = 0;
    for secret in due {
        let Some(key) = keys.get(&secret.api_key_id) else {
            continue;
        };
        let mut update = api_key_secret::Entity::update_many()
            .col_expr(api_key_secret::Column::RetiredAt, Expr::value(now))
            .filter(api_key_secret::Column::Id.eq(secret.id))
            .filter(api_key_secret::Column::RetiredAt.is_null())
            .filter(condition.clone());
        if reason == "unused" {
            update = update.col_expr(api_key_secret::Column::GraceUntil, Expr::value(now));
        }
        if update.exec(&work).await?.rows_affected != 1 {
            continue;
        }
        retired += 1;
        work.audit(Entry {
            action: Action::KeySecretRetired,
            organization_id: Some(key.organization_id),
            actor_user_id: None,
            target: Some(format!("key:{}", key.id)),
            details: Some(serde_json::json!({
                "name": key.name,
                "visible_start": secret.visible_start,
                "reason": reason,
                "last_used_at": secret.last_used_at.map(|t| t.to_rfc3339()),
                "grace_until": secret.grace_until.map(|t| t.to_rfc3339()),
            })),
            meta: &meta,
            at: now,
        });
    }
    // Checks answered from the cache would still accept a secret retired
    // early; one whose grace ran out is refused by its own time anyway.
    let invalidate = if reason == "unused" && retired > 0 {
        Invalidate::Keys
    } else {
        Invalidate::None
    };
    work.commit(invalidate).await?;
    Ok(retired)
}

/// Marks the key's rolled secrets whose grace was just ended at `now` (by a
/// roll with none, or "End grace period now") as retired, without an audit
/// row of their own: that action has one. A grace period that ran out by
/// itself earlier is left to the round, which tells of it. (A second's
/// window: PostgreSQL keeps microseconds.)
pub async fn mark_retired<C: ConnectionTrait>(
    db: &C,
    key_id: i64,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Ok(api_key_secret::Entity::update_many()
        .col_expr(api_key_secret::Column::RetiredAt, Expr::value(now))
        .filter(api_key_secret::Column::ApiKeyId.eq(key_id))
        .filter(api_key_secret::Column::SupersededAt.is_not_null())
        .filter(api_key_secret::Column::RetiredAt.is_null())
        .filter(api_key_secret::Column::GraceUntil.lte(now))
        .filter(api_key_secret::Column::GraceUntil.gte(now - Duration::seconds(1)))
        .exec(db)
        .await?
        .rows_affected)
}

/// Deletes per-secret hours older than [`HOURS_KEPT`], and the addresses
/// of rolled secrets not seen for longer than the longest grace period.
pub async fn purge_hours<C: ConnectionTrait>(db: &C, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let hours = api_key_secret_hour::Entity::delete_many()
        .filter(api_key_secret_hour::Column::Hour.lt(now - Duration::hours(HOURS_KEPT)))
        .exec(db)
        .await?
        .rows_affected;
    let ips = api_key_secret_ip::Entity::delete_many()
        .filter(api_key_secret_ip::Column::LastUsedAt.lt(now - Duration::days(8)))
        .exec(db)
        .await?
        .rows_affected;
    Ok(hours + ips)
}

/// The start of the hour `at` is in.
pub fn hour_of(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(Duration::hours(1)).unwrap_or(at)
}

/// The progress of the key's rotation, while a rolled secret of it still
/// works: requests per hour on it and on the current secret since the roll
/// (at most the last [`HOURS_SHOWN`]), and the addresses still using it.
pub async fn progress<C: ConnectionTrait>(
    db: &C,
    secrets: &[api_key_secret::Model],
    now: DateTime<Utc>,
) -> Result<Option<Rotation>, DbErr> {
    let Some(current) = secrets.iter().find(|s| s.superseded_at.is_none()) else {
        return Ok(None);
    };
    let Some(old) = secrets
        .iter()
        .filter(|s| s.superseded_at.is_some() && s.grace_until.is_some_and(|g| g > now))
        .max_by_key(|s| s.superseded_at)
    else {
        return Ok(None);
    };
    let rolled = old.superseded_at.unwrap_or(now);
    let first = Ord::max(
        hour_of(rolled),
        hour_of(now) - Duration::hours(HOURS_SHOWN - 1),
    );
    let counts: Vec<api_key_secret_hour::Model> = api_key_secret_hour::Entity::find()
        .filter(api_key_secret_hour::Column::SecretId.is_in([old.id, current.id]))
        .filter(api_key_secret_hour::Column::Hour.gte(first))
        .all(db)
        .await?;
    let count = |secret: i64, hour: DateTime<Utc>| {
        counts
            .iter()
            .find(|c| c.secret_id == secret && c.hour == hour)
            .map_or(0, |c| c.requests)
    };
    let mut hours = Vec::new();
    let mut hour = first;
    while hour <= now {
        hours.push(RotationHour {
            hour: hour.to_rfc3339(),
            old: count(old.id, hour),
            new: count(current.id, hour),
        });
        hour += Duration::hours(1);
    }
    let addresses = api_key_secret_ip::Entity::find()
        .filter(api_key_secret_ip::Column::SecretId.eq(old.id))
        .order_by_desc(api_key_secret_ip::Column::LastUsedAt)
        .limit(crate::backend::keys::usage::IPS_KEPT)
        .all(db)
        .await?
        .into_iter()
        .map(|a| RotationAddress {
            ip: a.ip,
            requests: a.requests,
            last_used_at: a.last_used_at.to_rfc3339(),
        })
        .collect();
    Ok(Some(Rotation {
        old_start: old.visible_start.clone(),
        new_start: current.visible_start.clone(),
        rolled_at: rolled.to_rfc3339(),
        works_until: old.grace_until.map(|g| g.to_rfc3339()).unwrap_or_default(),
        retire_when_unused: old.retire_when_unused,
        old_last_used_at: old
            .last_used_at
            .filter(|t| *t >= rolled)
            .map(|t| t.to_rfc3339()),
        hours,
        addresses,
    }))
}
