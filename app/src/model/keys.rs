//! What the API key pages receive: plain data. The secret appears only in
//! [`GeneratedKey`], the answer of the one call that creates it.
use serde::{Deserialize, Serialize};

use super::page::Page;
use super::policy::KeyPolicy;
use super::text_enum::text_enum;

/// Whether a key works now, and if not, the first reason why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeyStatus {
    Active,
    /// A secret scanner reported it as found in public; it works again
    /// only once rolled (and enabled).
    Leaked,
    Disabled,
    Expired,
    OwnerInactive,
    PublicApiOff,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "active",
            KeyStatus::Leaked => "leaked",
            KeyStatus::Disabled => "disabled",
            KeyStatus::Expired => "expired",
            KeyStatus::OwnerInactive => "owner_inactive",
            KeyStatus::PublicApiOff => "public_api_off",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiSetInfo {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub builtin: bool,
    /// How many keys of the organization use it.
    pub keys: u64,
}

/// A rolled secret that still works until `until`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraceSecret {
    pub visible_start: String,
    pub until: String,
    pub last_used_at: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// `kh_` and four characters.
    pub visible_start: String,
    pub api_sets: Vec<String>,
    pub status: KeyStatus,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub last_used_ip: Option<String>,
    pub expires_at: Option<String>,
    /// Expires within seven days.
    pub expiring_soon: bool,
    pub owner: String,
    pub owner_name: String,
    pub is_own: bool,
    pub grace: Vec<GraceSecret>,
    /// Where the key is accepted from (canonical addresses and CIDR
    /// ranges); empty: anywhere.
    pub allowed_addresses: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyListing {
    /// Flattened: `rows`, `page`, `pages` and `total` stay at the top of
    /// the answer, beside the fields below.
    #[serde(flatten)]
    pub keys: Page<KeyRow>,
    /// The caller may generate keys (Manage User API Key).
    pub may_create: bool,
    /// The caller sees every key of the organization (Manage All API Keys).
    pub may_manage_all: bool,
    /// Usernames that own keys, for the owner filter (only with
    /// Manage All API Keys).
    pub owners: Vec<String>,
    /// The list is of the caller's own keys (no other owner asked for).
    pub owner_is_self: bool,
    /// The organization's key policy (the Roll dialog's Expires choices).
    pub policy: KeyPolicy,
    /// The caller's own keys that stop working within 7 days, soonest
    /// first (the list's banner).
    pub expiring: Vec<ExpiringKey>,
}

/// One of the caller's keys that stops working within 7 days.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiringKey {
    pub id: i64,
    pub name: String,
    /// RFC 3339.
    pub expires_at: String,
}

text_enum! {
    /// Whose keys a list shows.
    #[derive(Default)]
    pub enum KeyScope {
        /// The caller's own.
        #[default]
        Mine = "mine",
        /// Every key of the organization (Manage All API Keys).
        All = "all",
    }
}

/// Which keys to list; `owner` narrows [`KeyScope::All`] to one user.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct KeyFilter {
    pub scope: KeyScope,
    pub owner: String,
    pub page: u64,
}

/// The one answer that carries a key in plain text.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratedKey {
    pub id: i64,
    pub name: String,
    pub key: String,
    pub organization: String,
    pub api_sets: Vec<String>,
    pub created_at: String,
    /// Not an API key: a webhook endpoint's signing secret (`name` is its
    /// URL), handed over the same way to the Webhooks page.
    #[serde(default)]
    pub webhook: bool,
}

impl std::fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("key", &"…")
            .finish()
    }
}

text_enum! {
    /// Where a secret of a key is in its life.
    pub enum SecretState {
        /// The one the key was last given (not rolled).
        Current = "current",
        /// Rolled, and still works until its grace period ends.
        Grace = "grace",
        /// Rolled, and no longer works.
        Retired = "retired",
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretRow {
    pub visible_start: String,
    pub created_at: String,
    pub state: SecretState,
    pub grace_until: Option<String>,
    pub last_used_at: Option<String>,
    pub last_used_ip: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyDetails {
    pub key: KeyRow,
    pub secrets: Vec<SecretRow>,
    pub may_roll: bool,
    pub may_change: bool,
    /// The caller may set the key's rate limit.
    pub may_set_rate_limit: bool,
    /// Requests per minute; `None`: no limit of its own.
    pub rate_limit_per_minute: Option<u32>,
    /// Ranges its use over the last 30 days suggests, not yet allowed.
    pub suggested_addresses: Vec<String>,
    /// The last 30 days, oldest first, every day present.
    pub usage: Vec<UsageDay>,
    /// Addresses the key was used from, latest first.
    pub used_from: Vec<UsedFrom>,
    /// A secret scanner's report that a secret of this key is public.
    pub leak: Option<KeyLeak>,
    /// The organization's key policy (the Roll dialog's Expires choices).
    pub policy: KeyPolicy,
    /// While a rolled secret still works: how far its callers have moved.
    pub rotation: Option<super::rotation::Rotation>,
}

/// Where and when a secret of a key was reported as found in public.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyLeak {
    /// RFC 3339, UTC.
    pub at: String,
    /// Where it was found, as the report said (may be empty).
    pub url: String,
    /// Who found it, as the report said (may be empty).
    pub source: String,
}

/// Requests a key made on one day (UTC).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageDay {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub requests: u64,
    /// Requests refused for coming from an address not allowed.
    pub refused: u64,
}

/// A client address a key was used from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsedFrom {
    pub ip: String,
    pub requests: u64,
    /// RFC 3339, UTC.
    pub last_used_at: String,
}

/// The largest per-key rate limit that can be set (requests per minute).
pub const RATE_LIMIT_MAX: u32 = 1_000_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicApiState {
    pub enabled: bool,
    pub may_change: bool,
    /// The organization's identifier (slug), which forward-auth names.
    pub slug: String,
    /// This instance's address as the browser reached it, for the proxy
    /// configurations.
    pub base_url: String,
    /// The slugs of the API sets a proxy may require (built-in and the
    /// organization's own).
    pub api_sets: Vec<String>,
}

/// What the Create API key dialog needs: the API sets to choose from and a
/// one-time token that makes a double-submitted form create one key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateKeyForm {
    pub api_sets: Vec<ApiSetInfo>,
    pub request_token: String,
    /// What the Expires field may offer, and starts on.
    pub policy: KeyPolicy,
}

/// Choices of the Expires field.
pub const EXPIRY_CHOICES: [&str; 5] = ["never", "30", "90", "365", "date"];
/// Choices of the roll's grace period, in hours.
pub const GRACE_CHOICES: [u32; 4] = [0, 1, 24, 168];
pub const DESCRIPTION_MAX: usize = 500;

/// A decoy key as the Decoys list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecoyRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// `kh_` and four characters.
    pub visible_start: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// How many times it was presented (alarms recorded).
    pub triggers: u64,
    pub last_triggered_at: Option<String>,
    pub last_triggered_from: Option<String>,
}

text_enum! {
    /// What the key list does to the keys ticked in it.
    pub enum BulkAction {
        Disable = "disable",
        Enable = "enable",
        Delete = "delete",
    }
}

/// The most keys one bulk action takes (a page of the list).
pub const BULK_MAX: usize = 100;
