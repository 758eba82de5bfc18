//! Writing the audit log. Callers pass the transaction of the change being
//! recorded, so the row and the change commit (or roll back) together.
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

use super::entities::audit_event;
use super::request_meta::RequestMeta;
use crate::model::error::AppError;

/// Every action the log knows. Stored as the string; never a secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    SignInSuccess,
    SignInFailure,
    SignInThrottled,
    SignOut,
    UserCreated,
    UserActivated,
    UserDeactivated,
    RoleChanged,
    RoleCreated,
    RoleEdited,
    RoleDeleted,
    PasswordChanged,
    UserInvited,
    UserJoined,
    InvitationRevoked,
    OrganizationCreated,
    OrganizationSlugChanged,
    KeyCreated,
    KeyDisabled,
    KeyEnabled,
    KeyDeleted,
    KeyRolled,
    KeyGraceEnded,
    PublicApiEnabled,
    PublicApiDisabled,
    ApiSetCreated,
    ApiSetDeleted,
    KeyRateLimitChanged,
    UserTokenCreated,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::SignInSuccess => "sign_in.success",
            Action::SignInFailure => "sign_in.failure",
            Action::SignInThrottled => "sign_in.throttled",
            Action::SignOut => "sign_out",
            Action::UserCreated => "user.created",
            Action::UserActivated => "user.activated",
            Action::UserDeactivated => "user.deactivated",
            Action::RoleChanged => "role.changed",
            Action::RoleCreated => "role.created",
            Action::RoleEdited => "role.edited",
            Action::RoleDeleted => "role.deleted",
            Action::PasswordChanged => "password.changed",
            Action::UserInvited => "user.invited",
            Action::UserJoined => "user.joined",
            Action::InvitationRevoked => "invitation.revoked",
            Action::OrganizationCreated => "organization.created",
            Action::OrganizationSlugChanged => "organization.slug_changed",
            Action::KeyCreated => "key.created",
            Action::KeyDisabled => "key.disabled",
            Action::KeyEnabled => "key.enabled",
            Action::KeyDeleted => "key.deleted",
            Action::KeyRolled => "key.rolled",
            Action::KeyGraceEnded => "key.grace_ended",
            Action::PublicApiEnabled => "public_api.enabled",
            Action::PublicApiDisabled => "public_api.disabled",
            Action::ApiSetCreated => "api_set.created",
            Action::ApiSetDeleted => "api_set.deleted",
            Action::KeyRateLimitChanged => "key.rate_limit_changed",
            Action::UserTokenCreated => "user_token.created",
        }
    }
}

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

pub async fn record<C: ConnectionTrait>(db: &C, entry: Entry<'_>) -> Result<(), AppError> {
    audit_event::ActiveModel {
        organization_id: Set(entry.organization_id),
        actor_user_id: Set(entry.actor_user_id),
        action: Set(entry.action.as_str().to_owned()),
        target: Set(entry.target.map(|t| t.chars().take(200).collect())),
        client_ip: Set(entry.meta.client_ip.map(|ip| ip.to_string())),
        user_agent: Set(entry.meta.user_agent.clone()),
        details: Set(entry.details.map(|d| d.to_string())),
        created_at: Set(entry.at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
