//! Roles and their authorities (`/admin/roles`, Manage Roles).
use leptos::prelude::*;

use crate::model::error::AppError;
use crate::model::roles::{AuthorityBoxes, RoleInfo};

#[server(prefix = "/rpc", endpoint = "roles/list")]
pub async fn list_roles() -> Result<Vec<RoleInfo>, AppError> {
    use super::support::call;
    use crate::backend::services::roles;
    call(roles::LIST, move |c| async move {
        roles::list(&c.state, &c.who).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "roles/create")]
pub async fn create_role(
    name: String,
    #[server(flatten)] boxes: AuthorityBoxes,
) -> Result<(), AppError> {
    use super::support::call;
    use crate::backend::services::roles;
    call(roles::CREATE, move |c| async move {
        roles::create(&c.state, &c.who, &name, &boxes.ticked(), &c.meta).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "roles/update")]
pub async fn update_role(
    role_id: i64,
    name: String,
    #[server(flatten)] boxes: AuthorityBoxes,
) -> Result<(), AppError> {
    use super::support::call;
    use crate::backend::services::roles;
    call(roles::UPDATE, move |c| async move {
        roles::update(&c.state, &c.who, role_id, &name, &boxes.ticked(), &c.meta).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "roles/delete")]
pub async fn delete_role(role_id: i64) -> Result<(), AppError> {
    use super::support::call;
    use crate::backend::services::roles;
    call(roles::DELETE, move |c| async move {
        roles::delete(&c.state, &c.who, role_id, &c.meta).await?;
        leptos_axum::redirect("/admin/roles");
        Ok(())
    })
    .await
}
