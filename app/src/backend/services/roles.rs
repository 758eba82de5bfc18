//! Roles of an organization: built-in ones are fixed; custom ones can be
//! created, renamed, re-authorized and deleted (when nobody holds them).
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};

use crate::backend::audit::{Action, Entry};
use crate::backend::auth::operation::{Need, Operation};
use crate::backend::auth::session::Principal;
use crate::backend::entities::{membership, role, role_authority};
use crate::backend::request_meta::RequestMeta;
use crate::backend::services::grants::{self, Giver};
use crate::backend::state::AppState;
use crate::backend::unit_of_work::{Invalidate, Work};
use crate::model::authz::Authority;
use crate::model::authz::Authority as A;
use crate::model::error::{AppError, Conflict};
use crate::model::roles::RoleInfo;
use crate::model::validation::{self, Field, FieldError, Problem};

pub const LIST: Operation =
    Operation::new("roles.list", Need::authority(A::ManageRoles)).rpc("roles/list");
pub const CREATE: Operation =
    Operation::new("roles.create", Need::authority(A::ManageRoles)).rpc("roles/create");
pub const UPDATE: Operation =
    Operation::new("roles.update", Need::authority(A::ManageRoles)).rpc("roles/update");
pub const DELETE: Operation =
    Operation::new("roles.delete", Need::authority(A::ManageRoles)).rpc("roles/delete");

pub async fn list(state: &AppState, who: &Principal) -> Result<Vec<RoleInfo>, AppError> {
    let roles = role::Entity::find()
        .filter(role::Column::OrganizationId.eq(who.organization.id))
        .order_by_desc(role::Column::Builtin)
        .order_by_asc(role::Column::Id)
        .all(&state.db)
        .await?;
    let mut out = Vec::with_capacity(roles.len());
    for r in roles {
        let authorities = role_authority::Entity::find()
            .filter(role_authority::Column::RoleId.eq(r.id))
            .all(&state.db)
            .await?
            .iter()
            .filter_map(|a| Authority::parse(&a.authority))
            .collect();
        let members = membership::Entity::find()
            .filter(membership::Column::RoleId.eq(r.id))
            .count(&state.db)
            .await?;
        out.push(RoleInfo {
            yours: r.id == who.role.id,
            id: r.id,
            name: r.name,
            builtin: r.builtin,
            authorities,
            members,
        });
    }
    Ok(out)
}

async fn valid_name(
    state: &AppState,
    org_id: i64,
    name: &str,
    except: Option<i64>,
) -> Result<String, AppError> {
    let invalid = |problem| {
        AppError::Invalid(vec![FieldError {
            field: Field::Name,
            problem,
        }])
    };
    let name = validation::short_text(name, validation::NAME_MAX).map_err(invalid)?;
    let taken = role::Entity::find()
        .filter(role::Column::OrganizationId.eq(org_id))
        .all(&state.db)
        .await?
        .into_iter()
        .any(|r| Some(r.id) != except && r.name.to_lowercase() == name.to_lowercase());
    if taken {
        return Err(invalid(Problem::NameTaken));
    }
    Ok(name)
}

fn names(authorities: &[Authority]) -> Vec<&'static str> {
    authorities.iter().map(|a| a.as_str()).collect()
}

pub async fn create(
    state: &AppState,
    who: &Principal,
    name: &str,
    authorities: &[Authority],
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let name = valid_name(state, who.organization.id, name, None).await?;
    let mut work = Work::begin(state).await?;
    grants::lock_organization(&work, who.organization.id).await?;
    Giver::now(&work, who)
        .await?
        .may_edit(None, &[], authorities)?;
    let created = role::ActiveModel {
        organization_id: Set(who.organization.id),
        name: Set(name.clone()),
        builtin: Set(false),
        created_at: Set(state.clock.now()),
        ..Default::default()
    }
    .insert(&work)
    .await?;
    for authority in authorities {
        role_authority::ActiveModel {
            role_id: Set(created.id),
            authority: Set(authority.as_str().into()),
        }
        .insert(&work)
        .await?;
    }
    let details = serde_json::json!({ "name": name, "authorities": names(authorities) });
    work.audit(
        Entry::new(
            Action::RoleCreated,
            who.organization.id,
            who.user.id,
            format!("role:{}", created.id),
            meta,
            state.clock.now(),
        )
        .with_details(details),
    );
    work.commit(Invalidate::None).await?;
    Ok(())
}

/// The role, if it is a custom role of the caller's organization.
async fn custom(state: &AppState, who: &Principal, role_id: i64) -> Result<role::Model, AppError> {
    let found = role::Entity::find_by_id(role_id)
        .filter(role::Column::OrganizationId.eq(who.organization.id))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    if found.builtin {
        return Err(AppError::Conflict(Conflict::BuiltinRole));
    }
    Ok(found)
}

pub async fn update(
    state: &AppState,
    who: &Principal,
    role_id: i64,
    name: &str,
    authorities: &[Authority],
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let existing = custom(state, who, role_id).await?;
    let name = valid_name(state, who.organization.id, name, Some(role_id)).await?;
    let mut work = Work::begin(state).await?;
    grants::lock_organization(&work, who.organization.id).await?;
    let current = grants::authorities_of(&work, role_id).await?;
    Giver::now(&work, who)
        .await?
        .may_edit(Some(role_id), &current, authorities)?;
    let mut active: role::ActiveModel = existing.into();
    active.name = Set(name.clone());
    active.update(&work).await?;
    role_authority::Entity::delete_many()
        .filter(role_authority::Column::RoleId.eq(role_id))
        .exec(&work)
        .await?;
    for authority in authorities {
        role_authority::ActiveModel {
            role_id: Set(role_id),
            authority: Set(authority.as_str().into()),
        }
        .insert(&work)
        .await?;
    }
    let details = serde_json::json!({ "name": name, "authorities": names(authorities) });
    work.audit(
        Entry::new(
            Action::RoleEdited,
            who.organization.id,
            who.user.id,
            format!("role:{}", role_id),
            meta,
            state.clock.now(),
        )
        .with_details(details),
    );
    work.commit(Invalidate::Keys).await?;
    Ok(())
}

pub async fn delete(
    state: &AppState,
    who: &Principal,
    role_id: i64,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let existing = custom(state, who, role_id).await?;
    let mut work = Work::begin(state).await?;
    // Counted under the lock: a role given at the same moment is seen.
    grants::lock_organization(&work, who.organization.id).await?;
    let current = grants::authorities_of(&work, role_id).await?;
    Giver::now(&work, who)
        .await?
        .may_delete(role_id, &current)?;
    let holders = membership::Entity::find()
        .filter(membership::Column::RoleId.eq(role_id))
        .count(&work)
        .await?;
    if holders > 0 {
        return Err(AppError::Conflict(Conflict::RoleInUse));
    }
    role::Entity::delete_by_id(role_id).exec(&work).await?;
    let details = serde_json::json!({ "name": existing.name });
    work.audit(
        Entry::new(
            Action::RoleDeleted,
            who.organization.id,
            who.user.id,
            format!("role:{}", role_id),
            meta,
            state.clock.now(),
        )
        .with_details(details),
    );
    work.commit(Invalidate::Keys).await?;
    Ok(())
}
