//! Organizations, users, memberships, roles and their authorities, sessions
//! and the audit log.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    Name,
    PublicApiEnabled,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    Name,
    Email,
    Kind,
    PasswordHash,
    Status,
    CreatedAt,
    LastSignInAt,
}

#[derive(DeriveIden)]
enum Roles {
    Table,
    Id,
    OrganizationId,
    Name,
    Builtin,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RoleAuthorities {
    Table,
    RoleId,
    Authority,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    UserId,
    OrganizationId,
    RoleId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    Data,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    OrganizationId,
    ActorUserId,
    Action,
    Target,
    ClientIp,
    UserAgent,
    Details,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organizations::Table)
                    .col(big_pk_auto(Organizations::Id))
                    .col(string_len(Organizations::Name, 100))
                    .col(boolean(Organizations::PublicApiEnabled).default(false))
                    .col(timestamp_with_time_zone(Organizations::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(big_pk_auto(Users::Id))
                    .col(string_len_uniq(Users::Username, 100))
                    .col(string_len(Users::Name, 100))
                    .col(string_len_null(Users::Email, 254).unique_key())
                    .col(string_len(Users::Kind, 16))
                    .col(string_len(Users::PasswordHash, 255))
                    .col(string_len(Users::Status, 16))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone_null(Users::LastSignInAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Roles::Table)
                    .col(big_pk_auto(Roles::Id))
                    .col(big_integer(Roles::OrganizationId))
                    .col(string_len(Roles::Name, 100))
                    .col(boolean(Roles::Builtin).default(false))
                    .col(timestamp_with_time_zone(Roles::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Roles::Table, Roles::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("roles_org_name_unique")
                    .table(Roles::Table)
                    .col(Roles::OrganizationId)
                    .col(Roles::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RoleAuthorities::Table)
                    .col(big_integer(RoleAuthorities::RoleId))
                    .col(string_len(RoleAuthorities::Authority, 64))
                    .primary_key(
                        Index::create()
                            .col(RoleAuthorities::RoleId)
                            .col(RoleAuthorities::Authority),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RoleAuthorities::Table, RoleAuthorities::RoleId)
                            .to(Roles::Table, Roles::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Memberships::Table)
                    .col(big_integer(Memberships::UserId))
                    .col(big_integer(Memberships::OrganizationId))
                    .col(big_integer(Memberships::RoleId))
                    .col(timestamp_with_time_zone(Memberships::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(Memberships::UserId)
                            .col(Memberships::OrganizationId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Memberships::Table, Memberships::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Memberships::Table, Memberships::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Memberships::Table, Memberships::RoleId)
                            .to(Roles::Table, Roles::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("memberships_org")
                    .table(Memberships::Table)
                    .col(Memberships::OrganizationId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(string_len(Sessions::Id, 64).primary_key())
                    .col(text(Sessions::Data))
                    .col(big_integer(Sessions::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sessions_expires_at")
                    .table(Sessions::Table)
                    .col(Sessions::ExpiresAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(big_pk_auto(AuditEvents::Id))
                    .col(big_integer_null(AuditEvents::OrganizationId))
                    .col(big_integer_null(AuditEvents::ActorUserId))
                    .col(string_len(AuditEvents::Action, 64))
                    .col(string_len_null(AuditEvents::Target, 200))
                    .col(string_len_null(AuditEvents::ClientIp, 64))
                    .col(string_len_null(AuditEvents::UserAgent, 512))
                    .col(text_null(AuditEvents::Details))
                    .col(timestamp_with_time_zone(AuditEvents::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AuditEvents::Table, AuditEvents::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(AuditEvents::Table, AuditEvents::ActorUserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("audit_events_org_created")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::OrganizationId)
                    .col(AuditEvents::CreatedAt)
                    .to_owned(),
            )
            .await?;

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditEvents::Table.into_iden(),
            Sessions::Table.into_iden(),
            Memberships::Table.into_iden(),
            RoleAuthorities::Table.into_iden(),
            Roles::Table.into_iden(),
            Users::Table.into_iden(),
            Organizations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
