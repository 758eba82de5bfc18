use sea_orm::entity::prelude::*;

use crate::model::users::{UserKind, UserStatus};

/// A person or a programmatic user. `password_hash` is an argon2id PHC
/// string; this entity is never sent to a client (DTOs are).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub username: String,
    pub name: String,
    #[sea_orm(unique)]
    pub email: Option<String>,
    pub kind: UserKind,
    pub password_hash: String,
    /// Inactive: signed out and refused everywhere.
    pub status: UserStatus,
    pub created_at: DateTimeUtc,
    pub last_sign_in_at: Option<DateTimeUtc>,
    /// Copied into a session at sign-in; raised when the password changes,
    /// which ends every session holding an older value.
    pub credential_version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::membership::Entity")]
    Membership,
}

impl Related<super::membership::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Membership.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
