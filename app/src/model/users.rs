//! What the user pages receive: plain data, no entities, no hashes.
use serde::{Deserialize, Serialize};

use super::text_enum::text_enum;

text_enum! {
    stored
    /// Whether a user (everywhere) or a membership (in one organization)
    /// may sign in and act; stored as `active`/`inactive`.
    pub enum UserStatus {
        Active = "active",
        Inactive = "inactive",
    }
}

text_enum! {
    stored
    /// A person, or an account for a program (no password sign-in).
    pub enum UserKind {
        Human = "human",
        Programmatic = "programmatic",
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub username: String,
    pub name: String,
    pub email: Option<String>,
    pub kind: UserKind,
    pub role: String,
    /// In this organization (an inactive user is inactive everywhere).
    pub status: UserStatus,
    /// RFC 3339, UTC.
    pub last_sign_in_at: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleOption {
    pub id: i64,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDetails {
    pub user: UserRow,
    pub role_id: i64,
    pub member_since: String,
    pub roles: Vec<RoleOption>,
    /// The user's memberships in the organizations the viewer also belongs
    /// to (another organization's membership is not the viewer's business).
    pub memberships: Vec<MembershipRow>,
    pub is_self: bool,
    pub may_manage_users: bool,
    pub may_manage_roles: bool,
    /// The viewer's key authorities: the API Keys section shows only with
    /// Manage User API Key; another user's keys only with Manage All.
    pub may_manage_user_api_key: bool,
    pub may_manage_all_api_keys: bool,
}

/// Filters of the User Management table (all optional).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserFilter {
    pub search: String,
    pub status: Option<UserStatus>,
    pub kind: Option<UserKind>,
    pub page: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipRow {
    pub organization: String,
    pub role: String,
    /// In that organization.
    pub status: UserStatus,
    /// RFC 3339, UTC.
    pub since: String,
    pub current: bool,
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
