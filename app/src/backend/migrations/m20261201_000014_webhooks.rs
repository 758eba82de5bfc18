//! Webhooks: the endpoints, and the outbox of deliveries written in the
//! same transaction as the change each tells of.
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Id,
    OrganizationId,
    Url,
    Description,
    Events,
    Secret,
    CreatedAt,
    RequestToken,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    EndpointId,
    OrganizationId,
    EventType,
    MessageId,
    Payload,
    CreatedAt,
    State,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LastAttemptAt,
    ResponseStatus,
    LastError,
    DeliveredAt,
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
                    .table(WebhookEndpoints::Table)
                    .col(big_pk_auto(WebhookEndpoints::Id))
                    .col(big_integer(WebhookEndpoints::OrganizationId))
                    .col(string_len(WebhookEndpoints::Url, 2000))
                    .col(string_len(WebhookEndpoints::Description, 500))
                    .col(string_len(WebhookEndpoints::Events, 1000))
                    .col(string_len(WebhookEndpoints::Secret, 100))
                    .col(timestamp_with_time_zone(WebhookEndpoints::CreatedAt))
                    .col(string_len_null(WebhookEndpoints::RequestToken, 64))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookEndpoints::Table, WebhookEndpoints::OrganizationId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_endpoints_org")
                    .table(WebhookEndpoints::Table)
                    .col(WebhookEndpoints::OrganizationId)
                    .to_owned(),
            )
            .await?;
        // The Add endpoint form sent twice (or fifty times at once) adds
        // one endpoint.
        manager
            .create_index(
                Index::create()
                    .name("webhook_endpoints_request")
                    .table(WebhookEndpoints::Table)
                    .col(WebhookEndpoints::OrganizationId)
                    .col(WebhookEndpoints::RequestToken)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(big_pk_auto(WebhookDeliveries::Id))
                    .col(big_integer(WebhookDeliveries::EndpointId))
                    .col(big_integer(WebhookDeliveries::OrganizationId))
                    .col(string_len(WebhookDeliveries::EventType, 64))
                    .col(string_len(WebhookDeliveries::MessageId, 100))
                    .col(text(WebhookDeliveries::Payload))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .col(string_len(WebhookDeliveries::State, 16))
                    .col(integer(WebhookDeliveries::Attempts).default(0))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::NextAttemptAt,
                    ))
                    .col(timestamp_with_time_zone_null(WebhookDeliveries::LeaseUntil))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::LastAttemptAt,
                    ))
                    .col(integer_null(WebhookDeliveries::ResponseStatus))
                    .col(string_len_null(WebhookDeliveries::LastError, 300))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::DeliveredAt,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookDeliveries::Table, WebhookDeliveries::EndpointId)
                            .to(WebhookEndpoints::Table, WebhookEndpoints::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One message per endpoint: a time-based event (key.expiring) is
        // written by every round that sees it and kept once.
        manager
            .create_index(
                Index::create()
                    .name("webhook_deliveries_message")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::EndpointId)
                    .col(WebhookDeliveries::MessageId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_deliveries_due")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::State)
                    .col(WebhookDeliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("webhook_deliveries_endpoint_state")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::EndpointId)
                    .col(WebhookDeliveries::State)
                    .to_owned(),
            )
            .await
    }
}
