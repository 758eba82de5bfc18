//! User Management server functions. Each one: guard → service → DTO.
use leptos::prelude::*;

use crate::model::error::AppError;
use crate::model::page::Page;
use crate::model::users::{RoleOption, UserDetails, UserFilter, UserRow};

#[server(prefix = "/rpc", endpoint = "users/list")]
pub async fn list_users(filter: UserFilter) -> Result<Page<UserRow>, AppError> {
    use super::support::call;
    use crate::backend::services::users;
    call(users::LIST, move |c| async move {
        users::list(&c.state, &c.who, &filter).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "users/details")]
pub async fn get_user_details(username: String) -> Result<UserDetails, AppError> {
    use super::support::call;
    use crate::backend::services::users;
    call(users::DETAILS, move |c| async move {
        users::details(&c.state, &c.who, &username).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "users/set-status")]
pub async fn set_user_status(username: String, active: bool) -> Result<(), AppError> {
    use super::support::call;
    use crate::backend::services::users;
    call(users::SET_STATUS, move |c| async move {
        users::set_status(&c.state, &c.who, &username, active, &c.meta).await?;
        leptos_axum::redirect(&format!(
            "/admin/users/{}",
            crate::model::users::urlencode(&username)
        ));
        Ok(())
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "users/set-role")]
pub async fn set_user_role(username: String, role_id: i64) -> Result<(), AppError> {
    use super::support::{call, notify};
    use crate::backend::services::users;
    use crate::model::notice::Notice;
    call(users::SET_ROLE, move |c| async move {
        users::set_role(&c.state, &c.who, &username, role_id, &c.meta).await?;
        notify(&c.state, &Notice::RoleSaved);
        Ok(())
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "users/create-programmatic")]
pub async fn create_programmatic_user(
    username: String,
    name: String,
    password: String,
    role_id: i64,
) -> Result<(), AppError> {
    use super::support::call;
    use crate::backend::services::users;
    call(users::CREATE_PROGRAMMATIC, move |c| async move {
        let new = users::NewProgrammaticUser {
            username,
            name,
            password: password.into(),
            role_id,
        };
        let created = users::create_programmatic(&c.state, &c.who, new, &c.meta).await?;
        leptos_axum::redirect(&format!(
            "/admin/users/{}",
            crate::model::users::urlencode(&created)
        ));
        Ok(())
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "users/roles")]
pub async fn role_options() -> Result<Vec<RoleOption>, AppError> {
    use super::support::call;
    use crate::backend::services::users;
    call(users::ROLE_OPTIONS, move |c| async move {
        users::role_options(&c.state, &c.who).await
    })
    .await
}
