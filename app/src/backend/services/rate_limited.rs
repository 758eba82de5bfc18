//! `key.rate_limited`: a key went over its own rate limit. Told at most
//! once an hour per key (an audit row, and so a webhook event): decided in
//! memory first (a key hammering past its limit costs nothing beyond its
//! 429s), then under the key's row lock against the rows of the last hour,
//! so instances together write one per hour too. Written off the request
//! path: the caller's 429 never waits for it.
use chrono::Duration;

use crate::backend::audit::{Action, Entry};
use crate::backend::keys::alarm_slots;
use crate::backend::keys::cache::Facts;
use crate::backend::request_meta::RequestMeta;
use crate::backend::state::AppState;
use crate::backend::unit_of_work::{Invalidate, Work};
use crate::model::error::AppError;

/// Notes that the key `facts` describes was refused for its rate limit of
/// `per_minute`, by the request `meta` describes.
pub fn note(state: &AppState, facts: &Facts, per_minute: u32, meta: RequestMeta) {
    let key_id = facts.key.id;
    let hour = state.clock.now().timestamp().div_euclid(3600);
    let Some(slot) = state.limit_slots.take(key_id, hour, 1) else {
        return;
    };
    let state = state.clone();
    let (org_id, name) = (facts.key.organization_id, facts.key.name.clone());
    tokio::spawn(async move {
        let _slot = slot;
        if let Err(err) = record(&state, key_id, org_id, &name, per_minute, &meta).await {
            tracing::error!(key_id, error = %err, "recording key.rate_limited failed");
        }
    });
}

async fn record(
    state: &AppState,
    key_id: i64,
    org_id: i64,
    name: &str,
    per_minute: u32,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let target = format!("key:{key_id}");
    let mut work = Work::begin(state).await?;
    let since = now - Duration::hours(1);
    if alarm_slots::written_since(&work, key_id, Action::KeyRateLimited, since).await? != Some(0) {
        return Ok(());
    }
    work.audit(Entry {
        action: Action::KeyRateLimited,
        organization_id: Some(org_id),
        actor_user_id: None,
        target: Some(target),
        details: Some(serde_json::json!({
            "name": name,
            "rate_limit_per_minute": per_minute,
        })),
        meta,
        at: now,
    });
    work.commit(Invalidate::None).await?;
    Ok(())
}
