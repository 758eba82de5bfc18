//! User Management server functions. Each one: guard → service → DTO.
use leptos::prelude::*;

use super::users_dto::{RoleOption, UserDetails, UserFilter, UserPage};
use crate::error::AppError;

#[server(endpoint = "users/list")]
pub async fn list_users(filter: UserFilter) -> Result<UserPage, AppError> {
    use super::support::fail;
    use crate::authz::Authority;
    use crate::backend::{auth::guard::require, services::users, state::app_state};
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
    use crate::authz::Authority;
    use crate::backend::{auth::guard::require, services::users, state::app_state};
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
    use crate::authz::Authority;
    use crate::backend::{auth::guard::require, services::users, state::app_state};
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
        leptos_axum::redirect(&format!("/admin/users/{}", urlencode(&username)));
        Ok(())
    }
    .await
    .map_err(fail)
}

#[server(endpoint = "users/set-role")]
pub async fn set_user_role(username: String, role_id: i64) -> Result<(), AppError> {
    use super::support::{fail, request_meta};
    use crate::authz::Authority;
    use crate::backend::{auth::guard::require, services::users, state::app_state};
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
    use crate::authz::Authority;
    use crate::backend::{auth::guard::require, services::users, state::app_state};
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
        leptos_axum::redirect(&format!("/admin/users/{}", urlencode(&created)));
        Ok(())
    }
    .await
    .map_err(fail)
}

#[server(endpoint = "users/roles")]
pub async fn role_options() -> Result<Vec<RoleOption>, AppError> {
    use super::support::fail;
    use crate::authz::Authority;
    use crate::backend::{auth::guard::require, services::users, state::app_state};
    async {
        let who = require(Authority::ManageUsers).await?;
        users::role_options(&app_state()?, &who).await
    }
    .await
    .map_err(fail)
}

/// Percent-encodes a path segment (usernames are `a-z0-9._-` or e-mails).
pub fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'@' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
