//! API keys of an organization: generate and roll (the services that make
//! a secret), with the reading ([`super::key_views`]) and the changes
//! ([`super::key_changes`]: disable / enable, rate limit, delete, end of
//! grace) re-exported here. Always within the caller's organization; another
//! organization's key id is "not found". Every change writes its audit row
//! in the same transaction; no secret is ever logged, audited or stored.
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, SqlErr,
};

use super::key_access::{actionable, active_key_count, lock_owner};
use super::key_changes::{cap_grace, invalid};
use super::key_policy;
use crate::backend::audit::{Action, Entry};
use crate::backend::auth::operation::{Need, Operation};
use crate::backend::auth::session::Principal;
use crate::backend::entities::{api_key, api_key_api_set, api_key_secret, api_set};
use crate::backend::keys::format;
use crate::backend::keys::handover::{Delivery, Issued};
use crate::backend::request_meta::RequestMeta;
use crate::backend::state::AppState;
use crate::backend::unit_of_work::{Invalidate, Work};
use crate::model::authz::Authority as A;
use crate::model::error::{AppError, Conflict};
use crate::model::keys::{DESCRIPTION_MAX, GRACE_CHOICES, GeneratedKey};
use crate::model::validation::{self, Field, NAME_MAX, Problem};

pub use super::key_changes::{
    DELETE, END_GRACE, SET_ALLOWED_ADDRESSES, SET_ENABLED, SET_RATE_LIMIT, delete, end_grace,
    set_allowed_addresses, set_enabled, set_rate_limit,
};
pub use super::key_views::{PAGE_SIZE, details, list, list_after, row, sets_of};

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
/// The key a no-JavaScript Create or Roll left for this browser.
pub const TAKE_GENERATED: Operation =
    Operation::new("keys.take_generated", Need::member()).rpc("keys/take-generated");
pub const NEW_FORM: Operation =
    Operation::new("keys.new_form", Need::authority(A::ManageUserApiKey)).rpc("keys/new-form");
pub const CREATE: Operation =
    Operation::new("keys.create", Need::authority(A::ManageUserApiKey)).rpc("keys/create");
pub const ROLL: Operation =
    Operation::new("keys.roll", Need::authority(A::ManageUserApiKey)).rpc("keys/roll");

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

/// Generates a key for the caller. API keys never create keys: this is
/// reached only from a signed-in browser session.
pub async fn create(
    state: &AppState,
    who: &Principal,
    new: NewKey,
    meta: &RequestMeta,
    delivery: Delivery,
) -> Result<Issued, AppError> {
    let now = state.clock.now();
    let mut errors = Vec::new();
    let name = validation::short_text(&new.name, NAME_MAX)
        .map_err(|p| errors.push(invalid(Field::Name, p)))
        .ok();
    let description = validation::long_text(&new.description, DESCRIPTION_MAX)
        .map_err(|p| errors.push(invalid(Field::Description, p)))
        .ok();
    let policy = key_policy::of(&state.db, who.organization.id, now).await?;
    let expires_at = expiry(&new.expires, &new.expires_on, now)
        .and_then(|at| key_policy::check(&policy, at, now).map(|()| at))
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
    key_policy::check_in(&work, who.organization.id, expires_at, now).await?;
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
    let generated = GeneratedKey {
        webhook: false,
        id: key.id,
        name,
        organization: who.organization.name.clone(),
        api_sets: slugs,
        created_at: now.to_rfc3339(),
        key: plain.into_exposed(),
    };
    let (user, org) = (who.user.id, who.organization.id);
    let issued = Issued::deliver(&work, delivery, user, org, generated, now).await?;
    work.commit(Invalidate::None).await?;
    Ok(issued)
}

pub(super) async fn insert_secret<C: ConnectionTrait>(
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

/// What the Roll dialog sends.
pub struct Roll {
    /// How long the old secret keeps working: 0, 1, 24 or 168 hours.
    pub grace_hours: u32,
    /// The key's expiry from now on: `keep` (or empty), or a choice of the
    /// Create dialog's Expires field (`expires_on` with `date`).
    pub expires: String,
    pub expires_on: String,
    /// "Retire the old secret when it has not been used for 1 hour" (within
    /// the grace period, which stays the upper bound).
    pub retire_unused: bool,
}

/// A new secret for the caller's own key; the old one keeps working for
/// the grace period. The key keeps its expiry, or takes a new one; either
/// must be within the organization's key policy from now.
pub async fn roll(
    state: &AppState,
    who: &Principal,
    id: i64,
    ask: Roll,
    meta: &RequestMeta,
    delivery: Delivery,
) -> Result<Issued, AppError> {
    let grace_hours = ask.grace_hours;
    if !GRACE_CHOICES.contains(&grace_hours) {
        return Err(AppError::BadRequest("grace period".into()));
    }
    let key = actionable(state, who, id).await?;
    if key.user_id != who.user.id {
        // Generating a secret is creating a key: only for yourself.
        return Err(AppError::Forbidden);
    }
    let now = state.clock.now();
    let policy = key_policy::of(&state.db, who.organization.id, now).await?;
    let expires_at = match ask.expires.trim() {
        "" | "keep" => Ok(key.expires_at),
        choice => expiry(choice, &ask.expires_on, now),
    }
    .and_then(|at| key_policy::check(&policy, at, now).map(|()| at))
    .map_err(|p| AppError::Invalid(vec![invalid(Field::Expires, p)]))?;
    let plain = format::generate().map_err(AppError::internal)?;
    let sets = sets_of(state, &key).await?;
    let mut work = Work::begin(state).await?;
    key_policy::check_in(&work, who.organization.id, expires_at, now).await?;
    // A leaked key's secrets are public: none of them keeps a grace period.
    let leaked = key.leaked_at.is_some();
    let grace_hours = if leaked { 0 } else { grace_hours };
    let grace_until = now + Duration::hours(i64::from(grace_hours));
    // One statement retires the current secret; a roll running at the same
    // time finds none left to retire (PostgreSQL re-checks the condition
    // after the first commits; SQLite runs one writer at a time) and stops.
    let retired = api_key_secret::Entity::update_many()
        .col_expr(api_key_secret::Column::SupersededAt, Expr::value(now))
        .col_expr(api_key_secret::Column::GraceUntil, Expr::value(grace_until))
        .col_expr(
            api_key_secret::Column::RetireWhenUnused,
            Expr::value(ask.retire_unused && grace_hours > 0),
        )
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
    // With no grace, the old secret retired with the roll (told by it).
    super::rotation::mark_retired(&work, key.id, now).await?;
    insert_secret(&work, key.id, &plain, now).await?;
    if expires_at != key.expires_at {
        api_key::Entity::update_many()
            .col_expr(api_key::Column::ExpiresAt, Expr::value(expires_at))
            .filter(api_key::Column::Id.eq(key.id))
            .exec(&work)
            .await?;
    }
    if leaked {
        api_key::Entity::update_many()
            .col_expr(
                api_key::Column::LeakedAt,
                Expr::value(None::<DateTime<Utc>>),
            )
            .col_expr(api_key::Column::LeakUrl, Expr::value(None::<String>))
            .col_expr(api_key::Column::LeakSource, Expr::value(None::<String>))
            .filter(api_key::Column::Id.eq(key.id))
            .exec(&work)
            .await?;
    }
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
            "after_leak": leaked,
            "expires_at": expires_at.map(|t| t.to_rfc3339()),
        })),
    );
    let generated = GeneratedKey {
        webhook: false,
        id: key.id,
        name: key.name,
        organization: who.organization.name.clone(),
        api_sets: sets,
        created_at: now.to_rfc3339(),
        key: plain.into_exposed(),
    };
    let (user, org) = (who.user.id, who.organization.id);
    let issued = Issued::deliver(&work, delivery, user, org, generated, now).await?;
    work.commit(Invalidate::Keys).await?;
    Ok(issued)
}
