//! Who the browser is signed in as.
use serde::{Deserialize, Serialize};

use super::authz::Authority;

/// The signed-in user as the browser may see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub username: String,
    pub name: String,
    pub organization: String,
    pub role: String,
    pub authorities: Vec<Authority>,
    /// Every organization the user may act in (the switcher's choices).
    pub organizations: Vec<OrgChoice>,
}
/// An organization the signed-in user may act in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgChoice {
    pub id: i64,
    pub name: String,
    pub current: bool,
}
