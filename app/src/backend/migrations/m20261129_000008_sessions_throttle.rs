//! Session credential versions and sign-in attempt reservations.
//!
//! `users.credential_version` is copied into a session at sign-in and
//! compared on every request: bumping it (a password change) ends every
//! session that carries an older one, even one that a request in flight
//! writes back after it was deleted.
//!
//! `sign_in_attempts` holds one row per scope (`login:…`, `ip:…`,
//! `register:…`) for each password check that was let through, reserved
//! before argon2 runs, so a burst of parallel attempts cannot outrun the
//! count.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    CredentialVersion,
}

#[derive(DeriveIden)]
enum SignInAttempts {
    Table,
    Id,
    Scope,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(big_integer(Users::CredentialVersion).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SignInAttempts::Table)
                    .if_not_exists()
                    .col(big_pk_auto(SignInAttempts::Id))
                    .col(string_len(SignInAttempts::Scope, 200))
                    .col(timestamp_with_time_zone(SignInAttempts::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sign_in_attempts_scope_created")
                    .table(SignInAttempts::Table)
                    .col(SignInAttempts::Scope)
                    .col(SignInAttempts::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sign_in_attempts_created")
                    .table(SignInAttempts::Table)
                    .col(SignInAttempts::CreatedAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SignInAttempts::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::CredentialVersion)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
