//! Sends the due deliveries of the outbox: each signed the Standard
//! Webhooks way, to the addresses its URL was checked to resolve to, with
//! no redirects followed and a 10-second limit. A 2xx answer delivers it;
//! anything else is tried again after 5 s, 5 min, 30 min, 2 h, 5 h, 8 h
//! and 8 h, and after the eighth failed attempt (about 24 hours after the
//! first) it is given up as failed. A sender takes a batch under a lease
//! (one instance or task at a time per delivery; on PostgreSQL rows taken
//! by another are skipped), and records an attempt only while that lease
//! holds. Delivery is at least once: only a send outliving its one-minute
//! lease (the limits are 5 s to resolve and 10 s to answer) could go out
//! twice, and receivers skip a `webhook-id` they have seen.
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{ColumnTrait, Condition, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{address, signing};
use crate::backend::entities::{webhook_delivery, webhook_endpoint};
use crate::backend::state::AppState;
use crate::backend::unit_of_work::{Invalidate, Work};
use crate::model::webhooks::DeliveryState;

/// The waits after the first, second, … failed attempt.
pub const RETRY_AFTER: [i64; 7] = [5, 300, 1_800, 7_200, 18_000, 28_800, 28_800];
/// Attempts before a delivery is given up.
pub const ATTEMPTS_MAX: i32 = RETRY_AFTER.len() as i32 + 1;
/// Deliveries one round takes.
const BATCH: u64 = 32;
/// How long a taken delivery is left to its sender.
const LEASE_SECONDS: i64 = 60;
const TIMEOUT: StdDuration = StdDuration::from_secs(10);

/// What one round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub delivered: u32,
    /// Attempts that failed and will be tried again.
    pub retrying: u32,
    /// Deliveries given up after their last attempt.
    pub failed: u32,
}

/// How one attempt ended.
enum Outcome {
    Answered(u16),
    NoAnswer(String),
}

/// Takes the deliveries due at `now` (under a lease) and sends them, at
/// most [`BATCH`], all at once.
pub async fn deliver_due(state: &AppState, now: DateTime<Utc>) -> Result<Round, DbErr> {
    // Most rounds find nothing due: a plain read says so, without taking
    // the write lock (SQLite) that page renders and key checks would wait
    // behind.
    let any_due = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::State.eq(DeliveryState::Pending.as_str()))
        .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
        .one(&state.db)
        .await?
        .is_some();
    if !any_due {
        return Ok(Round::default());
    }
    let work = Work::begin_bookkeeping(&state.db).await?;
    let due = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::State.eq(DeliveryState::Pending.as_str()))
        .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
        .filter(
            Condition::any()
                .add(webhook_delivery::Column::LeaseUntil.is_null())
                .add(webhook_delivery::Column::LeaseUntil.lt(now)),
        )
        .order_by_asc(webhook_delivery::Column::Id)
        .limit(BATCH)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .all(&work)
        .await?;
    if due.is_empty() {
        work.commit(Invalidate::None).await?;
        return Ok(Round::default());
    }
    // The lease is also this round's claim: an attempt is recorded only
    // while it still holds (whole milliseconds, which both databases keep
    // exactly).
    let lease = now + Duration::seconds(LEASE_SECONDS);
    let lease = DateTime::from_timestamp_millis(lease.timestamp_millis()).unwrap_or(lease);
    webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::LeaseUntil, Expr::value(lease))
        .filter(webhook_delivery::Column::Id.is_in(due.iter().map(|d| d.id)))
        .exec(&work)
        .await?;
    work.commit(Invalidate::None).await?;

    let mut tasks = tokio::task::JoinSet::new();
    for delivery in due {
        let state = state.clone();
        tasks.spawn(async move { attempt(&state, delivery, lease, now).await });
    }
    let mut round = Round::default();
    for result in tasks.join_all().await {
        match result? {
            Some(DeliveryState::Delivered) => round.delivered += 1,
            Some(DeliveryState::Pending) => round.retrying += 1,
            Some(DeliveryState::Failed) => round.failed += 1,
            None => {}
        }
    }
    Ok(round)
}

/// Sends one delivery and records the attempt; `None` if another sender
/// recorded one first (nothing is recorded twice).
async fn attempt(
    state: &AppState,
    delivery: webhook_delivery::Model,
    lease: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<DeliveryState>, DbErr> {
    let endpoint = webhook_endpoint::Entity::find_by_id(delivery.endpoint_id)
        .one(&state.db)
        .await?;
    let outcome = match endpoint {
        Some(endpoint) => send(state, &endpoint, &delivery, now).await,
        None => return Ok(None),
    };
    let attempts = delivery.attempts + 1;
    let (next_state, status, error) = match outcome {
        Outcome::Answered(code) if (200..300).contains(&code) => {
            (DeliveryState::Delivered, Some(code), None)
        }
        Outcome::Answered(code) if attempts >= ATTEMPTS_MAX => {
            (DeliveryState::Failed, Some(code), None)
        }
        Outcome::Answered(code) => (DeliveryState::Pending, Some(code), None),
        Outcome::NoAnswer(why) if attempts >= ATTEMPTS_MAX => {
            (DeliveryState::Failed, None, Some(why))
        }
        Outcome::NoAnswer(why) => (DeliveryState::Pending, None, Some(why)),
    };
    let next = (next_state == DeliveryState::Pending).then(|| {
        let wait = RETRY_AFTER[usize::try_from(attempts - 1)
            .unwrap_or(0)
            .min(RETRY_AFTER.len() - 1)];
        now + Duration::seconds(wait)
    });
    let recorded = webhook_delivery::Entity::update_many()
        .col_expr(
            webhook_delivery::Column::State,
            Expr::value(next_state.as_str()),
        )
        .col_expr(webhook_delivery::Column::Attempts, Expr::value(attempts))
        .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(next))
        .col_expr(
            webhook_delivery::Column::LeaseUntil,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(webhook_delivery::Column::LastAttemptAt, Expr::value(now))
        .col_expr(
            webhook_delivery::Column::ResponseStatus,
            Expr::value(status.map(i32::from)),
        )
        .col_expr(webhook_delivery::Column::LastError, Expr::value(error))
        .col_expr(
            webhook_delivery::Column::DeliveredAt,
            Expr::value((next_state == DeliveryState::Delivered).then_some(now)),
        )
        .filter(webhook_delivery::Column::Id.eq(delivery.id))
        .filter(webhook_delivery::Column::Attempts.eq(delivery.attempts))
        .filter(webhook_delivery::Column::LeaseUntil.eq(lease))
        .exec(&state.db)
        .await?
        .rows_affected;
    if recorded == 1 {
        let result = match next_state {
            DeliveryState::Delivered => "delivered",
            DeliveryState::Pending => "retrying",
            DeliveryState::Failed => "failed",
        };
        crate::backend::metrics::get().webhook(result, 1);
    }
    Ok((recorded == 1).then_some(next_state))
}

/// One POST of the delivery's body, signed, to the endpoint's checked
/// addresses.
async fn send(
    state: &AppState,
    endpoint: &webhook_endpoint::Model,
    delivery: &webhook_delivery::Model,
    now: DateTime<Utc>,
) -> Outcome {
    let allow_private = state.settings.webhook_allow_private;
    let url = match address::parse(&endpoint.url) {
        Ok(url) => url,
        Err(_) => return Outcome::NoAnswer("invalid_url".into()),
    };
    let addresses = match address::resolve(&url, allow_private).await {
        Ok(addresses) => addresses,
        Err(crate::model::validation::Problem::PrivateAddress) => {
            return Outcome::NoAnswer("address_not_allowed".into());
        }
        Err(_) => return Outcome::NoAnswer("host_not_found".into()),
    };
    let timestamp = now.timestamp();
    let Some(signature) = signing::sign(
        &endpoint.secret,
        &delivery.message_id,
        timestamp,
        &delivery.payload,
    ) else {
        return Outcome::NoAnswer("bad_secret".into());
    };
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let client = match reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // No proxy from the environment: it would resolve the host itself,
        // past the check above.
        .no_proxy()
        .timeout(TIMEOUT)
        .resolve_to_addrs(&host, &addresses)
        .user_agent("Keyhouse-Webhooks/1")
        .build()
    {
        Ok(client) => client,
        Err(_) => return Outcome::NoAnswer("client_error".into()),
    };
    let sent = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &delivery.message_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(delivery.payload.clone())
        .send()
        .await;
    match sent {
        Ok(response) => Outcome::Answered(response.status().as_u16()),
        Err(err) if err.is_timeout() => Outcome::NoAnswer("timeout".into()),
        Err(err) if err.is_connect() => Outcome::NoAnswer("connection_refused".into()),
        Err(_) => Outcome::NoAnswer("request_failed".into()),
    }
}
