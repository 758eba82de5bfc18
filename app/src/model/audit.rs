//! The audit log as the pages and the HTTP API see it.
use serde::{Deserialize, Serialize};

/// Every action the log records, as stored.
pub const ACTIONS: &[&str] = &[
    "sign_in.success",
    "sign_in.failure",
    "sign_in.throttled",
    "sign_out",
    "organization.created",
    "organization.slug_changed",
    "user.created",
    "user.activated",
    "user.deactivated",
    "role.changed",
    "role.created",
    "role.edited",
    "role.deleted",
    "password.changed",
    "user.invited",
    "user.joined",
    "invitation.revoked",
    "key.created",
    "key.disabled",
    "key.enabled",
    "key.deleted",
    "key.rolled",
    "key.grace_ended",
    "public_api.enabled",
    "public_api.disabled",
    "api_set.created",
    "api_set.deleted",
    "key.rate_limit_changed",
    "user_token.created",
];
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    pub actor: String,
    pub action: String,
    /// `YYYY-MM-DD`, inclusive, UTC.
    pub from: String,
    /// `YYYY-MM-DD`, inclusive, UTC.
    pub to: String,
    pub page: u64,
}
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub actor: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    pub page: u64,
    pub pages: u64,
    pub total: u64,
}
