//! An organization's slug: its stable public identifier. Forward-auth
//! (`/api/v1/orgs/{slug}/auth`) and the proxy configurations of the Public
//! API page name the organization by it; a key of another organization is
//! refused there exactly like an unknown key. A slug given up stays with the
//! organization that held it (`retired_org_slugs`): proxies still configured
//! with it must refuse everything, never let a newcomer's keys through.
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    Set, SqlErr, TransactionTrait,
};

use crate::backend::audit::{Action, Entry};
use crate::backend::auth::operation::{Need, Operation};
use crate::backend::auth::session::Principal;
use crate::backend::entities::{organization, retired_org_slug};
use crate::backend::request_meta::RequestMeta;
use crate::backend::state::AppState;
use crate::backend::unit_of_work::{Invalidate, Work};
use crate::model::authz::Authority;
use crate::model::authz::Authority as A;
use crate::model::error::AppError;
use crate::model::validation::{self, Field, FieldError, ORG_SLUG_MAX, Problem};

/// Changing the Organization identifier.
pub const SET_SLUG: Operation = Operation::new(
    "integrations.set_slug",
    Need::authority(A::ManageIntegrations),
)
.rpc("integrations/set-slug");

/// Tries before giving up on finding a free slug for a new organization.
const ATTEMPTS: usize = 6;

fn taken_error() -> AppError {
    AppError::Invalid(vec![FieldError {
        field: Field::Slug,
        problem: Problem::SlugTaken,
    }])
}

fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// A few random lower-case letters and digits for a slug whose plain form
/// is taken.
fn random_suffix() -> Result<String, AppError> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = [0u8; 5];
    getrandom::fill(&mut bytes).map_err(|_| AppError::internal("no randomness"))?;
    Ok(bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect())
}

fn with_suffix(base: &str, suffix: &str) -> String {
    let keep = ORG_SLUG_MAX - suffix.len() - 1;
    let stem = base[..base.len().min(keep)].trim_end_matches('-');
    format!("{stem}-{suffix}")
}

/// Whether `slug` is held by an organization, or was given up by one other
/// than `own` (an organization may take back a slug it gave up).
async fn slug_taken<C: ConnectionTrait>(
    db: &C,
    slug: &str,
    own: Option<i64>,
) -> Result<bool, AppError> {
    let held = organization::Entity::find()
        .filter(organization::Column::Slug.eq(slug))
        .one(db)
        .await?
        .is_some();
    let retired = retired_org_slug::Entity::find_by_id(slug.to_owned())
        .one(db)
        .await?
        .is_some_and(|r| Some(r.organization_id) != own);
    Ok(held || retired)
}

/// Inserts a new organization named `name` inside `txn`, with a slug made
/// from its name (`acme`), or with a random suffix (`acme-x7k2q`) when that
/// is taken — also when a concurrent sign-up takes it first (the insert runs
/// in a savepoint and is retried).
pub async fn insert_organization(
    txn: &DatabaseTransaction,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<organization::Model, AppError> {
    let base = validation::org_slug_from_name(name);
    let mut candidate = base.clone();
    for _ in 0..ATTEMPTS {
        if slug_taken(txn, &candidate, None).await? {
            candidate = with_suffix(&base, &random_suffix()?);
            continue;
        }
        let savepoint = txn.begin().await?;
        let inserted = organization::ActiveModel {
            name: Set(name.to_owned()),
            slug: Set(candidate.clone()),
            public_api_enabled: Set(true),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&savepoint)
        .await;
        match inserted {
            Ok(org) => {
                savepoint.commit().await?;
                return Ok(org);
            }
            Err(err) if is_unique_violation(&err) => {
                savepoint.rollback().await?;
                candidate = with_suffix(&base, &random_suffix()?);
            }
            Err(err) => return Err(err.into()),
        }
    }
    Err(AppError::internal("no free organization slug"))
}

/// The organization a slug names, if any.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    slug: &str,
) -> Result<Option<organization::Model>, AppError> {
    Ok(organization::Entity::find()
        .filter(organization::Column::Slug.eq(slug))
        .one(db)
        .await?)
}

/// Changes the organization's slug (Manage Integrations). Every proxy
/// configured with the old slug stops letting requests through at once: the
/// page warns before the change.
pub async fn set_slug(
    state: &AppState,
    who: &Principal,
    slug: &str,
    meta: &RequestMeta,
) -> Result<String, AppError> {
    if !who.may(Authority::ManageIntegrations) {
        return Err(AppError::Forbidden);
    }
    let slug = validation::org_slug(slug).map_err(|problem| {
        AppError::Invalid(vec![FieldError {
            field: Field::Slug,
            problem,
        }])
    })?;
    let now = state.clock.now();
    let mut work = Work::begin(state).await?;
    let current = organization::Entity::find_by_id(who.organization.id)
        .one(&work)
        .await?
        .ok_or(AppError::NotFound)?;
    if current.slug == slug {
        return Ok(slug);
    }
    if slug_taken(&work, &slug, Some(current.id)).await? {
        return Err(taken_error());
    }
    // Taking back a slug it gave up; giving up the one it had.
    retired_org_slug::Entity::delete_by_id(slug.clone())
        .exec(&work)
        .await?;
    retired_org_slug::ActiveModel {
        slug: Set(current.slug.clone()),
        organization_id: Set(current.id),
        retired_at: Set(now),
    }
    .insert(&work)
    .await?;
    let updated = organization::ActiveModel {
        id: Set(current.id),
        slug: Set(slug.clone()),
        ..Default::default()
    }
    .update(&work)
    .await;
    match updated {
        Ok(_) => {}
        Err(err) if is_unique_violation(&err) => return Err(taken_error()),
        Err(err) => return Err(err.into()),
    }
    work.audit(
        Entry::new(
            Action::OrganizationSlugChanged,
            current.id,
            who.user.id,
            format!("organization:{}", current.id),
            meta,
            now,
        )
        .with_details(serde_json::json!({ "from": current.slug, "to": slug })),
    );
    // Forward-auth compares a key's organization slug with the one asked for.
    work.commit(Invalidate::Keys).await?;
    Ok(slug)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixed_slugs_stay_valid() {
        for base in ["acme", "org", &"a".repeat(40), "ab-cd"] {
            let slug = with_suffix(base, "x7k2q");
            assert_eq!(validation::org_slug(&slug), Ok(slug.clone()), "{base}");
        }
        let long = format!("{}-{}", "a".repeat(33), "b".repeat(6));
        assert!(validation::org_slug(&with_suffix(&long, "x7k2q")).is_ok());
    }
}
