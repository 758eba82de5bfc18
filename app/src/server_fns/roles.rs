//! Roles and their authorities (`/admin/roles`, Manage Roles).
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::authz::Authority;
use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleInfo {
    pub id: i64,
    pub name: String,
    pub builtin: bool,
    pub authorities: Vec<Authority>,
    pub members: u64,
    /// The caller holds this role: nobody edits or deletes their own.
    #[serde(default)]
    pub yours: bool,
}

/// Checkbox fields as a form sends them: present ("on") when ticked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorityBoxes {
    #[serde(default)]
    pub manage_users: Option<String>,
    #[serde(default)]
    pub manage_roles: Option<String>,
    #[serde(default)]
    pub manage_user_api_key: Option<String>,
    #[serde(default)]
    pub manage_all_api_keys: Option<String>,
    #[serde(default)]
    pub manage_integrations: Option<String>,
    #[serde(default)]
    pub view_audit_log: Option<String>,
}

impl AuthorityBoxes {
    pub fn ticked(&self) -> Vec<Authority> {
        [
            (&self.manage_users, Authority::ManageUsers),
            (&self.manage_roles, Authority::ManageRoles),
            (&self.manage_user_api_key, Authority::ManageUserApiKey),
            (&self.manage_all_api_keys, Authority::ManageAllApiKeys),
            (&self.manage_integrations, Authority::ManageIntegrations),
            (&self.view_audit_log, Authority::ViewAuditLog),
        ]
        .into_iter()
        .filter(|(value, _)| value.is_some())
        .map(|(_, authority)| authority)
        .collect()
    }
}

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
