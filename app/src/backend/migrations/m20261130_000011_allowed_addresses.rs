//! IP allowlists per key, and the requests refused for coming from
//! elsewhere, counted per day beside the ones accepted.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    /// Canonical entries (`203.0.113.0/24`, `2001:db8::1`), one per line;
    /// `NULL`: anywhere.
    AllowedAddresses,
}

#[derive(DeriveIden)]
enum ApiKeyUsageDays {
    Table,
    Refused,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ApiKeys::Table)
                    .add_column(ColumnDef::new(ApiKeys::AllowedAddresses).text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ApiKeyUsageDays::Table)
                    .add_column(
                        ColumnDef::new(ApiKeyUsageDays::Refused)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await
    }
}
