//! Keys that outlive their owner: the "Transfer to…" form of User Account
//! Details, for a member who is no longer active.
use serde::{Deserialize, Serialize};

/// Who may receive a departed member's keys: an active member (a person or
/// a programmatic user) whose role holds Manage User API Key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferTarget {
    pub username: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferForm {
    /// The departed member's keys in this organization.
    pub keys: u64,
    pub targets: Vec<TransferTarget>,
}
