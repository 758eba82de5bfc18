use sea_orm::entity::prelude::*;

/// A tower-sessions record: `data` is the JSON of the session's map,
/// `expires_at` a Unix timestamp in seconds (indexed for the cleanup task).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub data: String,
    pub expires_at: i64,
    /// The signed-in user, copied out of `data` so their sessions can be
    /// found (and ended) without reading every row.
    pub user_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
