//! The HTTP API's own tables: requests per key and day, the addresses a key
//! was used from, user tokens (a user acting through a key), and a key's
//! optional rate limit.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    RateLimitPerMinute,
}

#[derive(DeriveIden)]
enum ApiKeyUsageDays {
    Table,
    ApiKeyId,
    Day,
    Requests,
}

#[derive(DeriveIden)]
enum ApiKeyIps {
    Table,
    ApiKeyId,
    Ip,
    Requests,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum UserTokens {
    Table,
    Id,
    TokenHash,
    ApiKeyId,
    UserId,
    OrganizationId,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

fn cascade(
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ApiKeys::Table)
                    .add_column(integer_null(ApiKeys::RateLimitPerMinute))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiKeyUsageDays::Table)
                    .col(big_integer(ApiKeyUsageDays::ApiKeyId))
                    .col(date(ApiKeyUsageDays::Day))
                    .col(big_integer(ApiKeyUsageDays::Requests))
                    .primary_key(
                        Index::create()
                            .col(ApiKeyUsageDays::ApiKeyId)
                            .col(ApiKeyUsageDays::Day),
                    )
                    .foreign_key(&mut cascade(
                        (ApiKeyUsageDays::Table, ApiKeyUsageDays::ApiKeyId),
                        (ApiKeys::Table, ApiKeys::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiKeyIps::Table)
                    .col(big_integer(ApiKeyIps::ApiKeyId))
                    .col(string_len(ApiKeyIps::Ip, 45))
                    .col(big_integer(ApiKeyIps::Requests))
                    .col(timestamp_with_time_zone(ApiKeyIps::LastUsedAt))
                    .primary_key(Index::create().col(ApiKeyIps::ApiKeyId).col(ApiKeyIps::Ip))
                    .foreign_key(&mut cascade(
                        (ApiKeyIps::Table, ApiKeyIps::ApiKeyId),
                        (ApiKeys::Table, ApiKeys::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UserTokens::Table)
                    .col(big_pk_auto(UserTokens::Id))
                    .col(string_len_uniq(UserTokens::TokenHash, 64))
                    .col(big_integer(UserTokens::ApiKeyId))
                    .col(big_integer(UserTokens::UserId))
                    .col(big_integer(UserTokens::OrganizationId))
                    .col(timestamp_with_time_zone(UserTokens::CreatedAt))
                    .col(timestamp_with_time_zone(UserTokens::ExpiresAt))
                    .foreign_key(&mut cascade(
                        (UserTokens::Table, UserTokens::ApiKeyId),
                        (ApiKeys::Table, ApiKeys::Id),
                    ))
                    .foreign_key(&mut cascade(
                        (UserTokens::Table, UserTokens::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut cascade(
                        (UserTokens::Table, UserTokens::OrganizationId),
                        (Organizations::Table, Organizations::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("user_tokens_user")
                    .table(UserTokens::Table)
                    .col(UserTokens::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            UserTokens::Table.into_iden(),
            ApiKeyIps::Table.into_iden(),
            ApiKeyUsageDays::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(ApiKeys::Table)
                    .drop_column(ApiKeys::RateLimitPerMinute)
                    .to_owned(),
            )
            .await
    }
}
