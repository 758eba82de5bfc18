//! What the audit log records. Rows are written only by the unit of work
//! ([`super::unit_of_work::Work::audit`]), in the transaction of the change
//! they record, so the row and the change commit (or roll back) together.
use sea_orm::Set;

use super::entities::audit_event;
use super::request_meta::RequestMeta;

pub use crate::model::audit::Action;

pub struct Entry<'a> {
    pub action: Action,
    pub organization_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    pub target: Option<String>,
    pub details: Option<serde_json::Value>,
    pub meta: &'a RequestMeta,
    pub at: chrono::DateTime<chrono::Utc>,
}

impl<'a> Entry<'a> {
    /// `actor` did `action` to `target` in `organization`.
    pub fn new(
        action: Action,
        organization: i64,
        actor: i64,
        target: String,
        meta: &'a RequestMeta,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        Entry {
            action,
            organization_id: Some(organization),
            actor_user_id: Some(actor),
            target: Some(target),
            details: None,
            meta,
            at,
        }
    }

    pub fn with_details(self, details: serde_json::Value) -> Self {
        Entry {
            details: Some(details),
            ..self
        }
    }
}

impl Entry<'_> {
    /// The row this entry becomes.
    pub(super) fn into_row(self) -> audit_event::ActiveModel {
        audit_event::ActiveModel {
            organization_id: Set(self.organization_id),
            actor_user_id: Set(self.actor_user_id),
            action: Set(self.action.as_str().to_owned()),
            target: Set(self.target.map(|t| t.chars().take(200).collect())),
            client_ip: Set(self.meta.client_ip.map(|ip| ip.to_string())),
            user_agent: Set(self.meta.user_agent.clone()),
            details: Set(self.details.map(|d| d.to_string())),
            created_at: Set(self.at),
            ..Default::default()
        }
    }
}
