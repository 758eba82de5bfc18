//! The key check: everything the status function needs about a presented
//! key, from the in-process cache when it can (no database, no argon2).
use std::sync::Arc;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::key_views::sets_of;
use crate::backend::auth::operation::{Need, Operation};
use crate::backend::entities::{api_key, api_key_secret, membership, organization, user};
use crate::backend::keys::cache::{Facts, Lookup};
use crate::backend::keys::{format, status};
use crate::backend::state::AppState;
use crate::model::error::AppError;
use crate::model::keys::KeyStatus;

/// Forward-auth for a proxy: any working key of the named organization
/// (the API sets a proxy requires are the request's own).
pub const FORWARD_AUTH: Operation =
    Operation::new("check.forward_auth", Need::key()).http(&["GET /api/v1/orgs/{org}/auth"]);
/// A key about itself.
pub const ME: Operation = Operation::new("check.me", Need::key()).http(&["GET /api/v1/me"]);
/// One service checks a key it was given: the caller's key needs
/// `keys:verify`.
pub const VERIFY: Operation = Operation::new("check.verify", Need::key().api_set("keys:verify"))
    .http(&["POST /api/v1/keys/verify"]);

/// Everything the status function needs about the key whose secret hashes
/// to `hash`, from the database.
async fn load_facts(state: &AppState, hash: &str) -> Result<Option<Facts>, AppError> {
    let Some(secret) = api_key_secret::Entity::find()
        .filter(api_key_secret::Column::SecretHash.eq(hash))
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    let Some(key) = api_key::Entity::find_by_id(secret.api_key_id)
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    let owner = user::Entity::find_by_id(key.user_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::internal("key without owner"))?;
    let membership = membership::Entity::find_by_id((key.user_id, key.organization_id))
        .one(&state.db)
        .await?;
    let organization = organization::Entity::find_by_id(key.organization_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::internal("key without organization"))?;
    let api_sets = sets_of(state, &key).await?;
    // Fails closed: a list whose entries all fail to parse allows nothing.
    let allowed_from = key
        .allowed_addresses
        .as_deref()
        .filter(|text| !text.trim().is_empty())
        .map(|_| super::key_usage::allowed_of(&key));
    Ok(Some(Facts {
        allowed_from,
        key,
        secret,
        owner,
        membership,
        organization,
        api_sets,
    }))
}

/// The key check: the facts about a presented key and whether it works
/// now, from the in-process cache when it can (no database, no argon2).
/// `None` when no key has this secret.
pub async fn verify(
    state: &AppState,
    presented: &format::PlainKey,
) -> Result<Option<(Arc<Facts>, KeyStatus)>, AppError> {
    let started = std::time::Instant::now();
    let metrics = crate::backend::metrics::get();
    let hash = presented.hash();
    let cache = &state.key_cache;
    let facts = match cache.lookup(&hash) {
        Lookup::Fresh(remembered)
        | Lookup::Stale {
            facts: remembered,
            refresh: false,
        } => {
            metrics.key_cache("hit");
            remembered
        }
        Lookup::Stale {
            facts: remembered,
            refresh: true,
        } => {
            metrics.key_cache("reload");
            // This request reloads the entry; the others meanwhile use it
            // as it is. Should the reload fail, the entry soon expires.
            let ticket = cache.ticket();
            match load_facts(state, &hash).await {
                Ok(loaded) => {
                    let loaded = loaded.map(Arc::new);
                    cache.put_loaded(hash, loaded.clone(), ticket);
                    loaded
                }
                Err(err) => {
                    tracing::warn!(error = %err, "reloading a key failed; using what was known");
                    remembered
                }
            }
        }
        Lookup::Miss => {
            metrics.key_cache("miss");
            let ticket = cache.ticket();
            let loaded = load_facts(state, &hash).await?.map(Arc::new);
            cache.put_loaded(hash, loaded.clone(), ticket);
            loaded
        }
    };
    let now = state.clock.now();
    let checked = facts.map(|f| {
        let status = if status::secret_accepted(&f.secret, now) {
            status::status(
                &status::Facts {
                    key: &f.key,
                    owner: &f.owner,
                    membership: f.membership.as_ref(),
                    organization: &f.organization,
                },
                now,
            )
        } else {
            KeyStatus::Expired
        };
        (f, status)
    });
    let outcome = match &checked {
        None => "unknown",
        Some((f, _)) if f.key.decoy => "decoy",
        Some((_, KeyStatus::Active)) => "ok",
        Some((_, status)) => status.as_str(),
    };
    metrics.key_checked(outcome, started.elapsed());
    Ok(checked)
}

/// [`verify`], for callers that need only the key row and its status.
pub async fn check(
    state: &AppState,
    presented: &format::PlainKey,
) -> Result<Option<(api_key::Model, KeyStatus)>, AppError> {
    Ok(verify(state, presented)
        .await?
        .map(|(facts, status)| (facts.key.clone(), status)))
}
