//! The expiry e-mail to a key's owner (an outbox of its own), and rotation
//! that finishes itself: a rolled secret may retire once unused for an
//! hour, each secret's requests per hour and the addresses still using a
//! rolled secret are kept, and every retirement is audited once.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum KeyMails {
    Table,
    Id,
    ApiKeyId,
    OrganizationId,
    ToAddress,
    Stage,
    ExpiresAt,
    Subject,
    Body,
    CreatedAt,
    State,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LastError,
    SentAt,
}

#[derive(DeriveIden)]
enum ApiKeySecrets {
    Table,
    Id,
    RetireWhenUnused,
    RetiredAt,
    SupersededAt,
    GraceUntil,
}

#[derive(DeriveIden)]
enum ApiKeySecretHours {
    Table,
    SecretId,
    Hour,
    Requests,
}

#[derive(DeriveIden)]
enum ApiKeySecretIps {
    Table,
    SecretId,
    Ip,
    Requests,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(KeyMails::Table)
                    .col(big_pk_auto(KeyMails::Id))
                    .col(big_integer(KeyMails::ApiKeyId))
                    .col(big_integer(KeyMails::OrganizationId))
                    .col(string_len(KeyMails::ToAddress, 320))
                    .col(string_len(KeyMails::Stage, 16))
                    .col(timestamp_with_time_zone(KeyMails::ExpiresAt))
                    .col(string_len(KeyMails::Subject, 500))
                    .col(text(KeyMails::Body))
                    .col(timestamp_with_time_zone(KeyMails::CreatedAt))
                    .col(string_len(KeyMails::State, 16))
                    .col(integer(KeyMails::Attempts).default(0))
                    .col(timestamp_with_time_zone_null(KeyMails::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(KeyMails::LeaseUntil))
                    .col(string_len_null(KeyMails::LastError, 300))
                    .col(timestamp_with_time_zone_null(KeyMails::SentAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(KeyMails::Table, KeyMails::ApiKeyId)
                            .to(ApiKeys::Table, ApiKeys::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Once per key, stage and expiry, however many rounds see it.
        manager
            .create_index(
                Index::create()
                    .name("key_mails_once")
                    .table(KeyMails::Table)
                    .col(KeyMails::ApiKeyId)
                    .col(KeyMails::Stage)
                    .col(KeyMails::ExpiresAt)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("key_mails_due")
                    .table(KeyMails::Table)
                    .col(KeyMails::State)
                    .col(KeyMails::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ApiKeySecrets::Table)
                    .add_column(boolean(ApiKeySecrets::RetireWhenUnused).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ApiKeySecrets::Table)
                    .add_column(timestamp_with_time_zone_null(ApiKeySecrets::RetiredAt))
                    .to_owned(),
            )
            .await?;
        // Secrets whose grace ran out before this release: their retirement
        // is not told (those still in grace are, when it ends).
        manager
            .exec_stmt(
                Query::update()
                    .table(ApiKeySecrets::Table)
                    .value(
                        ApiKeySecrets::RetiredAt,
                        Expr::col(ApiKeySecrets::GraceUntil),
                    )
                    .and_where(Expr::col(ApiKeySecrets::SupersededAt).is_not_null())
                    .and_where(Expr::col(ApiKeySecrets::GraceUntil).lte(chrono::Utc::now()))
                    .to_owned(),
            )
            .await?;
        // The five-minute rounds: rolled secrets not yet retired (a partial
        // index, the same text on SQLite and PostgreSQL; current secrets,
        // nearly all rows, are not in it), and keys by expiry (the expiry
        // e-mail and webhook events).
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE INDEX api_key_secrets_rolled ON api_key_secrets (grace_until) \
             WHERE superseded_at IS NOT NULL AND retired_at IS NULL",
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("api_keys_expires_at")
                    .table(ApiKeys::Table)
                    .col(ApiKeys::ExpiresAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiKeySecretHours::Table)
                    .col(big_integer(ApiKeySecretHours::SecretId))
                    .col(timestamp_with_time_zone(ApiKeySecretHours::Hour))
                    .col(big_integer(ApiKeySecretHours::Requests).default(0))
                    .primary_key(
                        Index::create()
                            .col(ApiKeySecretHours::SecretId)
                            .col(ApiKeySecretHours::Hour),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiKeySecretHours::Table, ApiKeySecretHours::SecretId)
                            .to(ApiKeySecrets::Table, ApiKeySecrets::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("api_key_secret_hours_hour")
                    .table(ApiKeySecretHours::Table)
                    .col(ApiKeySecretHours::Hour)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiKeySecretIps::Table)
                    .col(big_integer(ApiKeySecretIps::SecretId))
                    .col(string_len(ApiKeySecretIps::Ip, 45))
                    .col(big_integer(ApiKeySecretIps::Requests).default(0))
                    .col(timestamp_with_time_zone(ApiKeySecretIps::LastUsedAt))
                    .primary_key(
                        Index::create()
                            .col(ApiKeySecretIps::SecretId)
                            .col(ApiKeySecretIps::Ip),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiKeySecretIps::Table, ApiKeySecretIps::SecretId)
                            .to(ApiKeySecrets::Table, ApiKeySecrets::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }
}
