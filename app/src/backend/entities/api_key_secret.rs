use sea_orm::entity::prelude::*;

/// One secret of a key: only its SHA-256 and its visible start. The current
/// secret has no `superseded_at`; a rolled one works until `grace_until`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_key_secrets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub api_key_id: i64,
    #[sea_orm(unique)]
    pub secret_hash: String,
    pub visible_start: String,
    pub created_at: DateTimeUtc,
    pub superseded_at: Option<DateTimeUtc>,
    pub grace_until: Option<DateTimeUtc>,
    pub last_used_at: Option<DateTimeUtc>,
    pub last_used_ip: Option<String>,
    /// Roll's "Retire the old secret when it has not been used for 1 hour".
    pub retire_when_unused: bool,
    /// When its retirement was recorded (`key.secret_retired`, once).
    pub retired_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
