//! Fixed one-minute windows, per client address (`/keys/verify`) and per
//! key (a key's own rate limit). Bounded in size: when a map grows past
//! [`MAX_TRACKED`], windows that have ended are dropped.
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// The API's limiters, one set per process.
#[derive(Clone, Default)]
pub struct Limits {
    pub per_ip: RateLimiter<IpAddr>,
    pub per_key: RateLimiter<i64>,
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
