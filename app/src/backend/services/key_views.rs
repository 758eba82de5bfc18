//! Reading API keys: the list (pages for the UI, a cursor for the HTTP
//! API), one key's details with its usage. Always within the caller's
//! organization, with the one status function.
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect, RelationDef, Select,
};

use super::key_access::{actionable, may_put_to_work};
use super::key_policy;
use super::key_usage::{allowed_of, suggestions, usage_of};
use crate::backend::auth::session::Principal;
use crate::backend::entities::{
    api_key, api_key_api_set, api_key_secret, api_set, membership, user,
};
use crate::backend::keys::status;
use crate::backend::paging;
use crate::backend::state::AppState;
use crate::model::authz::Authority;
use crate::model::error::AppError;
use crate::model::keys::{
    GraceSecret, KeyDetails, KeyFilter, KeyLeak, KeyListing, KeyRow, KeyScope, SecretRow,
    SecretState,
};

pub const PAGE_SIZE: u64 = 50;

/// Everything needed to show keys: owners, memberships, secrets, sets.
struct Context {
    owners: HashMap<i64, user::Model>,
    memberships: HashMap<i64, membership::Model>,
    secrets: HashMap<i64, Vec<api_key_secret::Model>>,
    sets: HashMap<i64, Vec<String>>,
}

/// What the caller already loaded for this request serves their own keys;
/// the other owners come with their membership here in one statement.
async fn context(
    state: &AppState,
    who: &Principal,
    keys: &[api_key::Model],
) -> Result<Context, AppError> {
    let org_id = who.organization.id;
    let key_ids: Vec<i64> = keys.iter().map(|k| k.id).collect();
    let mut owners = HashMap::new();
    let mut memberships = HashMap::new();
    if who.membership.organization_id == org_id {
        owners.insert(who.user.id, who.user.clone());
        memberships.insert(who.user.id, who.membership.clone());
    }
    let mut others: Vec<i64> = keys
        .iter()
        .map(|k| k.user_id)
        .filter(|id| !owners.contains_key(id))
        .collect();
    others.sort_unstable();
    others.dedup();
    if !others.is_empty() {
        for (owner, membership) in user::Entity::find()
            .filter(user::Column::Id.is_in(others))
            .find_also_related(membership::Entity)
            .all(&state.db)
            .await?
        {
            // A row per membership anywhere: only this organization's counts.
            if let Some(m) = membership.filter(|m| m.organization_id == org_id) {
                memberships.insert(m.user_id, m);
            }
            owners.insert(owner.id, owner);
        }
    }
    let mut secrets: HashMap<i64, Vec<api_key_secret::Model>> = HashMap::new();
    for s in api_key_secret::Entity::find()
        .filter(api_key_secret::Column::ApiKeyId.is_in(key_ids.clone()))
        .order_by_desc(api_key_secret::Column::Id)
        .all(&state.db)
        .await?
    {
        secrets.entry(s.api_key_id).or_default().push(s);
    }
    Ok(Context {
        owners,
        memberships,
        secrets,
        sets: slugs_of(state, key_ids).await?,
    })
}

/// Each key's API sets (slugs, sorted), in one statement.
async fn slugs_of(
    state: &AppState,
    key_ids: Vec<i64>,
) -> Result<HashMap<i64, Vec<String>>, AppError> {
    let links: Vec<(i64, String)> = api_key_api_set::Entity::find()
        .select_only()
        .column(api_key_api_set::Column::ApiKeyId)
        .column(api_set::Column::Slug)
        .join(JoinType::InnerJoin, link_to_set())
        .filter(api_key_api_set::Column::ApiKeyId.is_in(key_ids))
        .into_tuple()
        .all(&state.db)
        .await?;
    let mut sets: HashMap<i64, Vec<String>> = HashMap::new();
    for (key_id, slug) in links {
        sets.entry(key_id).or_default().push(slug);
    }
    for list in sets.values_mut() {
        list.sort();
    }
    Ok(sets)
}

/// A key's link to an API set, joined to the set.
fn link_to_set() -> RelationDef {
    api_key_api_set::Entity::belongs_to(api_set::Entity)
        .from(api_key_api_set::Column::ApiSetId)
        .to(api_set::Column::Id)
        .into()
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
        allowed_addresses: allowed_of(key).iter().map(ToString::to_string).collect(),
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
/// The keys `filter` asks for, if the caller may see them: their own, or
/// with Manage All API Keys anyone's (`scope` `all`, or one `owner`).
/// Also says whether the list is of the caller's own keys.
async fn scoped(
    state: &AppState,
    who: &Principal,
    filter: &KeyFilter,
) -> Result<(Select<api_key::Entity>, bool), AppError> {
    let may_all = who.may(Authority::ManageAllApiKeys);
    let owner = filter.owner.trim().to_lowercase();
    // Decoys are listed apart (`decoys::list`).
    let mut query = api_key::Entity::find()
        .filter(api_key::Column::OrganizationId.eq(who.organization.id))
        .filter(api_key::Column::Decoy.eq(false));
    let owner_is_self = owner.is_empty() || owner == who.user.username;
    let wants_others = filter.scope == KeyScope::All || !owner_is_self;
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
    } else if filter.scope == KeyScope::Mine {
        query = query.filter(api_key::Column::UserId.eq(who.user.id));
    }
    Ok((query, owner_is_self))
}

async fn rows(
    state: &AppState,
    who: &Principal,
    keys: &[api_key::Model],
) -> Result<Vec<KeyRow>, AppError> {
    let ctx = context(state, who, keys).await?;
    let now = state.clock.now();
    keys.iter().map(|k| key_row(k, &ctx, who, now)).collect()
}

/// A page of the caller's keys, or with Manage All API Keys of every key of
/// the organization (optionally one owner's).
pub async fn list(
    state: &AppState,
    who: &Principal,
    filter: &KeyFilter,
) -> Result<KeyListing, AppError> {
    let org_id = who.organization.id;
    let may_all = who.may(Authority::ManageAllApiKeys);
    let (query, owner_is_self) = scoped(state, who, filter).await?;
    let query = query
        .order_by_desc(api_key::Column::CreatedAt)
        .order_by_desc(api_key::Column::Id);
    let keys = paging::page(
        &state.db,
        query,
        PAGE_SIZE,
        filter.page,
        |keys| async move { rows(state, who, &keys).await },
    )
    .await?;
    let owners = if may_all {
        let mut names: Vec<String> = api_key::Entity::find()
            .select_only()
            .column(user::Column::Username)
            .distinct()
            .join(
                JoinType::InnerJoin,
                api_key::Entity::belongs_to(user::Entity)
                    .from(api_key::Column::UserId)
                    .to(user::Column::Id)
                    .into(),
            )
            .filter(api_key::Column::OrganizationId.eq(org_id))
            .filter(api_key::Column::Decoy.eq(false))
            .into_tuple()
            .all(&state.db)
            .await?;
        names.sort();
        names
    } else {
        Vec::new()
    };
    Ok(KeyListing {
        keys,
        may_create: who.may(Authority::ManageUserApiKey),
        may_manage_all: may_all,
        owners,
        owner_is_self,
        policy: key_policy::of(&state.db, org_id, state.clock.now()).await?,
        // Only the caller's own list warns of the caller's keys.
        expiring: if owner_is_self {
            key_policy::expiring(&state.db, who, state.clock.now()).await?
        } else {
            Vec::new()
        },
    })
}

/// For the HTTP API: up to `limit` keys after the key `after` (newest
/// first, by id), as [`list`] would show them, optionally only enabled or
/// disabled ones; and the id to continue after, when there are more.
pub async fn list_after(
    state: &AppState,
    who: &Principal,
    filter: &KeyFilter,
    enabled: Option<bool>,
    after: Option<i64>,
    limit: u64,
) -> Result<(Vec<KeyRow>, Option<i64>), AppError> {
    let (mut query, _) = scoped(state, who, filter).await?;
    if let Some(enabled) = enabled {
        query = query.filter(api_key::Column::Enabled.eq(enabled));
    }
    let mut cursor = query.cursor_by(api_key::Column::Id);
    cursor.desc();
    let (keys, next) = paging::after(&state.db, cursor, after, limit, |k| k.id).await?;
    Ok((rows(state, who, &keys).await?, next))
}

/// One key as the list shows it (no secrets' history, no usage): what the
/// HTTP API answers about a key.
pub async fn row(state: &AppState, who: &Principal, id: i64) -> Result<KeyRow, AppError> {
    let key = actionable(state, who, id).await?;
    let mut rows = rows(state, who, std::slice::from_ref(&key)).await?;
    rows.pop().ok_or(AppError::NotFound)
}

pub async fn details(state: &AppState, who: &Principal, id: i64) -> Result<KeyDetails, AppError> {
    let key = actionable(state, who, id).await?;
    let ctx = context(state, who, std::slice::from_ref(&key)).await?;
    let now = state.clock.now();
    let row = key_row(&key, &ctx, who, now)?;
    let own = ctx.secrets.get(&key.id).map(Vec::as_slice).unwrap_or(&[]);
    let rotation = super::rotation::progress(&state.db, own, now).await?;
    let secrets = own
        .iter()
        .map(|s| SecretRow {
            visible_start: s.visible_start.clone(),
            created_at: s.created_at.to_rfc3339(),
            state: if s.superseded_at.is_none() {
                SecretState::Current
            } else if status::secret_accepted(s, now) {
                SecretState::Grace
            } else {
                SecretState::Retired
            },
            grace_until: s.grace_until.map(|t| t.to_rfc3339()),
            last_used_at: s.last_used_at.map(|t| t.to_rfc3339()),
            last_used_ip: s.last_used_ip.clone(),
        })
        .collect();
    let (usage, used_from) = usage_of(state, key.id, now).await?;
    let allowed = allowed_of(&key);
    let proxies = &state.settings.trusted_proxies;
    let suggested = suggestions(&used_from, &allowed, proxies, now);
    Ok(KeyDetails {
        may_roll: row.is_own && who.may(Authority::ManageUserApiKey),
        may_change: true,
        may_set_rate_limit: may_put_to_work(who, &key),
        rate_limit_per_minute: key
            .rate_limit_per_minute
            .and_then(|n| u32::try_from(n).ok()),
        suggested_addresses: suggested,
        key: row,
        secrets,
        usage,
        used_from,
        leak: key.leaked_at.map(|at| KeyLeak {
            at: at.to_rfc3339(),
            url: key.leak_url.clone().unwrap_or_default(),
            source: key.leak_source.clone().unwrap_or_default(),
        }),
        policy: key_policy::of(&state.db, who.organization.id, now).await?,
        rotation,
    })
}

/// The slugs of a key's API sets, sorted.
pub async fn sets_of(state: &AppState, key: &api_key::Model) -> Result<Vec<String>, AppError> {
    Ok(slugs_of(state, vec![key.id])
        .await?
        .remove(&key.id)
        .unwrap_or_default())
}
