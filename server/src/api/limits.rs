//! Fixed one-minute windows, per client address (`/keys/verify`) and per
//! key (a key's own rate limit).
//!
//! On SQLite (one process per database) they are counted in this process's
//! memory, bounded in size: when a map grows past [`MAX_TRACKED`], windows
//! that have ended are dropped. On PostgreSQL every instance counts in the
//! database (`backend::rate_windows`), so N instances behind a load balancer
//! still let through the limit once, not N times; a bucket found over its
//! limit is remembered here until its window ends, so a client hammering
//! past its limit costs no further database writes. Should the database not
//! answer, this process's own count decides meanwhile.
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::backend::auth::throttle;
use app::backend::rate_windows::{self, Verdict};
use app::backend::request_meta::RequestMeta;
use sea_orm::{DatabaseConnection, DbBackend};

use super::error::ApiError;

const WINDOW: Duration = Duration::from_secs(60);
const MAX_TRACKED: usize = 100_000;

struct Windows<K> {
    map: HashMap<K, (Instant, u32)>,
    swept: Instant,
}

#[derive(Clone)]
pub struct RateLimiter<K> {
    windows: Arc<Mutex<Windows<K>>>,
}

impl<K> Default for RateLimiter<K> {
    fn default() -> Self {
        RateLimiter {
            windows: Arc::new(Mutex::new(Windows {
                map: HashMap::new(),
                swept: Instant::now(),
            })),
        }
    }
}

impl<K: Hash + Eq> RateLimiter<K> {
    /// Counts a request of `who`; `Err(seconds to wait)` when it is over
    /// `per_minute` in the current window. When [`MAX_TRACKED`] windows are
    /// open (swept of ended ones at most once a second), a newcomer is let
    /// through untracked rather than growing the map without bound.
    pub fn check(&self, who: K, per_minute: u32) -> Result<(), u64> {
        let Ok(mut windows) = self.windows.lock() else {
            return Ok(());
        };
        let windows = &mut *windows;
        if windows.map.len() >= MAX_TRACKED && !windows.map.contains_key(&who) {
            if windows.swept.elapsed() >= Duration::from_secs(1) {
                windows.map.retain(|_, (start, _)| start.elapsed() < WINDOW);
                windows.swept = Instant::now();
            }
            if windows.map.len() >= MAX_TRACKED {
                tracing::warn!("rate limiter full; a client goes untracked");
                return Ok(());
            }
        }
        let entry = windows.map.entry(who).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= WINDOW {
            *entry = (Instant::now(), 0);
        }
        entry.1 = entry.1.saturating_add(1);
        if entry.1 > per_minute {
            Err(WINDOW
                .as_secs()
                .saturating_sub(entry.0.elapsed().as_secs())
                .max(1))
        } else {
            Ok(())
        }
    }
}

/// The API's limiters: in this process, or shared through PostgreSQL.
#[derive(Clone, Default)]
pub struct Limits {
    /// By address, an IPv6 client by its /64 (`throttle::address_key`).
    per_ip: RateLimiter<String>,
    per_key: RateLimiter<i64>,
    shared: Option<Shared>,
}

/// The database's windows; the buckets known to be over their limit until
/// the instant their window ends; and, after the database failed to answer,
/// until when this process counts on its own.
#[derive(Clone)]
struct Shared {
    db: DatabaseConnection,
    denied: Arc<Mutex<Denied>>,
    offline_until: Arc<Mutex<Option<Instant>>>,
}

/// Buckets over their limit, and until when.
struct Denied {
    map: HashMap<String, Instant>,
    swept: Instant,
}

/// How long a request waits for the database's count.
const ASK_TIMEOUT: Duration = Duration::from_millis(250);
/// After a failure, how long this process counts alone before asking again
/// (a database in trouble is not asked once per request).
const OFFLINE_FOR: Duration = Duration::from_secs(5);

impl Limits {
    /// Counted in the database when it is PostgreSQL, else in memory.
    pub fn for_database(db: &DatabaseConnection) -> Self {
        let shared = (db.get_database_backend() == DbBackend::Postgres).then(|| Shared {
            db: db.clone(),
            denied: Arc::new(Mutex::new(Denied {
                map: HashMap::new(),
                swept: Instant::now(),
            })),
            offline_until: Arc::default(),
        });
        Limits {
            shared,
            ..Limits::default()
        }
    }

    /// Counts a request of key `key_id` against its own limit.
    pub async fn key(&self, key_id: i64, per_minute: u32) -> Result<(), u64> {
        match &self.shared {
            Some(shared) => match shared.hit(format!("key:{key_id}"), per_minute).await {
                Some(verdict) => verdict,
                None => self.per_key.check(key_id, per_minute),
            },
            None => self.per_key.check(key_id, per_minute),
        }
    }

    /// Counts a request from the client `meta` names: 429 with the seconds
    /// to wait when it is over `per_minute` (the endpoints limited per
    /// address share one budget).
    pub async fn client(&self, meta: &RequestMeta, per_minute: u32) -> Result<(), ApiError> {
        match meta.client_ip {
            Some(ip) => self.address(ip, per_minute).await.map_err(|seconds| {
                ApiError::too_many(
                    seconds,
                    "Too many requests from this address; try again later.",
                )
            }),
            None => Ok(()),
        }
    }

    /// Counts a request from `ip` (an IPv6 client by its /64).
    pub async fn address(&self, ip: IpAddr, per_minute: u32) -> Result<(), u64> {
        let client = throttle::address_key(ip);
        match &self.shared {
            Some(shared) => match shared.hit(format!("ip:{client}"), per_minute).await {
                Some(verdict) => verdict,
                None => self.per_ip.check(client, per_minute),
            },
            None => self.per_ip.check(client, per_minute),
        }
    }
}

impl Shared {
    /// The database's verdict; `None` when it is not to be asked now or did
    /// not answer in time (then logged, once per outage).
    async fn hit(&self, bucket: String, per_minute: u32) -> Option<Result<(), u64>> {
        // Remembered with the limit it was over: a changed limit is asked
        // about again at once.
        let remembered = format!("{bucket}/{per_minute}");
        if let Some(wait) = self.still_denied(&remembered) {
            return Some(Err(wait));
        }
        if self.offline() {
            return None;
        }
        let asked = tokio::time::timeout(
            ASK_TIMEOUT,
            rate_windows::hit(&self.db, &bucket, per_minute),
        )
        .await;
        match asked {
            Ok(Ok(Verdict::Allowed)) => Some(Ok(())),
            Ok(Ok(Verdict::Denied { retry_after })) => {
                self.remember(remembered, retry_after);
                Some(Err(retry_after))
            }
            Ok(Err(err)) => {
                self.go_offline(&err.to_string());
                None
            }
            Err(_) => {
                self.go_offline("no answer within 250 ms");
                None
            }
        }
    }

    fn offline(&self) -> bool {
        let Ok(mut until) = self.offline_until.lock() else {
            return false;
        };
        match *until {
            Some(t) if t > Instant::now() => true,
            Some(_) => {
                *until = None;
                tracing::info!("rate limits counted in the database again");
                false
            }
            None => false,
        }
    }

    fn go_offline(&self, why: &str) {
        if let Ok(mut until) = self.offline_until.lock()
            && until.is_none()
        {
            tracing::warn!(error = why, "rate limits counted in this process for 5 s");
            *until = Some(Instant::now() + OFFLINE_FOR);
        }
    }

    /// Notes that `bucket` is over its limit for `seconds`. Bounded like
    /// the in-process windows: ended entries are swept at most once a
    /// second, and when the map is full a denial is simply not remembered.
    fn remember(&self, bucket: String, seconds: u64) {
        let Ok(mut denied) = self.denied.lock() else {
            return;
        };
        let now = Instant::now();
        if denied.map.len() >= MAX_TRACKED && denied.swept.elapsed() >= Duration::from_secs(1) {
            denied.map.retain(|_, until| *until > now);
            denied.swept = now;
        }
        if denied.map.len() < MAX_TRACKED {
            denied
                .map
                .insert(bucket, now + Duration::from_secs(seconds));
        }
    }

    /// The seconds left while `bucket` is known to be over its limit.
    fn still_denied(&self, bucket: &str) -> Option<u64> {
        let mut denied = self.denied.lock().ok()?;
        let until = *denied.map.get(bucket)?;
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            denied.map.remove(bucket);
            return None;
        }
        Some(left.as_secs().max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_over_the_limit_is_refused_with_a_wait() {
        let limiter = RateLimiter::default();
        for _ in 0..3 {
            assert_eq!(limiter.check(7_i64, 3), Ok(()));
        }
        let wait = limiter.check(7, 3).expect_err("fourth request");
        assert!((1..=60).contains(&wait), "{wait}");
        // Another key has its own window.
        assert_eq!(limiter.check(8, 3), Ok(()));
    }
}
