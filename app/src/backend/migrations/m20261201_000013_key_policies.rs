//! An organization's key policy: the longest a key may live, whether it must
//! expire, the Create dialog's default expiry, and after how many unused
//! days a key is disabled. No row: no policy.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum KeyPolicies {
    Table,
    OrganizationId,
    MaxLifetimeDays,
    ExpiryRequired,
    DefaultExpiry,
    DisableUnusedDays,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(KeyPolicies::Table)
                    .col(
                        ColumnDef::new(KeyPolicies::OrganizationId)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(integer_null(KeyPolicies::MaxLifetimeDays))
                    .col(boolean(KeyPolicies::ExpiryRequired))
                    .col(string_len(KeyPolicies::DefaultExpiry, 8))
                    .col(integer_null(KeyPolicies::DisableUnusedDays))
                    .col(timestamp_with_time_zone(KeyPolicies::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(KeyPolicies::Table, KeyPolicies::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }
}
