use sea_orm::entity::prelude::*;

/// An e-mail to a key's owner that the key expires soon: written once per
/// key, stage and expiry by the housekeeping round, then sent (and retried)
/// over `KEYHOUSE_SMTP_URL`. Never carries a secret.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "key_mails")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub api_key_id: i64,
    pub organization_id: i64,
    pub to_address: String,
    /// `expiring7` or `expiring1`.
    pub stage: String,
    /// The expiry it tells of: a key given a new one is told again.
    pub expires_at: DateTimeUtc,
    pub subject: String,
    pub body: String,
    pub created_at: DateTimeUtc,
    /// `pending`, `sent`, `failed` or `skipped` (the key's expiry changed).
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTimeUtc>,
    /// A sender took it until then (so two never send it at once).
    pub lease_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
