//! The outbox: webhook deliveries are rows written in the transaction of
//! the change they tell of (the unit of work calls [`enqueue_audited`] with
//! the audit rows it is about to commit), so an event is sent exactly when
//! its change committed, and a crash between the two loses nothing. The
//! time-based events (`key.expiring`, `key.expired`) are written by the
//! housekeeping round, once per key, endpoint and expiry (a unique message
//! id per endpoint).
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{LockType, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::signing;
use crate::backend::entities::{api_key, audit_event, webhook_delivery, webhook_endpoint};
use crate::model::audit::Action;
use crate::model::webhooks::{DeliveryState, EventType};

/// The webhook event an audited action is, if any.
pub fn event_of(action: &str) -> Option<EventType> {
    Some(match action.parse::<Action>().ok()? {
        Action::KeyCreated => EventType::KeyCreated,
        Action::KeyDisabled => EventType::KeyDisabled,
        Action::KeyEnabled => EventType::KeyEnabled,
        Action::KeyDeleted => EventType::KeyDeleted,
        Action::KeyRolled => EventType::KeyRolled,
        Action::KeyLeaked => EventType::KeyLeaked,
        Action::DecoyUsed => EventType::KeyDecoyUsed,
        Action::UserDeactivated => EventType::UserDeactivated,
        Action::KeyTransferred => EventType::KeyTransferred,
        Action::KeyRateLimited => EventType::KeyRateLimited,
        _ => return None,
    })
}

/// The event types an endpoint asked for.
pub fn events_of(endpoint: &webhook_endpoint::Model) -> Vec<EventType> {
    endpoint
        .events
        .split(',')
        .filter_map(|e| e.trim().parse().ok())
        .collect()
}

/// The body of an event: its type, when, and what (never a secret: what
/// an audit row holds, and a key's id, name and expiry).
pub fn payload(event: &str, at: DateTime<Utc>, data: serde_json::Value) -> String {
    serde_json::json!({
        "type": event,
        "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": data,
    })
    .to_string()
}

/// A pending delivery of `body` to `endpoint`.
pub fn delivery(
    endpoint: &webhook_endpoint::Model,
    event: &str,
    message_id: String,
    body: String,
    now: DateTime<Utc>,
) -> webhook_delivery::ActiveModel {
    webhook_delivery::ActiveModel {
        endpoint_id: Set(endpoint.id),
        organization_id: Set(endpoint.organization_id),
        event_type: Set(event.to_owned()),
        message_id: Set(message_id),
        payload: Set(body),
        created_at: Set(now),
        state: Set(DeliveryState::Pending.as_str().to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(Some(now)),
        ..Default::default()
    }
}

/// Inserts `rows`, skipping a message an endpoint already has.
/// Rows a statement inserts (well within PostgreSQL's 65,535 parameters).
const CHUNK: usize = 500;

async fn insert_new<C: ConnectionTrait>(
    db: &C,
    rows: Vec<webhook_delivery::ActiveModel>,
) -> Result<u64, DbErr> {
    let mut inserted = 0;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(CHUNK).collect();
        inserted += webhook_delivery::Entity::insert_many(chunk)
            .on_conflict(
                OnConflict::columns([
                    webhook_delivery::Column::EndpointId,
                    webhook_delivery::Column::MessageId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(inserted)
}

/// Deletes the delivered and failed deliveries older than
/// [`KEPT_DAYS`] (the housekeeping round).
pub async fn purge_old<C: ConnectionTrait>(db: &C, now: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::State.ne(DeliveryState::Pending.as_str()))
        .filter(webhook_delivery::Column::CreatedAt.lt(now - Duration::days(KEPT_DAYS)))
        .exec(db)
        .await?
        .rows_affected)
}

/// How long an endpoint's delivery log keeps what is done.
pub const KEPT_DAYS: i64 = 30;

/// The deliveries the audited changes of one transaction owe, written in
/// that transaction (before its `COMMIT`).
pub async fn enqueue_audited<C: ConnectionTrait>(
    db: &C,
    rows: &[audit_event::Model],
) -> Result<u64, DbErr> {
    let events: Vec<(&audit_event::Model, EventType, i64)> = rows
        .iter()
        .filter_map(|r| Some((r, event_of(&r.action)?, r.organization_id?)))
        .collect();
    if events.is_empty() {
        return Ok(0);
    }
    let orgs: HashSet<i64> = events.iter().map(|(_, _, org)| *org).collect();
    // Shared with the deliveries' foreign key: an endpoint deleted at this
    // moment waits for this commit (or this one finds it gone), so the
    // change itself never fails over it.
    let endpoints = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::OrganizationId.is_in(orgs))
        .order_by_asc(webhook_endpoint::Column::Id)
        .lock(LockType::KeyShare)
        .all(db)
        .await?;
    if endpoints.is_empty() {
        return Ok(0);
    }
    let mut out = Vec::new();
    for (row, event, org) in events {
        let details: serde_json::Value = row
            .details
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or(serde_json::Value::Null);
        let data = serde_json::json!({
            "organization_id": org,
            "target": row.target,
            "actor_user_id": row.actor_user_id,
            "details": details,
        });
        let body = payload(event.as_str(), row.created_at, data);
        // One random id per event (the same for every endpoint of it):
        // nothing of the instance's volume shows through it.
        let id = signing::new_message_id().map_err(|e| DbErr::Custom(e.to_string()))?;
        for endpoint in endpoints.iter().filter(|e| e.organization_id == org) {
            if events_of(endpoint).contains(&event) {
                out.push(delivery(
                    endpoint,
                    event.as_str(),
                    id.clone(),
                    body.clone(),
                    row.created_at,
                ));
            }
        }
    }
    insert_new(db, out).await
}

/// Writes `key.expiring` (within 7 days, and again within 1 day) and
/// `key.expired` (in the day after) for the keys of organizations with an
/// endpoint that asked for them. Each is written once per endpoint and
/// expiry, however many rounds see it. Returns how many were new.
pub async fn enqueue_expiry<C: ConnectionTrait>(db: &C, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let wanted: Vec<webhook_endpoint::Model> = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::Events.like("%key.expir%"))
        .order_by_asc(webhook_endpoint::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter(|e| {
            let events = events_of(e);
            events.contains(&EventType::KeyExpiring) || events.contains(&EventType::KeyExpired)
        })
        .collect();
    if wanted.is_empty() {
        return Ok(0);
    }
    let mut by_org: HashMap<i64, Vec<&webhook_endpoint::Model>> = HashMap::new();
    for endpoint in &wanted {
        by_org
            .entry(endpoint.organization_id)
            .or_default()
            .push(endpoint);
    }
    let keys = api_key::Entity::find()
        .filter(api_key::Column::OrganizationId.is_in(by_org.keys().copied()))
        .filter(api_key::Column::Decoy.eq(false))
        .filter(api_key::Column::ExpiresAt.gt(now - Duration::days(1)))
        .filter(api_key::Column::ExpiresAt.lte(now + Duration::days(7)))
        .order_by_asc(api_key::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::new();
    for key in keys {
        let Some(at) = key.expires_at else { continue };
        let (event, stage) = if at <= now {
            (EventType::KeyExpired, "expired")
        } else if at - now <= Duration::days(1) {
            (EventType::KeyExpiring, "expiring1")
        } else {
            (EventType::KeyExpiring, "expiring7")
        };
        let data = serde_json::json!({
            "organization_id": key.organization_id,
            "target": format!("key:{}", key.id),
            "details": {
                "name": key.name,
                "owner": key.user_id,
                "expires_at": at.to_rfc3339(),
                "within_days": match stage { "expiring1" => Some(1), "expiring7" => Some(7), _ => None },
            },
        });
        let body = payload(event.as_str(), now, data);
        let id = format!("msg_key{}_{stage}_{}", key.id, at.timestamp());
        for endpoint in by_org.get(&key.organization_id).into_iter().flatten() {
            if events_of(endpoint).contains(&event) {
                out.push(delivery(
                    endpoint,
                    event.as_str(),
                    id.clone(),
                    body.clone(),
                    now,
                ));
            }
        }
    }
    insert_new(db, out).await
}
