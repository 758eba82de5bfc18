use sea_orm::entity::prelude::*;

use crate::model::invitations::ContactKind;

/// An invitation to join an organization. The link's token is never
/// stored, only its SHA-256 (hex).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invitations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    pub role_id: i64,
    /// An e-mail address or a phone number (E.164).
    pub contact: String,
    pub contact_kind: ContactKind,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub invited_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub accepted_at: Option<DateTimeUtc>,
    pub accepted_user_id: Option<i64>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
