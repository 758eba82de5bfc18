//! Roles as the Roles page sees them.
use serde::{Deserialize, Serialize};

use super::authz::Authority;

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
