//! Roles and their authorities (`/admin/roles`, Manage Roles).
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::model::authz::Authority;
use crate::model::error::AppError;
use crate::model::roles::{AuthorityBoxes, RoleInfo};

#[server(endpoint = "roles/list")]
pub async fn list_roles() -> Result<Vec<RoleInfo>, AppError> {
    use super::support::fail;
    use crate::backend::{auth::guard::require, services::roles, state::app_state};
    async {
        let who = require(Authority::ManageRoles).await?;
        roles::list(&app_state()?, &who).await
    }
    .await
    .map_err(fail)
}

#[server(endpoint = "roles/create")]
pub async fn create_role(
    name: String,
    #[server(flatten)] boxes: AuthorityBoxes,
) -> Result<(), AppError> {
    use super::support::{fail, request_meta};
    use crate::backend::{auth::guard::require, services::roles, state::app_state};
    async {
        let who = require(Authority::ManageRoles).await?;
        roles::create(
            &app_state()?,
            &who,
            &name,
            &boxes.ticked(),
            &request_meta().await,
        )
        .await
    }
    .await
    .map_err(fail)
}

#[server(endpoint = "roles/update")]
pub async fn update_role(
    role_id: i64,
    name: String,
    #[server(flatten)] boxes: AuthorityBoxes,
) -> Result<(), AppError> {
    use super::support::{fail, request_meta};
    use crate::backend::{auth::guard::require, services::roles, state::app_state};
    async {
        let who = require(Authority::ManageRoles).await?;
        roles::update(
            &app_state()?,
            &who,
            role_id,
            &name,
            &boxes.ticked(),
            &request_meta().await,
        )
        .await
    }
    .await
    .map_err(fail)
}

#[server(endpoint = "roles/delete")]
pub async fn delete_role(role_id: i64) -> Result<(), AppError> {
    use super::support::{fail, request_meta};
    use crate::backend::{auth::guard::require, services::roles, state::app_state};
    async {
        let who = require(Authority::ManageRoles).await?;
        roles::delete(&app_state()?, &who, role_id, &request_meta().await).await?;
        leptos_axum::redirect("/admin/roles");
        Ok(())
    }
    .await
    .map_err(fail)
}
