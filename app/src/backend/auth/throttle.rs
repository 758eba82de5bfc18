//! Sign-in throttling, answered from the audit log so every instance behind a
//! load balancer sees the same counts: after 5 failures for one account, or
//! 20 from one client IP, within 15 minutes, further attempts get 429.
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::backend::audit::Action;
use crate::backend::entities::audit_event;
use crate::error::AppError;

pub const WINDOW_MINUTES: i64 = 15;
pub const PER_ACCOUNT: u64 = 5;
pub const PER_IP: u64 = 20;

/// The audit target recorded for a sign-in attempt on `login`.
pub fn login_target(login: &str) -> String {
    format!("login:{}", login.trim().to_lowercase())
}

/// `Ok(())` if another attempt may proceed, or `Err(seconds to wait)`.
pub async fn check<C: ConnectionTrait>(
    db: &C,
    login: &str,
    ip: Option<IpAddr>,
    now: DateTime<Utc>,
) -> Result<Result<(), u64>, AppError> {
    let since = now - Duration::minutes(WINDOW_MINUTES);
    let by_account = audit_event::Column::Target.eq(login_target(login));
    if let Some(wait) = wait_for(db, by_account, PER_ACCOUNT, since, now).await? {
        return Ok(Err(wait));
    }
    if let Some(ip) = ip {
        let by_ip = audit_event::Column::ClientIp.eq(ip.to_string());
        if let Some(wait) = wait_for(db, by_ip, PER_IP, since, now).await? {
            return Ok(Err(wait));
        }
    }
    Ok(Ok(()))
}

/// If `limit` failures matching `filter` fall inside the window, how long
/// until the oldest of the latest `limit` leaves it.
async fn wait_for<C: ConnectionTrait>(
    db: &C,
    filter: sea_orm::sea_query::SimpleExpr,
    limit: u64,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<u64>, AppError> {
    let recent: Vec<DateTime<Utc>> = audit_event::Entity::find()
        .select_only()
        .column(audit_event::Column::CreatedAt)
        .filter(audit_event::Column::Action.eq(Action::SignInFailure.as_str()))
        .filter(audit_event::Column::CreatedAt.gt(since))
        .filter(filter)
        .order_by_desc(audit_event::Column::CreatedAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    if (recent.len() as u64) < limit {
        return Ok(None);
    }
    let oldest = recent.last().copied().unwrap_or(now);
    let free_at = oldest + Duration::minutes(WINDOW_MINUTES);
    Ok(Some((free_at - now).num_seconds().max(1) as u64))
}
