//! Settings → Integrations: the organization's Public API switch and its
//! API sets (Manage Integrations).
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select, Set, SqlErr,
};

use crate::backend::audit::{Action, Entry};
use crate::backend::auth::operation::{Need, Operation};
use crate::backend::auth::session::Principal;
use crate::backend::entities::{api_key, api_key_api_set, api_set, organization};
use crate::backend::request_meta::RequestMeta;
use crate::backend::state::AppState;
use crate::backend::unit_of_work::{Invalidate, Work};
use crate::model::authz::Authority;
use crate::model::authz::Authority as A;
use crate::model::error::{AppError, Conflict};
use crate::model::keys::{ApiSetInfo, DESCRIPTION_MAX, PublicApiState};
use crate::model::validation::{self, Field, FieldError, NAME_MAX, Problem};

/// Settings → Integrations → Public API.
pub const PUBLIC_API: Operation =
    Operation::new("integrations.public_api", Need::member()).rpc("integrations/public-api");
pub const SET_PUBLIC_API: Operation = Operation::new(
    "integrations.set_public_api",
    Need::authority(A::ManageIntegrations),
)
.rpc("integrations/set-public-api");
pub const API_SETS: Operation =
    Operation::new("integrations.api_sets", Need::member()).rpc("integrations/api-sets");
pub const CREATE_API_SET: Operation = Operation::new(
    "integrations.create_api_set",
    Need::authority(A::ManageIntegrations),
)
.rpc("integrations/create-api-set");
pub const DELETE_API_SET: Operation = Operation::new(
    "integrations.delete_api_set",
    Need::authority(A::ManageIntegrations),
)
.rpc("integrations/delete-api-set");

pub fn public_api(who: &Principal) -> PublicApiState {
    PublicApiState {
        enabled: who.organization.public_api_enabled,
        may_change: who.may(Authority::ManageIntegrations),
        slug: who.organization.slug.clone(),
        base_url: String::new(),
        api_sets: Vec::new(),
    }
}

pub async fn set_public_api(
    state: &AppState,
    who: &Principal,
    enabled: bool,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    if who.organization.public_api_enabled == enabled {
        return Ok(());
    }
    let now = state.clock.now();
    let mut work = Work::begin(state).await?;
    organization::ActiveModel {
        id: Set(who.organization.id),
        public_api_enabled: Set(enabled),
        ..Default::default()
    }
    .update(&work)
    .await?;
    work.audit(Entry::new(
        if enabled {
            Action::PublicApiEnabled
        } else {
            Action::PublicApiDisabled
        },
        who.organization.id,
        who.user.id,
        format!("organization:{}", who.organization.id),
        meta,
        now,
    ));
    work.commit(Invalidate::Keys).await?;
    Ok(())
}

/// The built-in API sets and the organization's own, in the order lists
/// show them.
fn sets_of(org_id: i64) -> Select<api_set::Entity> {
    api_set::Entity::find()
        .filter(
            Condition::any()
                .add(api_set::Column::Builtin.eq(true))
                .add(api_set::Column::OrganizationId.eq(org_id)),
        )
        .order_by_desc(api_set::Column::Builtin)
        .order_by_asc(api_set::Column::Slug)
}

/// The built-in API sets and the organization's own, with how many of the
/// organization's keys use each (counted by the database).
pub async fn api_sets(state: &AppState, who: &Principal) -> Result<Vec<ApiSetInfo>, AppError> {
    let org_id = who.organization.id;
    let sets = sets_of(org_id).all(&state.db).await?;
    let org_keys = Query::select()
        .column(api_key::Column::Id)
        .from(api_key::Entity)
        .and_where(Expr::col(api_key::Column::OrganizationId).eq(org_id))
        .to_owned();
    let counts: Vec<(i64, i64)> = api_key_api_set::Entity::find()
        .select_only()
        .column(api_key_api_set::Column::ApiSetId)
        .column_as(api_key_api_set::Column::ApiKeyId.count(), "keys")
        .filter(api_key_api_set::Column::ApiKeyId.in_subquery(org_keys))
        .group_by(api_key_api_set::Column::ApiSetId)
        .into_tuple()
        .all(&state.db)
        .await?;
    let counts: std::collections::HashMap<i64, i64> = counts.into_iter().collect();
    Ok(sets
        .into_iter()
        .map(|s| ApiSetInfo {
            keys: u64::try_from(counts.get(&s.id).copied().unwrap_or(0)).unwrap_or(0),
            id: s.id,
            slug: s.slug,
            name: s.name,
            description: s.description,
            builtin: s.builtin,
        })
        .collect())
}

/// Only the slugs of [`api_sets`], in the same order (one small query).
pub async fn api_set_slugs(state: &AppState, who: &Principal) -> Result<Vec<String>, AppError> {
    Ok(sets_of(who.organization.id)
        .select_only()
        .column(api_set::Column::Slug)
        .into_tuple()
        .all(&state.db)
        .await?)
}

pub async fn create_api_set(
    state: &AppState,
    who: &Principal,
    slug: &str,
    name: &str,
    description: &str,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let org_id = who.organization.id;
    let mut errors = Vec::new();
    let slug = validation::slug(slug)
        .map_err(|problem| {
            errors.push(FieldError {
                field: Field::Slug,
                problem,
            })
        })
        .ok();
    let name = validation::short_text(name, NAME_MAX)
        .map_err(|problem| {
            errors.push(FieldError {
                field: Field::Name,
                problem,
            })
        })
        .ok();
    let description = validation::long_text(description, DESCRIPTION_MAX)
        .map_err(|problem| {
            errors.push(FieldError {
                field: Field::Description,
                problem,
            })
        })
        .ok();
    if let Some(slug) = &slug {
        let taken = api_set::Entity::find()
            .filter(api_set::Column::Slug.eq(slug.as_str()))
            .filter(
                Condition::any()
                    .add(api_set::Column::Builtin.eq(true))
                    .add(api_set::Column::OrganizationId.eq(org_id)),
            )
            .count(&state.db)
            .await?
            > 0;
        if taken {
            errors.push(FieldError {
                field: Field::Slug,
                problem: Problem::SlugTaken,
            });
        }
    }
    let (Some(slug), Some(name), Some(description), true) =
        (slug, name, description, errors.is_empty())
    else {
        return Err(AppError::Invalid(errors));
    };
    let now = state.clock.now();
    let mut work = Work::begin(state).await?;
    let inserted = api_set::ActiveModel {
        organization_id: Set(Some(org_id)),
        slug: Set(slug.clone()),
        name: Set(name),
        description: Set(description),
        builtin: Set(false),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&work)
    .await;
    let set = match inserted {
        Ok(set) => set,
        // Created at the same moment by another request.
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Err(AppError::Invalid(vec![FieldError {
                field: Field::Slug,
                problem: Problem::SlugTaken,
            }]));
        }
        Err(err) => return Err(err.into()),
    };
    work.audit(
        Entry::new(
            Action::ApiSetCreated,
            org_id,
            who.user.id,
            format!("api_set:{}", set.id),
            meta,
            now,
        )
        .with_details(serde_json::json!({ "slug": slug })),
    );
    work.commit(Invalidate::None).await?;
    Ok(())
}

/// Deletes one of the organization's own API sets; the keys that had it
/// lose it (the page asked first, naming how many).
pub async fn delete_api_set(
    state: &AppState,
    who: &Principal,
    id: i64,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let set = api_set::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    if set.builtin {
        return Err(AppError::Conflict(Conflict::BuiltinApiSet));
    }
    if set.organization_id != Some(who.organization.id) {
        return Err(AppError::NotFound);
    }
    let now = state.clock.now();
    let mut work = Work::begin(state).await?;
    let removed = api_key_api_set::Entity::delete_many()
        .filter(api_key_api_set::Column::ApiSetId.eq(id))
        .exec(&work)
        .await?
        .rows_affected;
    api_set::Entity::delete_by_id(id).exec(&work).await?;
    work.audit(
        Entry::new(
            Action::ApiSetDeleted,
            who.organization.id,
            who.user.id,
            format!("api_set:{id}"),
            meta,
            now,
        )
        .with_details(serde_json::json!({ "slug": set.slug, "removed_from_keys": removed })),
    );
    work.commit(Invalidate::Keys).await?;
    Ok(())
}
