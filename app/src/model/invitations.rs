//! Invitations as the pages see them.
use serde::{Deserialize, Serialize};

use super::text_enum::text_enum;

text_enum! {
    stored
    /// How an invitation reaches the person invited.
    pub enum ContactKind {
        Email = "email",
        /// E.164.
        Phone = "phone",
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationRow {
    pub id: i64,
    pub contact: String,
    pub contact_kind: ContactKind,
    pub role: String,
    pub expires_at: String,
}
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationPreview {
    pub organization: String,
    pub role: String,
    pub contact: String,
    pub contact_kind: ContactKind,
}
