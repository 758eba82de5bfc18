use sea_orm::entity::prelude::*;

/// Where an organization's webhooks go (Settings → Integrations → Webhooks).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    pub url: String,
    pub description: String,
    /// The event types it asked for, comma-separated, sorted.
    pub events: String,
    /// `whsec_` + base64: the HMAC key of its signatures. Kept, because
    /// every delivery is signed with it; shown only once, at creation.
    pub secret: String,
    pub created_at: DateTimeUtc,
    /// The Add endpoint form's one-time token (double-submit guard).
    pub request_token: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
