//! Authorities and the built-in roles. Shared by server and browser: the
//! browser uses it only to hide what the server would refuse anyway.
use serde::{Deserialize, Serialize};

/// One thing a role may allow. Stored by [`Authority::as_str`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Authority {
    ManageUsers,
    ManageRoles,
    ManageUserApiKey,
    ManageAllApiKeys,
    ManageIntegrations,
    ViewAuditLog,
}

impl Authority {
    pub const ALL: [Authority; 6] = [
        Authority::ManageUsers,
        Authority::ManageRoles,
        Authority::ManageUserApiKey,
        Authority::ManageAllApiKeys,
        Authority::ManageIntegrations,
        Authority::ViewAuditLog,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Authority::ManageUsers => "manage_users",
            Authority::ManageRoles => "manage_roles",
            Authority::ManageUserApiKey => "manage_user_api_key",
            Authority::ManageAllApiKeys => "manage_all_api_keys",
            Authority::ManageIntegrations => "manage_integrations",
            Authority::ViewAuditLog => "view_audit_log",
        }
    }

    pub fn parse(value: &str) -> Option<Authority> {
        Authority::ALL.into_iter().find(|a| a.as_str() == value)
    }
}

/// The built-in roles every organization starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuiltinRole {
    Admin,
    Developer,
    Member,
}

impl BuiltinRole {
    pub const ALL: [BuiltinRole; 3] = [
        BuiltinRole::Admin,
        BuiltinRole::Developer,
        BuiltinRole::Member,
    ];

    /// Stored name; shown translated in the UI.
    pub fn name(self) -> &'static str {
        match self {
            BuiltinRole::Admin => "Admin",
            BuiltinRole::Developer => "Developer",
            BuiltinRole::Member => "Member",
        }
    }

    pub fn authorities(self) -> &'static [Authority] {
        match self {
            BuiltinRole::Admin => &Authority::ALL,
            BuiltinRole::Developer => &[Authority::ManageUserApiKey],
            BuiltinRole::Member => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorities_round_trip_through_their_stored_names() {
        for authority in Authority::ALL {
            assert_eq!(Authority::parse(authority.as_str()), Some(authority));
        }
        assert_eq!(Authority::parse("root"), None);
    }

    #[test]
    fn builtin_roles_have_the_documented_authorities() {
        assert_eq!(BuiltinRole::Admin.authorities().len(), Authority::ALL.len());
        assert_eq!(
            BuiltinRole::Developer.authorities(),
            &[Authority::ManageUserApiKey]
        );
        assert!(BuiltinRole::Member.authorities().is_empty());
    }
}
