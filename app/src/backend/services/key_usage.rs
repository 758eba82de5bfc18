//! A key's use as its page shows it: requests (and refusals) per day over
//! the last 30 days, the addresses it was used from, and the allowlist
//! those addresses suggest.
use std::collections::HashMap;
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::backend::entities::{api_key, api_key_ip, api_key_usage_day};
use crate::backend::state::AppState;
use crate::model::addresses::{self, Cidr};
use crate::model::error::AppError;
use crate::model::keys::{UsageDay, UsedFrom};

/// Days shown in a key's usage chart, and looked back on for suggestions.
pub const USAGE_DAYS: i64 = 30;

/// The key's allowlist (empty: anywhere). Entries are stored canonical; one
/// that no longer parses is left out here and, at the key check, fails
/// closed (see `key_check`).
pub fn allowed_of(key: &api_key::Model) -> Vec<Cidr> {
    key.allowed_addresses
        .as_deref()
        .unwrap_or_default()
        .lines()
        .filter_map(|line| Cidr::parse(line).ok())
        .collect()
}

/// "Suggest from the last 30 days": the addresses used within
/// [`USAGE_DAYS`] days that the list does not already allow and that are
/// not trusted proxies, grouped.
pub fn suggestions(
    used_from: &[UsedFrom],
    allowed: &[Cidr],
    proxies: &[IpAddr],
    now: DateTime<Utc>,
) -> Vec<String> {
    let since = now - Duration::days(USAGE_DAYS);
    let seen: Vec<IpAddr> = used_from
        .iter()
        .filter(|u| DateTime::parse_from_rfc3339(&u.last_used_at).is_ok_and(|at| at >= since))
        .filter_map(|u| u.ip.parse::<IpAddr>().ok())
        .filter(|ip| !allowed.iter().any(|range| range.contains(*ip)))
        .collect();
    // A trusted proxy's own address means the proxy rule failed for those
    // requests: allowing it, or a range holding it, lets everyone through.
    addresses::suggest(&seen, proxies)
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// Requests per day over the last [`USAGE_DAYS`] days (oldest first, every
/// day present), and the addresses the key was used from (latest first).
pub async fn usage_of(
    state: &AppState,
    key_id: i64,
    now: DateTime<Utc>,
) -> Result<(Vec<UsageDay>, Vec<UsedFrom>), AppError> {
    let today = now.date_naive();
    let first = today - Duration::days(USAGE_DAYS - 1);
    let counted: HashMap<chrono::NaiveDate, (i64, i64)> = api_key_usage_day::Entity::find()
        .filter(api_key_usage_day::Column::ApiKeyId.eq(key_id))
        .filter(api_key_usage_day::Column::Day.gte(first))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|d| (d.day, (d.requests, d.refused)))
        .collect();
    let days = first
        .iter_days()
        .take(USAGE_DAYS as usize)
        .map(|day| {
            let (requests, refused) = counted.get(&day).copied().unwrap_or((0, 0));
            UsageDay {
                day: day.format("%Y-%m-%d").to_string(),
                requests: requests.max(0) as u64,
                refused: refused.max(0) as u64,
            }
        })
        .collect();
    let used_from = api_key_ip::Entity::find()
        .filter(api_key_ip::Column::ApiKeyId.eq(key_id))
        .order_by_desc(api_key_ip::Column::LastUsedAt)
        .limit(crate::backend::keys::usage::IPS_KEPT)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|ip| UsedFrom {
            ip: ip.ip,
            requests: ip.requests.max(0) as u64,
            last_used_at: ip.last_used_at.to_rfc3339(),
        })
        .collect();
    Ok((days, used_from))
}
