//! Settings → Integrations → Webhooks (Manage Integrations): endpoints with
//! the events they want, their signing secret shown once, their delivery log,
//! "Send test event" and "Send again". Deliveries are written by the unit of
//! work and housekeeping (`webhooks::outbox`), sent by `webhooks::sender`.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, SqlErr,
};

use super::key_changes::invalid;
use crate::backend::audit::{Action, Entry};
use crate::backend::auth::operation::{Need, Operation};
use crate::backend::auth::session::Principal;
use crate::backend::entities::{organization, webhook_delivery, webhook_endpoint};
use crate::backend::request_meta::RequestMeta;
use crate::backend::state::AppState;
use crate::backend::unit_of_work::{Invalidate, Work};
use crate::backend::webhooks::{address, outbox, signing};
use crate::model::authz::Authority as A;
use crate::model::error::{AppError, Conflict};
use crate::model::keys::DESCRIPTION_MAX;
use crate::model::validation::{self, Field, Problem};
use crate::model::webhooks::{
    DeliveryRow, DeliveryState, ENDPOINTS_MAX, EndpointPage, EndpointRow, EventType, NewEndpoint,
    TEST_EVENT, WebhooksPage,
};

const fn manage(name: &'static str) -> Operation {
    Operation::new(name, Need::authority(A::ManageIntegrations))
}
pub const LIST: Operation = manage("webhooks.list").rpc("webhooks/list");
pub const ENDPOINT: Operation = manage("webhooks.endpoint").rpc("webhooks/endpoint");
pub const CREATE: Operation = manage("webhooks.create").rpc("webhooks/create");
pub const DELETE: Operation = manage("webhooks.delete").rpc("webhooks/delete");
pub const SEND_TEST: Operation = manage("webhooks.send_test").rpc("webhooks/send-test");
pub const RESEND: Operation = manage("webhooks.resend").rpc("webhooks/resend");
/// The secret a form posted without JavaScript left for the Webhooks page.
pub const TAKE_SECRET: Operation = manage("webhooks.take_secret").rpc("webhooks/take-secret");

/// What the Add endpoint form sends.
pub struct NewWebhook {
    pub url: String,
    pub description: String,
    /// Event types (`key.created`, …).
    pub events: Vec<String>,
    /// The form's one-time token (double-submit guard); may be empty.
    pub request_token: String,
}

/// A URL as the audit log keeps it: without its query, where services put
/// tokens of their own.
fn logged(url: &str) -> String {
    url.split(['?', '#']).next().unwrap_or_default().to_owned()
}

/// Deliveries an endpoint's page shows, newest first.
pub const LOG_SIZE: u64 = 50;

fn row(endpoint: &webhook_endpoint::Model, pending: u64, failed: u64) -> EndpointRow {
    EndpointRow {
        id: endpoint.id,
        url: endpoint.url.clone(),
        description: endpoint.description.clone(),
        events: outbox::events_of(endpoint),
        created_at: endpoint.created_at.to_rfc3339(),
        pending,
        failed,
    }
}

/// `endpoints` as rows, their waiting and failed deliveries counted at once.
async fn rows(
    state: &AppState,
    endpoints: &[webhook_endpoint::Model],
) -> Result<Vec<EndpointRow>, AppError> {
    let counted: Vec<(i64, String, i64)> = webhook_delivery::Entity::find()
        .select_only()
        .column(webhook_delivery::Column::EndpointId)
        .column(webhook_delivery::Column::State)
        .column_as(webhook_delivery::Column::Id.count(), "n")
        .filter(webhook_delivery::Column::EndpointId.is_in(endpoints.iter().map(|e| e.id)))
        .filter(webhook_delivery::Column::State.ne(DeliveryState::Delivered.as_str()))
        .group_by(webhook_delivery::Column::EndpointId)
        .group_by(webhook_delivery::Column::State)
        .into_tuple()
        .all(&state.db)
        .await?;
    let of = |endpoint: i64, what: DeliveryState| {
        counted
            .iter()
            .find(|(e, s, _)| *e == endpoint && s == what.as_str())
            .map_or(0, |(_, _, n)| u64::try_from(*n).unwrap_or(0))
    };
    Ok(endpoints
        .iter()
        .map(|e| {
            row(
                e,
                of(e.id, DeliveryState::Pending),
                of(e.id, DeliveryState::Failed),
            )
        })
        .collect())
}

/// The organization's endpoints, oldest first.
pub async fn list(state: &AppState, who: &Principal) -> Result<WebhooksPage, AppError> {
    let endpoints = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::OrganizationId.eq(who.organization.id))
        .order_by_asc(webhook_endpoint::Column::Id)
        .all(&state.db)
        .await?;
    let rows = rows(state, &endpoints).await?;
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(AppError::internal)?;
    Ok(WebhooksPage {
        endpoints: rows,
        request_token: bytes.iter().map(|b| format!("{b:02x}")).collect(),
    })
}

/// The caller's organization's endpoint `id`; another's is "not found".
async fn own<C: sea_orm::ConnectionTrait>(
    db: &C,
    who: &Principal,
    id: i64,
) -> Result<webhook_endpoint::Model, AppError> {
    webhook_endpoint::Entity::find_by_id(id)
        .filter(webhook_endpoint::Column::OrganizationId.eq(who.organization.id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

fn delivery_row(d: webhook_delivery::Model) -> DeliveryRow {
    DeliveryRow {
        id: d.id,
        message_id: d.message_id,
        event_type: d.event_type,
        state: d.state.parse().unwrap_or(DeliveryState::Pending),
        attempts: u32::try_from(d.attempts).unwrap_or(0),
        response_status: d.response_status.and_then(|s| u16::try_from(s).ok()),
        last_error: d.last_error,
        created_at: d.created_at.to_rfc3339(),
        last_attempt_at: d.last_attempt_at.map(|t| t.to_rfc3339()),
        next_attempt_at: d
            .next_attempt_at
            .filter(|_| d.state == DeliveryState::Pending.as_str())
            .map(|t| t.to_rfc3339()),
    }
}

/// One endpoint and its latest deliveries.
pub async fn endpoint(
    state: &AppState,
    who: &Principal,
    id: i64,
) -> Result<EndpointPage, AppError> {
    let endpoint = own(&state.db, who, id).await?;
    let deliveries = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint.id))
        .order_by_desc(webhook_delivery::Column::Id)
        .limit(LOG_SIZE)
        .all(&state.db)
        .await?;
    let mut rows = rows(state, std::slice::from_ref(&endpoint)).await?;
    Ok(EndpointPage {
        endpoint: rows.pop().ok_or(AppError::NotFound)?,
        deliveries: deliveries.into_iter().map(delivery_row).collect(),
    })
}

/// "Add endpoint": checked (an `http(s)` URL whose host resolves only to
/// public addresses, unless the operator allows private ones), stored with
/// a new secret, which is answered once.
pub async fn create(
    state: &AppState,
    who: &Principal,
    asked: &NewWebhook,
    meta: &RequestMeta,
) -> Result<NewEndpoint, AppError> {
    let (url, description, events) = (&asked.url, &asked.description, &asked.events);
    let token = asked.request_token.trim();
    if token.len() > 64
        || token
            .chars()
            .any(|c| !c.is_ascii_alphanumeric() && c != '-')
    {
        return Err(AppError::BadRequest("request token".into()));
    }
    let mut errors = Vec::new();
    let parsed = address::parse(url)
        .map_err(|p| errors.push(invalid(Field::Url, p)))
        .ok();
    let description = validation::long_text(description, DESCRIPTION_MAX)
        .map_err(|p| errors.push(invalid(Field::Description, p)))
        .ok();
    let mut wanted = Vec::new();
    for event in events {
        let event: EventType = event
            .parse()
            .map_err(|_| AppError::BadRequest("event type".into()))?;
        if !wanted.contains(&event) {
            wanted.push(event);
        }
    }
    if wanted.is_empty() {
        errors.push(invalid(Field::Events, Problem::Required));
    }
    if let Some(parsed) = &parsed
        && let Err(problem) = address::resolve(parsed, state.settings.webhook_allow_private).await
    {
        errors.push(invalid(Field::Url, problem));
    }
    let (Some(parsed), Some(description), true) = (parsed, description, errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };
    wanted.sort();
    let events: Vec<&str> = wanted.iter().map(|e| e.as_str()).collect();
    let secret = signing::new_secret().map_err(AppError::internal)?;
    let now = state.clock.now();
    let mut work = Work::begin(state).await?;
    organization::Entity::find_by_id(who.organization.id)
        .lock(LockType::NoKeyUpdate)
        .one(&work)
        .await?;
    let existing = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::OrganizationId.eq(who.organization.id))
        .count(&work)
        .await?;
    // Under the organization's row lock: the same form sent again (or at
    // once) finds the endpoint its token made.
    if !token.is_empty()
        && webhook_endpoint::Entity::find()
            .filter(webhook_endpoint::Column::OrganizationId.eq(who.organization.id))
            .filter(webhook_endpoint::Column::RequestToken.eq(token))
            .one(&work)
            .await?
            .is_some()
    {
        return Err(AppError::Conflict(Conflict::AlreadyCreated));
    }
    if existing >= ENDPOINTS_MAX {
        return Err(AppError::Conflict(Conflict::TooManyWebhooks));
    }
    let inserted = webhook_endpoint::ActiveModel {
        organization_id: Set(who.organization.id),
        url: Set(parsed.to_string()),
        description: Set(description),
        events: Set(events.join(",")),
        secret: Set(secret.clone()),
        created_at: Set(now),
        request_token: Set((!token.is_empty()).then(|| token.to_owned())),
        ..Default::default()
    }
    .insert(&work)
    .await;
    let endpoint = match inserted {
        Ok(endpoint) => endpoint,
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Err(AppError::Conflict(Conflict::AlreadyCreated));
        }
        Err(err) => return Err(err.into()),
    };
    work.audit(
        Entry::new(
            Action::WebhookCreated,
            who.organization.id,
            who.user.id,
            format!("webhook:{}", endpoint.id),
            meta,
            now,
        )
        .with_details(serde_json::json!({ "url": logged(&endpoint.url), "events": events })),
    );
    work.commit(Invalidate::None).await?;
    Ok(NewEndpoint {
        id: endpoint.id,
        url: endpoint.url,
        secret,
    })
}

/// Deletes an endpoint and its deliveries (nothing more is sent to it).
pub async fn delete(
    state: &AppState,
    who: &Principal,
    id: i64,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let mut work = Work::begin(state).await?;
    let endpoint = own(&work, who, id).await?;
    let deleted = webhook_endpoint::Entity::delete_many()
        .filter(webhook_endpoint::Column::Id.eq(endpoint.id))
        .exec(&work)
        .await?
        .rows_affected;
    if deleted == 0 {
        return Err(AppError::NotFound);
    }
    work.audit(
        Entry::new(
            Action::WebhookDeleted,
            who.organization.id,
            who.user.id,
            format!("webhook:{}", endpoint.id),
            meta,
            now,
        )
        .with_details(serde_json::json!({ "url": logged(&endpoint.url) })),
    );
    work.commit(Invalidate::None).await?;
    Ok(())
}

/// "Send test event": a `webhook.test` delivery, sent by the next round;
/// while one is still waiting, asking again adds none (the endpoint's row
/// is locked, so fifty at once add one).
pub async fn send_test(state: &AppState, who: &Principal, id: i64) -> Result<(), AppError> {
    let now = state.clock.now();
    let work = Work::begin(state).await?;
    let endpoint = webhook_endpoint::Entity::find_by_id(id)
        .filter(webhook_endpoint::Column::OrganizationId.eq(who.organization.id))
        .lock(LockType::NoKeyUpdate)
        .one(&work)
        .await?
        .ok_or(AppError::NotFound)?;
    let waiting = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint.id))
        .filter(webhook_delivery::Column::EventType.eq(TEST_EVENT))
        .filter(webhook_delivery::Column::State.eq(DeliveryState::Pending.as_str()))
        .count(&work)
        .await?;
    if waiting > 0 {
        return Ok(());
    }
    let message = signing::new_message_id().map_err(AppError::internal)?;
    let data = serde_json::json!({
        "organization_id": endpoint.organization_id,
        "target": format!("webhook:{}", endpoint.id),
        "details": { "message": "A test event from Keyhouse." },
    });
    let body = outbox::payload(TEST_EVENT, now, data);
    outbox::delivery(&endpoint, TEST_EVENT, message, body, now)
        .insert(&work)
        .await?;
    work.commit(Invalidate::None).await?;
    Ok(())
}

/// "Send again": the delivery is sent once more by the next round, with
/// its message id (so the receiver can tell it has seen it) and a fresh
/// set of attempts. One already waiting is left as it is.
pub async fn resend(
    state: &AppState,
    who: &Principal,
    delivery: i64,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let work = Work::begin(state).await?;
    let found = webhook_delivery::Entity::find_by_id(delivery)
        .filter(webhook_delivery::Column::OrganizationId.eq(who.organization.id))
        .one(&work)
        .await?
        .ok_or(AppError::NotFound)?;
    if found.state != DeliveryState::Pending.as_str() {
        webhook_delivery::Entity::update_many()
            .col_expr(
                webhook_delivery::Column::State,
                Expr::value(DeliveryState::Pending.as_str()),
            )
            .col_expr(webhook_delivery::Column::Attempts, Expr::value(0))
            .col_expr(
                webhook_delivery::Column::DeliveredAt,
                Expr::value(None::<DateTime<Utc>>),
            )
            .col_expr(
                webhook_delivery::Column::ResponseStatus,
                Expr::value(None::<i32>),
            )
            .col_expr(
                webhook_delivery::Column::LastError,
                Expr::value(None::<String>),
            )
            .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(now))
            .col_expr(
                webhook_delivery::Column::LeaseUntil,
                Expr::value(None::<DateTime<Utc>>),
            )
            .filter(webhook_delivery::Column::Id.eq(found.id))
            .filter(webhook_delivery::Column::State.ne(DeliveryState::Pending.as_str()))
            .exec(&work)
            .await?;
    }
    work.commit(Invalidate::None).await?;
    Ok(())
}
