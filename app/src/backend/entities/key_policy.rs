use sea_orm::entity::prelude::*;

/// An organization's key policy (Settings → Integrations → Key policy).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "key_policies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: i64,
    /// The longest a key may live from its creation or roll, in days.
    pub max_lifetime_days: Option<i32>,
    /// Every new key must have an expiry (implied by a maximum lifetime).
    pub expiry_required: bool,
    /// The Create dialog's Expires choice: `never`, `30`, `90` or `365`.
    pub default_expiry: String,
    /// Keys unused this many days are disabled by the daily job.
    pub disable_unused_days: Option<i32>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
