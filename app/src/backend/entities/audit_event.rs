use sea_orm::entity::prelude::*;

/// One line of the audit log: who did what, to whom, when and from where.
/// Never holds a secret.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    /// What happened, e.g. `sign_in.success`, `key.disabled`.
    pub action: String,
    /// What it happened to, e.g. `user:42`.
    pub target: Option<String>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    /// Extra detail as JSON text (no secrets).
    pub details: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
