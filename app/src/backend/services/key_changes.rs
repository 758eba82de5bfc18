//! Changes to an existing API key: disable / enable, its rate limit,
//! delete, and ending the grace period of its rolled secrets. Only on a key
//! the caller may act on ([`super::key_access`]); each change writes its
//! audit row in the same transaction and invalidates the key cache.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::key_access::{actionable, active_key_count, lock_owner, may_put_to_work};
use crate::backend::audit::{Action, Entry};
use crate::backend::auth::operation::{Need, Operation};
use crate::backend::auth::session::Principal;
use crate::backend::entities::{api_key, api_key_secret};
use crate::backend::request_meta::RequestMeta;
use crate::backend::state::AppState;
use crate::backend::unit_of_work::{Invalidate, Work};
use crate::model::addresses;
use crate::model::error::{AppError, Conflict};
use crate::model::keys::RATE_LIMIT_MAX;
use crate::model::validation::{Field, FieldError, Problem};

// Your own keys always; others' only with Manage All API Keys (a key you
// may not act on is "not found"): the services decide per key, so these
// need only a member.
/// Disable / Enable.
pub const SET_ENABLED: Operation =
    Operation::new("keys.set_enabled", Need::member().api_set("keys:write"))
        .rpc("keys/set-enabled")
        .http(&[
            "POST /api/v1/keys/{id}/disable",
            "POST /api/v1/keys/{id}/enable",
        ]);
pub const DELETE: Operation = Operation::new("keys.delete", Need::member().api_set("keys:write"))
    .rpc("keys/delete")
    .http(&["DELETE /api/v1/keys/{id}"]);
pub const SET_RATE_LIMIT: Operation =
    Operation::new("keys.set_rate_limit", Need::member()).rpc("keys/set-rate-limit");
/// A key's allowed addresses (for whoever may set its rate limit).
pub const SET_ALLOWED_ADDRESSES: Operation = Operation::new(
    "keys.set_allowed_addresses",
    Need::member().api_set("keys:write"),
)
.rpc("keys/set-allowed-addresses")
.http(&["PUT /api/v1/keys/{id}/allowed-addresses"]);
pub const END_GRACE: Operation =
    Operation::new("keys.end_grace", Need::member()).rpc("keys/end-grace");

pub(super) fn invalid(field: Field, problem: Problem) -> FieldError {
    FieldError { field, problem }
}

pub async fn set_enabled(
    state: &AppState,
    who: &Principal,
    id: i64,
    enabled: bool,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let key = actionable(state, who, id).await?;
    if key.enabled == enabled {
        return Ok(());
    }
    // Disabling is always allowed on a key you may act on. Enabling puts a
    // key back to work: your own with Manage User API Key (and within the
    // limit), anyone's with Manage All API Keys.
    if enabled && !may_put_to_work(who, &key) {
        return Err(AppError::Forbidden);
    }
    // A leaked key's secret is public: it works again only with a new one.
    if enabled && key.leaked_at.is_some() {
        return Err(AppError::Conflict(Conflict::KeyLeaked));
    }
    let now = state.clock.now();
    let mut work = Work::begin(state).await?;
    // Write first, then count: a transaction that reads before it writes
    // cannot take SQLite's write lock once another connection has written
    // ("database is locked"); this one waits for it instead.
    let (org_id, user_id) = (key.organization_id, key.user_id);
    if enabled {
        lock_owner(&work, org_id, user_id).await?;
    }
    let name = key.name.clone();
    // Only a key not already so (the same request sent many times at once
    // changes and audits it once), and enabling only a key not reported
    // leaked in the meantime (a report commits between the read above and
    // this write).
    let mut change = api_key::Entity::update_many()
        .col_expr(api_key::Column::Enabled, Expr::value(enabled))
        .filter(api_key::Column::Id.eq(id))
        .filter(api_key::Column::Enabled.eq(!enabled));
    if enabled {
        change = change.filter(api_key::Column::LeakedAt.is_null());
    }
    if change.exec(&work).await?.rows_affected != 1 {
        return match api_key::Entity::find_by_id(id).one(&work).await? {
            None => Err(AppError::NotFound),
            Some(now_is) if now_is.enabled == enabled => Ok(()),
            Some(_) => Err(AppError::Conflict(Conflict::KeyLeaked)),
        };
    }
    if enabled
        && active_key_count(&work, org_id, user_id, now).await? > state.settings.max_keys_per_user
    {
        return Err(AppError::Conflict(Conflict::TooManyKeys));
    }
    work.audit(
        Entry::new(
            if enabled {
                Action::KeyEnabled
            } else {
                Action::KeyDisabled
            },
            who.organization.id,
            who.user.id,
            format!("key:{id}"),
            meta,
            now,
        )
        .with_details(serde_json::json!({ "name": name })),
    );
    work.commit(Invalidate::Keys).await?;
    Ok(())
}

/// Sets (or with `None` removes) the key's own limit of requests per minute
/// on the HTTP API; over it, requests get 429.
pub async fn set_rate_limit(
    state: &AppState,
    who: &Principal,
    id: i64,
    per_minute: Option<u32>,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    if per_minute.is_some_and(|n| n == 0 || n > RATE_LIMIT_MAX) {
        return Err(AppError::Invalid(vec![invalid(
            Field::RateLimit,
            Problem::OutOfRange,
        )]));
    }
    let key = actionable(state, who, id).await?;
    if !may_put_to_work(who, &key) {
        return Err(AppError::Forbidden);
    }
    let value = per_minute.and_then(|n| i32::try_from(n).ok());
    if key.rate_limit_per_minute == value {
        return Ok(());
    }
    let now = state.clock.now();
    let mut work = Work::begin(state).await?;
    let name = key.name.clone();
    let mut active: api_key::ActiveModel = key.into();
    active.rate_limit_per_minute = Set(value);
    active.update(&work).await?;
    work.audit(
        Entry::new(
            Action::KeyRateLimitChanged,
            who.organization.id,
            who.user.id,
            format!("key:{id}"),
            meta,
            now,
        )
        .with_details(serde_json::json!({ "name": name, "per_minute": per_minute })),
    );
    work.commit(Invalidate::Keys).await?;
    Ok(())
}

/// Sets the addresses and ranges the key is accepted from (empty: from
/// anywhere); returns the list as kept (canonical, sorted, once each).
/// Nothing is saved when an entry is malformed, has host bits set, or
/// there are more than [`addresses::ALLOWED_ADDRESSES_MAX`].
pub async fn set_allowed_addresses(
    state: &AppState,
    who: &Principal,
    id: i64,
    entries: &[String],
    meta: &RequestMeta,
) -> Result<Vec<String>, AppError> {
    let list = addresses::parse_list(entries.iter().map(String::as_str))
        .map_err(|problem| AppError::Invalid(vec![invalid(Field::AllowedAddresses, problem)]))?;
    let key = actionable(state, who, id).await?;
    if !may_put_to_work(who, &key) {
        return Err(AppError::Forbidden);
    }
    let shown: Vec<String> = list.iter().map(ToString::to_string).collect();
    let stored = (!shown.is_empty()).then(|| shown.join("\n"));
    if key.allowed_addresses == stored {
        return Ok(shown);
    }
    let now = state.clock.now();
    let mut work = Work::begin(state).await?;
    // Only a list that differs: the same change sent many times at once
    // writes (and audits) once; the others find it made.
    let differs = match &stored {
        Some(text) => api_key::Column::AllowedAddresses
            .ne(text.as_str())
            .or(api_key::Column::AllowedAddresses.is_null()),
        None => api_key::Column::AllowedAddresses.is_not_null(),
    };
    let changed = api_key::Entity::update_many()
        .col_expr(api_key::Column::AllowedAddresses, Expr::value(stored))
        .filter(api_key::Column::Id.eq(id))
        .filter(differs)
        .exec(&work)
        .await?
        .rows_affected;
    if changed != 1 {
        let exists = api_key::Entity::find_by_id(id).one(&work).await?.is_some();
        return if exists {
            Ok(shown)
        } else {
            Err(AppError::NotFound)
        };
    }
    work.audit(
        Entry::new(
            Action::KeyAddressesChanged,
            who.organization.id,
            who.user.id,
            format!("key:{id}"),
            meta,
            now,
        )
        .with_details(serde_json::json!({ "name": key.name, "addresses": shown })),
    );
    work.commit(Invalidate::Keys).await?;
    Ok(shown)
}

pub async fn delete(
    state: &AppState,
    who: &Principal,
    id: i64,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let key = actionable(state, who, id).await?;
    let now = state.clock.now();
    let mut work = Work::begin(state).await?;
    api_key::Entity::delete_by_id(key.id).exec(&work).await?;
    work.audit(
        Entry::new(
            Action::KeyDeleted,
            who.organization.id,
            who.user.id,
            format!("key:{id}"),
            meta,
            now,
        )
        .with_details(serde_json::json!({ "name": key.name, "owner": key.user_id })),
    );
    work.commit(Invalidate::Keys).await?;
    Ok(())
}

/// Ends the grace periods of `key_id`'s rolled secrets that run past `until`
/// (they then work until `until`); returns how many were shortened.
pub(super) async fn cap_grace<C: ConnectionTrait>(
    db: &C,
    key_id: i64,
    until: DateTime<Utc>,
) -> Result<u64, AppError> {
    Ok(api_key_secret::Entity::update_many()
        .col_expr(api_key_secret::Column::GraceUntil, Expr::value(until))
        .filter(api_key_secret::Column::ApiKeyId.eq(key_id))
        .filter(api_key_secret::Column::SupersededAt.is_not_null())
        .filter(api_key_secret::Column::GraceUntil.gt(until))
        .exec(db)
        .await?
        .rows_affected)
}

/// "End grace period now": the key's rolled secrets stop working at once;
/// only its current secret is left. For whoever may act on the key (like
/// disabling it, this only takes access away). `Conflict::NoGrace` when
/// no secret of the key is in its grace period.
pub async fn end_grace(
    state: &AppState,
    who: &Principal,
    id: i64,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let key = actionable(state, who, id).await?;
    let now = state.clock.now();
    let mut work = Work::begin(state).await?;
    let ended = cap_grace(&work, key.id, now).await?;
    if ended == 0 {
        return Err(AppError::Conflict(Conflict::NoGrace));
    }
    super::rotation::mark_retired(&work, key.id, now).await?;
    work.audit(
        Entry::new(
            Action::KeyGraceEnded,
            who.organization.id,
            who.user.id,
            format!("key:{id}"),
            meta,
            now,
        )
        .with_details(serde_json::json!({ "name": key.name, "secrets": ended })),
    );
    // Checks answered from the cache would still accept the old secrets.
    work.commit(Invalidate::Keys).await?;
    Ok(())
}
