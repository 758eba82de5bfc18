//! API keys of an organization: generate, list, disable / enable, delete,
//! roll. Always within the caller's organization; another organization's key
//! id is "not found". Every change writes its audit row in the same
//! transaction; no secret is ever logged, audited or stored.
use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, SqlErr,
};

use crate::authz::Authority;
use crate::backend::audit::{self, Action, Entry};
use crate::backend::auth::session::Principal;
use crate::backend::entities::{
    api_key, api_key_api_set, api_key_secret, api_set, membership, user,
};
use crate::backend::keys::{format, status};
use crate::backend::request_meta::RequestMeta;
use crate::backend::state::AppState;
use crate::error::AppError;
use crate::server_fns::keys_dto::{
    DESCRIPTION_MAX, GRACE_CHOICES, GeneratedKey, GraceSecret, KeyDetails, KeyFilter, KeyListing,
    KeyRow, SecretRow,
};
use crate::validation::{self, Field, FieldError, NAME_MAX, Problem};

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
        return Err(AppError::Conflict("already_created".into()));
    }
    let plain = format::generate().map_err(AppError::internal)?;
    // The insert comes first and the limit is checked after it, within the
    // transaction (see `set_enabled`); over the limit, nothing commits.
    let txn = crate::backend::db::begin_write(&state.db).await?;
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
    .insert(&txn)
    .await;
    let key = match inserted {
        Ok(key) => key,
        // The same form submitted twice at once: the other one made the key.
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Err(AppError::Conflict("already_created".into()));
        }
        Err(err) => return Err(err.into()),
    };
    if active_key_count(&txn, who.organization.id, who.user.id, now).await?
        > state.settings.max_keys_per_user
    {
        return Err(AppError::Conflict("too_many_keys".into()));
    }
    insert_secret(&txn, key.id, &plain, now).await?;
    for set in &sets {
        api_key_api_set::ActiveModel {
            api_key_id: Set(key.id),
            api_set_id: Set(set.id),
        }
        .insert(&txn)
        .await?;
    }
    let mut slugs: Vec<String> = sets.iter().map(|s| s.slug.clone()).collect();
    slugs.sort();
    audit::record(
        &txn,
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
    )
    .await?;
    txn.commit().await?;
    // A key's status may depend on what just changed.
    state.key_cache.clear();
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

/// Everything needed to show keys: owners, memberships, secrets, sets.
struct Context {
    owners: HashMap<i64, user::Model>,
    memberships: HashMap<i64, membership::Model>,
    secrets: HashMap<i64, Vec<api_key_secret::Model>>,
    sets: HashMap<i64, Vec<String>>,
}

async fn context(
    state: &AppState,
    org_id: i64,
    keys: &[api_key::Model],
) -> Result<Context, AppError> {
    let key_ids: Vec<i64> = keys.iter().map(|k| k.id).collect();
    let user_ids: Vec<i64> = keys.iter().map(|k| k.user_id).collect();
    let owners = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids.clone()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let memberships = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(org_id))
        .filter(membership::Column::UserId.is_in(user_ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|m| (m.user_id, m))
        .collect();
    let mut secrets: HashMap<i64, Vec<api_key_secret::Model>> = HashMap::new();
    for s in api_key_secret::Entity::find()
        .filter(api_key_secret::Column::ApiKeyId.is_in(key_ids.clone()))
        .order_by_desc(api_key_secret::Column::Id)
        .all(&state.db)
        .await?
    {
        secrets.entry(s.api_key_id).or_default().push(s);
    }
    let links = api_key_api_set::Entity::find()
        .filter(api_key_api_set::Column::ApiKeyId.is_in(key_ids))
        .all(&state.db)
        .await?;
    let set_ids: Vec<i64> = links.iter().map(|l| l.api_set_id).collect();
    let slugs: HashMap<i64, String> = api_set::Entity::find()
        .filter(api_set::Column::Id.is_in(set_ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.slug))
        .collect();
    let mut sets: HashMap<i64, Vec<String>> = HashMap::new();
    for link in links {
        if let Some(slug) = slugs.get(&link.api_set_id) {
            sets.entry(link.api_key_id).or_default().push(slug.clone());
        }
    }
    for list in sets.values_mut() {
        list.sort();
    }
    Ok(Context {
        owners,
        memberships,
        secrets,
        sets,
    })
}

fn key_row(
    key: &api_key::Model,
    ctx: &Context,
    who: &Principal,
    now: DateTime<Utc>,
) -> Result<KeyRow, AppError> {
    let owner = ctx
        .owners
        .get(&key.user_id)
        .ok_or_else(|| AppError::internal("key without owner"))?;
    let facts = status::Facts {
        key,
        owner,
        membership: ctx.memberships.get(&key.user_id),
        organization: &who.organization,
    };
    let secrets = ctx.secrets.get(&key.id).map(Vec::as_slice).unwrap_or(&[]);
    let current = secrets.iter().find(|s| s.superseded_at.is_none());
    let grace = secrets
        .iter()
        .filter(|s| s.superseded_at.is_some() && status::secret_accepted(s, now))
        .map(|s| GraceSecret {
            visible_start: s.visible_start.clone(),
            until: s.grace_until.map(|t| t.to_rfc3339()).unwrap_or_default(),
            last_used_at: s.last_used_at.map(|t| t.to_rfc3339()),
        })
        .collect();
    Ok(KeyRow {
        id: key.id,
        name: key.name.clone(),
        description: key.description.clone(),
        visible_start: current.map(|s| s.visible_start.clone()).unwrap_or_default(),
        api_sets: ctx.sets.get(&key.id).cloned().unwrap_or_default(),
        status: status::status(&facts, now),
        created_at: key.created_at.to_rfc3339(),
        last_used_at: key.last_used_at.map(|t| t.to_rfc3339()),
        last_used_ip: key.last_used_ip.clone(),
        expires_at: key.expires_at.map(|t| t.to_rfc3339()),
        expiring_soon: key
            .expires_at
            .is_some_and(|at| at > now && at <= now + Duration::days(7)),
        owner: owner.username.clone(),
        owner_name: owner.name.clone(),
        is_own: key.user_id == who.user.id,
        grace,
    })
}

/// The caller's keys, or with Manage All API Keys every key of the
/// organization (optionally one owner's).
pub async fn list(
    state: &AppState,
    who: &Principal,
    filter: &KeyFilter,
) -> Result<KeyListing, AppError> {
    let org_id = who.organization.id;
    let may_all = who.may(Authority::ManageAllApiKeys);
    let owner = filter.owner.trim().to_lowercase();
    let mut query = api_key::Entity::find().filter(api_key::Column::OrganizationId.eq(org_id));
    let owner_is_self = owner.is_empty() || owner == who.user.username;
    let wants_others = filter.scope == "all" || !owner_is_self;
    if wants_others && !may_all {
        return Err(AppError::Forbidden);
    }
    if !owner.is_empty() {
        // Keys belong to members; a name that is not one (here) simply
        // owns no keys, whether or not it exists elsewhere.
        let owner_id = user::Entity::find()
            .filter(user::Column::Username.eq(owner))
            .one(&state.db)
            .await?
            .map_or(-1, |u| u.id);
        query = query.filter(api_key::Column::UserId.eq(owner_id));
    } else if filter.scope != "all" {
        query = query.filter(api_key::Column::UserId.eq(who.user.id));
    }
    let paginator = query
        .order_by_desc(api_key::Column::CreatedAt)
        .order_by_desc(api_key::Column::Id)
        .paginate(&state.db, PAGE_SIZE);
    let total = paginator.num_items().await?;
    let pages = Ord::max(total.div_ceil(PAGE_SIZE), 1);
    let page = filter.page.clamp(1, pages);
    let keys = paginator.fetch_page(page - 1).await?;
    let ctx = context(state, org_id, &keys).await?;
    let now = state.clock.now();
    let rows = keys
        .iter()
        .map(|k| key_row(k, &ctx, who, now))
        .collect::<Result<Vec<_>, _>>()?;
    let owners = if may_all {
        let ids: Vec<i64> = api_key::Entity::find()
            .filter(api_key::Column::OrganizationId.eq(org_id))
            .select_only()
            .column(api_key::Column::UserId)
            .distinct()
            .into_tuple()
            .all(&state.db)
            .await?;
        let mut names: Vec<String> = user::Entity::find()
            .filter(user::Column::Id.is_in(ids))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|u| u.username)
            .collect();
        names.sort();
        names
    } else {
        Vec::new()
    };
    Ok(KeyListing {
        rows,
        page,
        pages,
        total,
        may_create: who.may(Authority::ManageUserApiKey),
        may_manage_all: may_all,
        owners,
        owner_is_self,
    })
}

/// A key of the caller's organization that the caller may act on: their
/// own, or anyone's with Manage All API Keys. Anything else is not found.
async fn actionable(
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

pub async fn details(state: &AppState, who: &Principal, id: i64) -> Result<KeyDetails, AppError> {
    let key = actionable(state, who, id).await?;
    let ctx = context(state, who.organization.id, std::slice::from_ref(&key)).await?;
    let now = state.clock.now();
    let row = key_row(&key, &ctx, who, now)?;
    let secrets = ctx
        .secrets
        .get(&key.id)
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .map(|s| SecretRow {
            visible_start: s.visible_start.clone(),
            created_at: s.created_at.to_rfc3339(),
            state: if s.superseded_at.is_none() {
                "current"
            } else if status::secret_accepted(s, now) {
                "grace"
            } else {
                "retired"
            }
            .into(),
            grace_until: s.grace_until.map(|t| t.to_rfc3339()),
            last_used_at: s.last_used_at.map(|t| t.to_rfc3339()),
            last_used_ip: s.last_used_ip.clone(),
        })
        .collect();
    Ok(KeyDetails {
        may_roll: row.is_own && who.may(Authority::ManageUserApiKey),
        may_change: true,
        key: row,
        secrets,
    })
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
    let own = key.user_id == who.user.id;
    if enabled
        && !(who.may(Authority::ManageAllApiKeys) || (own && who.may(Authority::ManageUserApiKey)))
    {
        return Err(AppError::Forbidden);
    }
    let now = state.clock.now();
    let txn = crate::backend::db::begin_write(&state.db).await?;
    // Write first, then count: a transaction that reads before it writes
    // cannot take SQLite's write lock once another connection has written
    // ("database is locked"); this one waits for it instead.
    let (org_id, user_id) = (key.organization_id, key.user_id);
    let name = key.name.clone();
    let mut active: api_key::ActiveModel = key.into();
    active.enabled = Set(enabled);
    active.update(&txn).await?;
    if enabled
        && active_key_count(&txn, org_id, user_id, now).await? > state.settings.max_keys_per_user
    {
        return Err(AppError::Conflict("too_many_keys".into()));
    }
    audit::record(
        &txn,
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
    )
    .await?;
    txn.commit().await?;
    // A key's status may depend on what just changed.
    state.key_cache.clear();
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
    let txn = crate::backend::db::begin_write(&state.db).await?;
    api_key::Entity::delete_by_id(key.id).exec(&txn).await?;
    audit::record(
        &txn,
        Entry::new(
            Action::KeyDeleted,
            who.organization.id,
            who.user.id,
            format!("key:{id}"),
            meta,
            now,
        )
        .with_details(serde_json::json!({ "name": key.name, "owner": key.user_id })),
    )
    .await?;
    txn.commit().await?;
    // A key's status may depend on what just changed.
    state.key_cache.clear();
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
    let txn = crate::backend::db::begin_write(&state.db).await?;
    let grace_until = now + Duration::hours(i64::from(grace_hours));
    // One statement retires the current secret; a roll running at the same
    // time finds none left to retire (PostgreSQL re-checks the condition
    // after the first commits; SQLite runs one writer at a time) and stops.
    let retired = api_key_secret::Entity::update_many()
        .col_expr(api_key_secret::Column::SupersededAt, Expr::value(now))
        .col_expr(api_key_secret::Column::GraceUntil, Expr::value(grace_until))
        .filter(api_key_secret::Column::ApiKeyId.eq(key.id))
        .filter(api_key_secret::Column::SupersededAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected;
    if retired != 1 {
        return Err(AppError::Conflict("already_created".into()));
    }
    insert_secret(&txn, key.id, &plain, now).await?;
    audit::record(
        &txn,
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
    )
    .await?;
    txn.commit().await?;
    // A key's status may depend on what just changed.
    state.key_cache.clear();
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

/// The slugs of a key's API sets, sorted.
pub(super) async fn sets_of(
    state: &AppState,
    key: &api_key::Model,
) -> Result<Vec<String>, AppError> {
    Ok(
        context(state, key.organization_id, std::slice::from_ref(key))
            .await?
            .sets
            .remove(&key.id)
            .unwrap_or_default(),
    )
}
