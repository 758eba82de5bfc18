use sea_orm::entity::prelude::*;

/// A client address a rolled secret was used from during its grace period
/// (what still has to move to the new secret).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_key_secret_ips")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub secret_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub ip: String,
    pub requests: i64,
    pub last_used_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
