use sea_orm::entity::prelude::*;

/// Requests on one secret in one hour (UTC, the hour's start): a rotation's
/// progress, old secret against new. Kept two days.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_key_secret_hours")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub secret_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub hour: DateTimeUtc,
    pub requests: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
