//! What instances sharing one database must share.
//!
//! `key_handovers`: a just-generated key waiting for the next page of a
//! browser that posted a form without JavaScript. Only ever sealed (AES-256-
//! GCM under a key that exists only in that browser's cookie), so the
//! database never holds the plaintext; read once and deleted.
//!
//! `rate_windows` (PostgreSQL only): the one-minute windows of the per-key
//! rate limits and the per-address verify limit, one row per key or
//! address, counted by every instance. UNLOGGED: not written to the WAL, so
//! cheap to update on every request, and emptied by PostgreSQL after a
//! crash (the limits start again from zero; nothing else is lost). On SQLite
//! one process serves the database and counts in memory, as before.
use sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum KeyHandovers {
    Table,
    Id,
    UserId,
    OrganizationId,
    Sealed,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(KeyHandovers::Table)
                    .if_not_exists()
                    .col(string_len(KeyHandovers::Id, 64).primary_key())
                    .col(big_integer(KeyHandovers::UserId))
                    .col(big_integer(KeyHandovers::OrganizationId))
                    .col(blob(KeyHandovers::Sealed))
                    .col(timestamp_with_time_zone(KeyHandovers::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("key_handovers_created")
                    .table(KeyHandovers::Table)
                    .col(KeyHandovers::CreatedAt)
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "CREATE UNLOGGED TABLE IF NOT EXISTS rate_windows (\
                       bucket TEXT PRIMARY KEY, \
                       started TIMESTAMPTZ NOT NULL, \
                       hits BIGINT NOT NULL)",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP TABLE IF EXISTS rate_windows")
                .await?;
        }
        manager
            .drop_table(Table::drop().table(KeyHandovers::Table).to_owned())
            .await
    }
}
