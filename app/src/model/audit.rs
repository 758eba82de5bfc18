//! The audit log as the pages and the HTTP API see it.
use serde::{Deserialize, Serialize};

use super::text_enum::text_enum;

text_enum! {
    /// Every action the log records, stored as its text; never a secret.
    /// [`Action::ALL`] is what the log's filter offers.
    pub enum Action {
        SignInSuccess = "sign_in.success",
        SignInFailure = "sign_in.failure",
        SignInThrottled = "sign_in.throttled",
        SignOut = "sign_out",
        OrganizationCreated = "organization.created",
        OrganizationSlugChanged = "organization.slug_changed",
        UserCreated = "user.created",
        UserActivated = "user.activated",
        UserDeactivated = "user.deactivated",
        RoleChanged = "role.changed",
        RoleCreated = "role.created",
        RoleEdited = "role.edited",
        RoleDeleted = "role.deleted",
        PasswordChanged = "password.changed",
        UserInvited = "user.invited",
        UserJoined = "user.joined",
        InvitationRevoked = "invitation.revoked",
        KeyCreated = "key.created",
        KeyDisabled = "key.disabled",
        KeyEnabled = "key.enabled",
        KeyDeleted = "key.deleted",
        KeyRolled = "key.rolled",
        KeyGraceEnded = "key.grace_ended",
        PublicApiEnabled = "public_api.enabled",
        PublicApiDisabled = "public_api.disabled",
        ApiSetCreated = "api_set.created",
        ApiSetDeleted = "api_set.deleted",
        KeyRateLimitChanged = "key.rate_limit_changed",
        UserTokenCreated = "user_token.created",
        KeyLeaked = "key.leaked",
        KeyAddressesChanged = "key.allowed_addresses_changed",
        DecoyCreated = "decoy.created",
        DecoyDeleted = "decoy.deleted",
        /// High severity: someone presented a decoy key.
        DecoyUsed = "key.decoy_used",
        KeyPolicyChanged = "key_policy.changed",
        KeyExpiryShortened = "key.expiry_shortened",
        WebhookCreated = "webhook.created",
        WebhookDeleted = "webhook.deleted",
        KeyTransferred = "key.transferred",
        /// A key went over its own rate limit (at most one an hour).
        KeyRateLimited = "key.rate_limited",
        /// A rolled secret stopped working: unused for an hour, or its
        /// grace period ran out (by the system).
        KeySecretRetired = "key.secret_retired",
    }
}

/// Filters of the audit log (empty: any), read from a query by
/// [`AuditFilter::parse`](crate::model::filter).
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

#[cfg(test)]
mod tests {
    use super::Action;

    /// Whether `action` is in [`Action::ALL`]. The match has no wildcard:
    /// a new action does not compile until it is listed here, and then the
    /// test fails until it is in `ALL` too.
    fn listed(action: Action) -> bool {
        match action {
            Action::SignInSuccess
            | Action::SignInFailure
            | Action::SignInThrottled
            | Action::SignOut
            | Action::OrganizationCreated
            | Action::OrganizationSlugChanged
            | Action::UserCreated
            | Action::UserActivated
            | Action::UserDeactivated
            | Action::RoleChanged
            | Action::RoleCreated
            | Action::RoleEdited
            | Action::RoleDeleted
            | Action::PasswordChanged
            | Action::UserInvited
            | Action::UserJoined
            | Action::InvitationRevoked
            | Action::KeyCreated
            | Action::KeyDisabled
            | Action::KeyEnabled
            | Action::KeyDeleted
            | Action::KeyRolled
            | Action::KeyGraceEnded
            | Action::PublicApiEnabled
            | Action::PublicApiDisabled
            | Action::ApiSetCreated
            | Action::ApiSetDeleted
            | Action::KeyRateLimitChanged
            | Action::UserTokenCreated
            | Action::KeyLeaked
            | Action::KeyAddressesChanged
            | Action::DecoyCreated
            | Action::DecoyDeleted
            | Action::DecoyUsed
            | Action::KeyPolicyChanged
            | Action::KeyExpiryShortened
            | Action::WebhookCreated
            | Action::WebhookDeleted
            | Action::KeyTransferred
            | Action::KeyRateLimited
            | Action::KeySecretRetired => Action::ALL.contains(&action),
        }
    }

    #[test]
    fn all_lists_every_action_once_with_a_unique_text() {
        const EVERY: [Action; 41] = [
            Action::SignInSuccess,
            Action::SignInFailure,
            Action::SignInThrottled,
            Action::SignOut,
            Action::OrganizationCreated,
            Action::OrganizationSlugChanged,
            Action::UserCreated,
            Action::UserActivated,
            Action::UserDeactivated,
            Action::RoleChanged,
            Action::RoleCreated,
            Action::RoleEdited,
            Action::RoleDeleted,
            Action::PasswordChanged,
            Action::UserInvited,
            Action::UserJoined,
            Action::InvitationRevoked,
            Action::KeyCreated,
            Action::KeyDisabled,
            Action::KeyEnabled,
            Action::KeyDeleted,
            Action::KeyRolled,
            Action::KeyGraceEnded,
            Action::PublicApiEnabled,
            Action::PublicApiDisabled,
            Action::ApiSetCreated,
            Action::ApiSetDeleted,
            Action::KeyRateLimitChanged,
            Action::UserTokenCreated,
            Action::KeyLeaked,
            Action::KeyAddressesChanged,
            Action::DecoyCreated,
            Action::DecoyDeleted,
            Action::DecoyUsed,
            Action::KeyPolicyChanged,
            Action::KeyExpiryShortened,
            Action::WebhookCreated,
            Action::WebhookDeleted,
            Action::KeyTransferred,
            Action::KeyRateLimited,
            Action::KeySecretRetired,
        ];
        assert!(EVERY.iter().all(|a| listed(*a)));
        assert_eq!(Action::ALL.len(), EVERY.len());
        let mut texts: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
        texts.sort_unstable();
        texts.dedup();
        assert_eq!(texts.len(), Action::ALL.len(), "two actions share a text");
    }
}
