//! Leak reports: when a secret scanner reports a key as found in public,
//! the key remembers when, where and by whom, until its owner rolls it.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    LeakedAt,
    LeakUrl,
    LeakSource,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for column in [
            ColumnDef::new(ApiKeys::LeakedAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
            ColumnDef::new(ApiKeys::LeakUrl)
                .string_len(2048)
                .null()
                .to_owned(),
            ColumnDef::new(ApiKeys::LeakSource)
                .string_len(200)
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ApiKeys::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
