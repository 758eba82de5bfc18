//! Invitations as the pages see them.
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationRow {
    pub id: i64,
    pub contact: String,
    pub contact_kind: String,
    pub role: String,
    pub expires_at: String,
}
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationPreview {
    pub organization: String,
    pub role: String,
    pub contact: String,
    pub contact_kind: String,
}
