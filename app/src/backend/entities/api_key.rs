use sea_orm::entity::prelude::*;

/// An API key's settings. Its secrets live in `api_key_secrets`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    /// The owner: the user who generated it.
    pub user_id: i64,
    pub name: String,
    pub description: String,
    pub enabled: bool,
    pub expires_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// The Create form's one-time token: a double submit makes one key.
    pub request_token: Option<String>,
    pub last_used_at: Option<DateTimeUtc>,
    pub last_used_ip: Option<String>,
    /// Requests per minute this key may make; `None`: no limit of its own.
    pub rate_limit_per_minute: Option<i32>,
    /// When a secret scanner reported a secret of this key as found in
    /// public; cleared when the key is rolled.
    pub leaked_at: Option<DateTimeUtc>,
    /// Where it was found, as the report said.
    pub leak_url: Option<String>,
    /// Who found it (the report's `source`).
    pub leak_source: Option<String>,
    /// Where the key is accepted from: canonical addresses and ranges, one
    /// per line (see `model::addresses`); `None`: anywhere.
    #[sea_orm(column_type = "Text", nullable)]
    pub allowed_addresses: Option<String>,
    /// A decoy: looks like a key, never works, and every use is an alarm
    /// (`services::decoys`). Never in the key lists.
    pub decoy: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
