//! User Management server functions. Each one: guard → service → DTO.
use leptos::prelude::*;

use crate::model::error::AppError;
use crate::model::users::{RoleOption, UserDetails, UserFilter, UserPage};

#[server(endpoint = "users/list")]
pub async fn list_users(filter: UserFilter) -> Result<UserPage, AppError> {
    use super::support::fail;
    use crate::backend::{auth::guard::require, services::users, state::app_state};
    use crate::model::authz::Authority;
    async {
        let who = require(Authority::ManageUsers).await?;
        users::list(&app_state()?, &who, &filter).await
    }
    .await
    .map_err(fail)
}

#[server(endpoint = "users/details")]
pub async fn get_user_details(username: String) -> Result<UserDetails, AppError> {
    use super::support::fail;
    use crate::backend::{auth::guard::require, services::users, state::app_state};
    use crate::model::authz::Authority;
    async {
        let who = require(Authority::ManageUsers).await?;
        users::details(&app_state()?, &who, &username).await
    }
    .await
    .map_err(fail)
}

#[server(endpoint = "users/set-status")]
pub async fn set_user_status(username: String, active: bool) -> Result<(), AppError> {
    use super::support::{fail, request_meta};
    use crate::backend::{auth::guard::require, services::users, state::app_state};
    use crate::model::authz::Authority;
    async {
        let who = require(Authority::ManageUsers).await?;
        users::set_status(
            &app_state()?,
            &who,
            &username,
            active,
            &request_meta().await,
        )
        .await?;
        leptos_axum::redirect(&format!(
            "/admin/users/{}",
            crate::model::users::urlencode(&username)
        ));
        Ok(())
    }
    .await
    .map_err(fail)
}

#[server(endpoint = "users/set-role")]
pub async fn set_user_role(username: String, role_id: i64) -> Result<(), AppError> {
    use super::support::{fail, request_meta};
    use crate::backend::{auth::guard::require, services::users, state::app_state};
    use crate::model::authz::Authority;
    async {
        let who = require(Authority::ManageRoles).await?;
        users::set_role(
            &app_state()?,
            &who,
            &username,
            role_id,
            &request_meta().await,
        )
        .await
    }
    .await
    .map_err(fail)
}

#[server(endpoint = "users/create-programmatic")]
pub async fn create_programmatic_user(
    username: String,
    name: String,
    password: String,
    role_id: i64,
) -> Result<(), AppError> {
    use super::support::{fail, request_meta};
    use crate::backend::{auth::guard::require, services::users, state::app_state};
    use crate::model::authz::Authority;
    async {
        let who = require(Authority::ManageUsers).await?;
        let new = users::NewProgrammaticUser {
            username,
            name,
            password: password.into(),
            role_id,
        };
        let created =
            users::create_programmatic(&app_state()?, &who, new, &request_meta().await).await?;
        leptos_axum::redirect(&format!(
            "/admin/users/{}",
            crate::model::users::urlencode(&created)
        ));
        Ok(())
    }
    .await
    .map_err(fail)
}

#[server(endpoint = "users/roles")]
pub async fn role_options() -> Result<Vec<RoleOption>, AppError> {
    use super::support::fail;
    use crate::backend::{auth::guard::require, services::users, state::app_state};
    use crate::model::authz::Authority;
    async {
        let who = require(Authority::ManageUsers).await?;
        users::role_options(&app_state()?, &who).await
    }
    .await
    .map_err(fail)
}
