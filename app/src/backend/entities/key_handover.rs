use sea_orm::entity::prelude::*;

/// A generated key waiting for its browser's next page, sealed under a key
/// held only in that browser's cookie (see `backend::keys::handover`). `id`
/// is derived from the cookie too, so the row cannot be found without it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "key_handovers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: i64,
    pub organization_id: i64,
    pub sealed: Vec<u8>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
