use sea_orm::entity::prelude::*;

/// A password check let through the throttle, counted against `scope`
/// (`login:<login>`, `ip:<address or /64>`, `register:<address or /64>`)
/// for the throttle's window. Reserved before the password is verified; a
/// successful sign-in deletes its own rows, so only failures stay counted.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sign_in_attempts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub scope: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
