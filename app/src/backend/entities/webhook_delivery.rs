use sea_orm::entity::prelude::*;

/// The outbox: one event for one endpoint, written in the transaction of
/// the change it tells of, then sent (and retried) by the sender.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub endpoint_id: i64,
    pub organization_id: i64,
    pub event_type: String,
    /// `webhook-id`: unique per endpoint, the same on every attempt.
    pub message_id: String,
    /// The exact body sent (JSON), signed as it is.
    pub payload: String,
    pub created_at: DateTimeUtc,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTimeUtc>,
    /// A sender took it until then (so two never send it at once).
    pub lease_until: Option<DateTimeUtc>,
    pub last_attempt_at: Option<DateTimeUtc>,
    pub response_status: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
