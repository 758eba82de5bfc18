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
use sea_orm::{DatabaseConnection, DbBackend};

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
    per_ip: RateLimiter<IpAddr>,
    per_key: RateLimiter<i64>,
    shared: Option<Shared>,
}

/// The database's windows, and the buckets known to be over their limit
/// until the instant their window ends.
#[derive(Clone)]
struct Shared {
    db: DatabaseConnection,
    denied: Arc<Mutex<HashMap<String, Instant>>>,
}

impl Limits {
    /// Counted in the database when it is PostgreSQL, else in memory.
    pub fn for_database(db: &DatabaseConnection) -> Self {
        let shared = (db.get_database_backend() == DbBackend::Postgres).then(|| Shared {
            db: db.clone(),
            denied: Arc::default(),
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

    /// Counts a request from `ip` (an IPv6 client by its /64).
    pub async fn address(&self, ip: IpAddr, per_minute: u32) -> Result<(), u64> {
        match &self.shared {
            Some(shared) => {
                let bucket = format!("ip:{}", throttle::address_key(ip));
                match shared.hit(bucket, per_minute).await {
                    Some(verdict) => verdict,
                    None => self.per_ip.check(ip, per_minute),
                }
            }
            None => self.per_ip.check(ip, per_minute),
        }
    }
}

impl Shared {
    /// The database's verdict; `None` when it could not be asked (logged).
    async fn hit(&self, bucket: String, per_minute: u32) -> Option<Result<(), u64>> {
        // Remembered with the limit it was over: a raised limit is asked
        // about again at once.
        let remembered = format!("{bucket}/{per_minute}");
        if let Some(wait) = self.still_denied(&remembered) {
            return Some(Err(wait));
        }
        match rate_windows::hit(&self.db, &bucket, per_minute).await {
            Ok(Verdict::Allowed) => Some(Ok(())),
            Ok(Verdict::Denied { retry_after }) => {
                if let Ok(mut denied) = self.denied.lock() {
                    if denied.len() >= MAX_TRACKED {
                        denied.retain(|_, until| *until > Instant::now());
                    }
                    if denied.len() < MAX_TRACKED {
                        let until = Instant::now() + Duration::from_secs(retry_after);
                        denied.insert(remembered, until);
                    }
                }
                Some(Err(retry_after))
            }
            Err(err) => {
                tracing::warn!(error = %err, "rate window not counted in the database");
                None
            }
        }
    }

    /// The seconds left while `bucket` is known to be over its limit.
    fn still_denied(&self, bucket: &str) -> Option<u64> {
        let mut denied = self.denied.lock().ok()?;
        let until = *denied.get(bucket)?;
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            denied.remove(bucket);
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
