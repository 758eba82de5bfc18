//! API keys: the key's settings, its secrets (only SHA-256 is stored; a roll
//! adds a secret and gives the old one a grace period), and API sets (the
//! scopes a key may be used for: Keyhouse's own, and each organization's).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiSets {
    Table,
    Id,
    OrganizationId,
    Slug,
    Name,
    Description,
    Builtin,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    OrganizationId,
    UserId,
    Name,
    Description,
    Enabled,
    ExpiresAt,
    CreatedAt,
    RequestToken,
    LastUsedAt,
    LastUsedIp,
}

#[derive(DeriveIden)]
enum ApiKeySecrets {
    Table,
    Id,
    ApiKeyId,
    SecretHash,
    VisibleStart,
    CreatedAt,
    SupersededAt,
    GraceUntil,
    LastUsedAt,
    LastUsedIp,
}

#[derive(DeriveIden)]
enum ApiKeyApiSets {
    Table,
    ApiKeyId,
    ApiSetId,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

/// Keyhouse's own API, as API sets every organization has.
const BUILTIN_SETS: [(&str, &str, &str); 5] = [
    ("keys:read", "Keys: read", "List and read API keys."),
    (
        "keys:write",
        "Keys: write",
        "Disable, enable and delete API keys.",
    ),
    ("users:read", "Users: read", "List and read users."),
    (
        "users:write",
        "Users: write",
        "Activate and deactivate users.",
    ),
    ("audit:read", "Audit log: read", "Read the audit log."),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApiSets::Table)
                    .col(big_pk_auto(ApiSets::Id))
                    .col(big_integer_null(ApiSets::OrganizationId))
                    .col(string_len(ApiSets::Slug, 64))
                    .col(string_len(ApiSets::Name, 100))
                    .col(string_len(ApiSets::Description, 500))
                    .col(boolean(ApiSets::Builtin))
                    .col(timestamp_with_time_zone(ApiSets::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiSets::Table, ApiSets::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("api_sets_org_slug")
                    .table(ApiSets::Table)
                    .col(ApiSets::OrganizationId)
                    .col(ApiSets::Slug)
                    .unique()
                    .to_owned(),
            )
            .await?;
        let mut seed = Query::insert()
            .into_table(ApiSets::Table)
            .columns([
                ApiSets::Slug,
                ApiSets::Name,
                ApiSets::Description,
                ApiSets::Builtin,
                ApiSets::CreatedAt,
            ])
            .to_owned();
        for (slug, name, description) in BUILTIN_SETS {
            seed.values_panic([
                slug.into(),
                name.into(),
                description.into(),
                true.into(),
                Expr::current_timestamp(),
            ]);
        }
        manager.exec_stmt(seed).await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(big_pk_auto(ApiKeys::Id))
                    .col(big_integer(ApiKeys::OrganizationId))
                    .col(big_integer(ApiKeys::UserId))
                    .col(string_len(ApiKeys::Name, 100))
                    .col(string_len(ApiKeys::Description, 500))
                    .col(boolean(ApiKeys::Enabled))
                    .col(timestamp_with_time_zone_null(ApiKeys::ExpiresAt))
                    .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                    .col(string_len_null(ApiKeys::RequestToken, 64))
                    .col(timestamp_with_time_zone_null(ApiKeys::LastUsedAt))
                    .col(string_len_null(ApiKeys::LastUsedIp, 45))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiKeys::Table, ApiKeys::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiKeys::Table, ApiKeys::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A double-submitted Create form carries the same token: one key.
        manager
            .create_index(
                Index::create()
                    .name("api_keys_user_request")
                    .table(ApiKeys::Table)
                    .col(ApiKeys::UserId)
                    .col(ApiKeys::RequestToken)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("api_keys_org")
                    .table(ApiKeys::Table)
                    .col(ApiKeys::OrganizationId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiKeySecrets::Table)
                    .col(big_pk_auto(ApiKeySecrets::Id))
                    .col(big_integer(ApiKeySecrets::ApiKeyId))
                    .col(string_len_uniq(ApiKeySecrets::SecretHash, 64))
                    .col(string_len(ApiKeySecrets::VisibleStart, 16))
                    .col(timestamp_with_time_zone(ApiKeySecrets::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiKeySecrets::SupersededAt))
                    .col(timestamp_with_time_zone_null(ApiKeySecrets::GraceUntil))
                    .col(timestamp_with_time_zone_null(ApiKeySecrets::LastUsedAt))
                    .col(string_len_null(ApiKeySecrets::LastUsedIp, 45))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiKeySecrets::Table, ApiKeySecrets::ApiKeyId)
                            .to(ApiKeys::Table, ApiKeys::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("api_key_secrets_key")
                    .table(ApiKeySecrets::Table)
                    .col(ApiKeySecrets::ApiKeyId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiKeyApiSets::Table)
                    .col(big_integer(ApiKeyApiSets::ApiKeyId))
                    .col(big_integer(ApiKeyApiSets::ApiSetId))
                    .primary_key(
                        Index::create()
                            .col(ApiKeyApiSets::ApiKeyId)
                            .col(ApiKeyApiSets::ApiSetId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiKeyApiSets::Table, ApiKeyApiSets::ApiKeyId)
                            .to(ApiKeys::Table, ApiKeys::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiKeyApiSets::Table, ApiKeyApiSets::ApiSetId)
                            .to(ApiSets::Table, ApiSets::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ApiKeyApiSets::Table.into_iden(),
            ApiKeySecrets::Table.into_iden(),
            ApiKeys::Table.into_iden(),
            ApiSets::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
