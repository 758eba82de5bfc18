//! A key's rotation as its page shows it: requests on the rolled secret
//! against the new one, hour by hour, and the addresses still using the
//! rolled one.
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotation {
    /// The rolled secret's visible start.
    pub old_start: String,
    pub new_start: String,
    pub rolled_at: String,
    /// When the rolled secret stops working at the latest.
    pub works_until: String,
    /// It retires once unused for an hour.
    pub retire_when_unused: bool,
    /// Its last use since the roll.
    pub old_last_used_at: Option<String>,
    /// Since the roll's hour, at most the last 24, oldest first.
    pub hours: Vec<RotationHour>,
    /// Latest first.
    pub addresses: Vec<RotationAddress>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationHour {
    /// The hour's start (UTC, RFC 3339).
    pub hour: String,
    pub old: i64,
    pub new: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationAddress {
    pub ip: String,
    pub requests: i64,
    pub last_used_at: String,
}
