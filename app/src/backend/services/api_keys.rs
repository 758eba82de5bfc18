//! API keys of an organization: generate, list, disable / enable, delete,
//! roll. Always within the caller's organization; another organization's key
//! id is "not found". Every change writes its audit row in the same
//! transaction; no secret is ever logged, audited or stored.
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, Set, SqlErr,
};

use crate::backend::audit::{Action, Entry};
use crate::backend::auth::operation::{Need, Operation};
use crate::backend::auth::session::Principal;
use crate::backend::entities::{api_key, api_key_api_set, api_key_secret, api_set, membership};
use crate::backend::keys::format;
use crate::backend::request_meta::RequestMeta;
use crate::backend::state::AppState;
use crate::backend::unit_of_work::{Invalidate, Work};
use crate::model::authz::Authority;
use crate::model::authz::Authority as A;
use crate::model::error::{AppError, Conflict};
use crate::model::keys::{DESCRIPTION_MAX, GRACE_CHOICES, GeneratedKey, RATE_LIMIT_MAX};
use crate::model::validation::{self, Field, FieldError, NAME_MAX, Problem};

// Your own keys always; others' only with Manage All API Keys (a key you
// may not act on is "not found"): the services decide per key, so these
// need only a member. Creating needs Manage User API Key and is never done
// for someone else, nor through the HTTP API.
pub const LIST: Operation = Operation::new("keys.list", Need::member().api_set("keys:read"))
    .rpc("keys/list")
    .http(&["GET /api/v1/keys"]);
pub const DETAILS: Operation = Operation::new("keys.details", Need::member().api_set("keys:read"))
    .rpc("keys/details")
    .http(&["GET /api/v1/keys/{id}"]);
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
pub const END_GRACE: Operation =
    Operation::new("keys.end_grace", Need::member()).rpc("keys/end-grace");
/// The key a no-JavaScript Create or Roll left for this browser.
pub const TAKE_GENERATED: Operation =
    Operation::new("keys.take_generated", Need::member()).rpc("keys/take-generated");
pub const NEW_FORM: Operation =
    Operation::new("keys.new_form", Need::authority(A::ManageUserApiKey)).rpc("keys/new-form");
pub const CREATE: Operation =
    Operation::new("keys.create", Need::authority(A::ManageUserApiKey)).rpc("keys/create");
pub const ROLL: Operation =
    Operation::new("keys.roll", Need::authority(A::ManageUserApiKey)).rpc("keys/roll");

pub const PAGE_SIZE: u64 = 50;

/// What the Create API key form sends.
pub struct NewKey {
    pub name: String,
    pub description: String,
    pub api_sets: Vec<i64>,
    /// `never`, `30`, `90`, `365` or `date`.
    pub expires: String,
    /// `YYYY-MM-DD` when `expires` is `date`.
    pub expires_on: String,
    /// The form's one-time token (double-submit guard); may be empty.
    pub request_token: String,
}

fn invalid(field: Field, problem: Problem) -> FieldError {
    FieldError { field, problem }
}

/// The moment a new key stops working, from the Expires field.
pub fn expiry(
    choice: &str,
    date: &str,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, Problem> {
    match choice.trim() {
        "" | "never" => Ok(None),
        "30" => Ok(Some(now + Duration::days(30))),
        "90" => Ok(Some(now + Duration::days(90))),
        "365" => Ok(Some(now + Duration::days(365))),
        "date" => {
            let day = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
                .map_err(|_| Problem::InvalidDate)?;
            // Works through the whole chosen day (UTC).
            let end = day
                .succ_opt()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .ok_or(Problem::InvalidDate)?
                .and_utc();
            if end <= now + Duration::minutes(1) {
                Err(Problem::ExpiryInPast)
            } else {
                Ok(Some(end))
            }
        }
        _ => Err(Problem::InvalidDate),
    }
}

/// The API sets `ids` name, if every one is built in or the organization's.
async fn api_sets_of_org<C: ConnectionTrait>(
    db: &C,
    org_id: i64,
    ids: &[i64],
) -> Result<Option<Vec<api_set::Model>>, AppError> {
    let mut wanted: Vec<i64> = ids.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    let found = api_set::Entity::find()
        .filter(api_set::Column::Id.is_in(wanted.clone()))
        .all(db)
        .await?;
    let usable = found
        .iter()
        .all(|s| s.builtin || s.organization_id == Some(org_id));
    Ok((found.len() == wanted.len() && usable).then_some(found))
}

/// Serializes the creations and re-enablings of one owner's keys in one
/// organization until the transaction ends, so that the count after them
/// sees every other one. PostgreSQL: a row lock on the owner's membership,
/// taken before the write and the count (under READ COMMITTED, twenty
/// creations at once would otherwise each see only their own new key).
/// SQLite ignores the clause; `Work::begin` already lets one writer in.
async fn lock_owner<C: ConnectionTrait>(
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

async fn active_key_count<C: ConnectionTrait>(
    db: &C,
    org_id: i64,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    Ok(api_key::Entity::find()
        .filter(api_key::Column::OrganizationId.eq(org_id))
        .filter(api_key::Column::UserId.eq(user_id))
        .filter(api_key::Column::Enabled.eq(true))
        .filter(
            sea_orm::Condition::any()
                .add(api_key::Column::ExpiresAt.is_null())
                .add(api_key::Column::ExpiresAt.gt(now)),
        )
        .count(db)
        .await?)
}

/// Generates a key for the caller. API keys never create keys: this is
/// reached only from a signed-in browser session.
pub async fn create(
    state: &AppState,
    who: &Principal,
    new: NewKey,
    meta: &RequestMeta,
) -> Result<GeneratedKey, AppError> {
    let now = state.clock.now();
    let mut errors = Vec::new();
    let name = validation::short_text(&new.name, NAME_MAX)
        .map_err(|p| errors.push(invalid(Field::Name, p)))
        .ok();
    let description = validation::long_text(&new.description, DESCRIPTION_MAX)
        .map_err(|p| errors.push(invalid(Field::Description, p)))
        .ok();
    let expires_at = expiry(&new.expires, &new.expires_on, now)
        .map_err(|p| errors.push(invalid(Field::Expires, p)))
        .ok();
    let sets = api_sets_of_org(&state.db, who.organization.id, &new.api_sets).await?;
    if sets.is_none() {
        errors.push(invalid(Field::ApiSets, Problem::UnknownApiSet));
    }
    let token = new.request_token.trim();
    if token.len() > 64
        || token
            .chars()
            .any(|c| !c.is_ascii_alphanumeric() && c != '-')
    {
        return Err(AppError::BadRequest("request token".into()));
    }
    let (Some(name), Some(description), Some(expires_at), Some(sets)) =
        (name, description, expires_at, sets)
    else {
        return Err(AppError::Invalid(errors));
    };
    if !token.is_empty()
        && api_key::Entity::find()
            .filter(api_key::Column::UserId.eq(who.user.id))
            .filter(api_key::Column::RequestToken.eq(token))
            .one(&state.db)
            .await?
            .is_some()
    {
        return Err(AppError::Conflict(Conflict::AlreadyCreated));
    }
    let plain = format::generate().map_err(AppError::internal)?;
    // The insert comes first and the limit is checked after it, within the
    // transaction and under the owner's lock (see `set_enabled`); over the
    // limit, nothing commits.
    let mut work = Work::begin(state).await?;
    lock_owner(&work, who.organization.id, who.user.id).await?;
    let inserted = api_key::ActiveModel {
        organization_id: Set(who.organization.id),
        user_id: Set(who.user.id),
        name: Set(name.clone()),
        description: Set(description),
        enabled: Set(true),
        expires_at: Set(expires_at),
        created_at: Set(now),
        request_token: Set((!token.is_empty()).then(|| token.to_owned())),
        ..Default::default()
    }
    .insert(&work)
    .await;
    let key = match inserted {
        Ok(key) => key,
        // The same form submitted twice at once: the other one made the key.
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Err(AppError::Conflict(Conflict::AlreadyCreated));
        }
        Err(err) => return Err(err.into()),
    };
    if active_key_count(&work, who.organization.id, who.user.id, now).await?
        > state.settings.max_keys_per_user
    {
        return Err(AppError::Conflict(Conflict::TooManyKeys));
    }
    insert_secret(&work, key.id, &plain, now).await?;
    for set in &sets {
        api_key_api_set::ActiveModel {
            api_key_id: Set(key.id),
            api_set_id: Set(set.id),
        }
        .insert(&work)
        .await?;
    }
    let mut slugs: Vec<String> = sets.iter().map(|s| s.slug.clone()).collect();
    slugs.sort();
    work.audit(
        Entry::new(
            Action::KeyCreated,
            who.organization.id,
            who.user.id,
            format!("key:{}", key.id),
            meta,
            now,
        )
        .with_details(serde_json::json!({
            "name": name,
            "visible_start": plain.visible_start(),
            "api_sets": slugs,
        })),
    );
    work.commit(Invalidate::None).await?;
    Ok(GeneratedKey {
        id: key.id,
        name,
        organization: who.organization.name.clone(),
        api_sets: slugs,
        created_at: now.to_rfc3339(),
        key: plain.into_exposed(),
    })
}

async fn insert_secret<C: ConnectionTrait>(
    db: &C,
    key_id: i64,
    plain: &format::PlainKey,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    api_key_secret::ActiveModel {
        api_key_id: Set(key_id),
        secret_hash: Set(plain.hash()),
        visible_start: Set(plain.visible_start()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A key of the caller's organization that the caller may act on: their
/// own, or anyone's with Manage All API Keys. Anything else is not found.
pub(super) async fn actionable(
    state: &AppState,
    who: &Principal,
    id: i64,
) -> Result<api_key::Model, AppError> {
    let key = api_key::Entity::find_by_id(id)
        .filter(api_key::Column::OrganizationId.eq(who.organization.id))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    if key.user_id == who.user.id || who.may(Authority::ManageAllApiKeys) {
        Ok(key)
    } else {
        Err(AppError::NotFound)
    }
}

pub use super::key_views::{details, list, list_after, row, sets_of};

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
    if enabled && !super::key_views::may_put_to_work(who, &key) {
        return Err(AppError::Forbidden);
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
    let mut active: api_key::ActiveModel = key.into();
    active.enabled = Set(enabled);
    active.update(&work).await?;
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
    if !super::key_views::may_put_to_work(who, &key) {
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

/// A new secret for the caller's own key; the old one keeps working for
/// `grace_hours` (0, 1, 24 or 168).
pub async fn roll(
    state: &AppState,
    who: &Principal,
    id: i64,
    grace_hours: u32,
    meta: &RequestMeta,
) -> Result<GeneratedKey, AppError> {
    if !GRACE_CHOICES.contains(&grace_hours) {
        return Err(AppError::BadRequest("grace period".into()));
    }
    let key = actionable(state, who, id).await?;
    if key.user_id != who.user.id {
        // Generating a secret is creating a key: only for yourself.
        return Err(AppError::Forbidden);
    }
    let now = state.clock.now();
    let plain = format::generate().map_err(AppError::internal)?;
    let mut work = Work::begin(state).await?;
    let grace_until = now + Duration::hours(i64::from(grace_hours));
    // One statement retires the current secret; a roll running at the same
    // time finds none left to retire (PostgreSQL re-checks the condition
    // after the first commits; SQLite runs one writer at a time) and stops.
    let retired = api_key_secret::Entity::update_many()
        .col_expr(api_key_secret::Column::SupersededAt, Expr::value(now))
        .col_expr(api_key_secret::Column::GraceUntil, Expr::value(grace_until))
        .filter(api_key_secret::Column::ApiKeyId.eq(key.id))
        .filter(api_key_secret::Column::SupersededAt.is_null())
        .exec(&work)
        .await?
        .rows_affected;
    if retired != 1 {
        return Err(AppError::Conflict(Conflict::AlreadyCreated));
    }
    // Secrets rolled earlier work no longer than the one just retired: a
    // roll with no grace (the key leaked) ends every grace period at once.
    cap_grace(&work, key.id, grace_until).await?;
    insert_secret(&work, key.id, &plain, now).await?;
    work.audit(
        Entry::new(
            Action::KeyRolled,
            who.organization.id,
            who.user.id,
            format!("key:{id}"),
            meta,
            now,
        )
        .with_details(serde_json::json!({
            "name": key.name,
            "visible_start": plain.visible_start(),
            "grace_hours": grace_hours,
        })),
    );
    work.commit(Invalidate::Keys).await?;
    let sets = sets_of(state, &key).await?;
    Ok(GeneratedKey {
        id: key.id,
        name: key.name,
        organization: who.organization.name.clone(),
        api_sets: sets,
        created_at: now.to_rfc3339(),
        key: plain.into_exposed(),
    })
}

/// Ends the grace periods of `key_id`'s rolled secrets that run past `until`
/// (they then work until `until`); returns how many were shortened.
async fn cap_grace<C: ConnectionTrait>(
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
