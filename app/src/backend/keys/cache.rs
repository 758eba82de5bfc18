//! The key check's memory: everything the status function needs about a
//! key, by the SHA-256 of a presented secret, so a check hashes and answers
//! without the database. Bounded in size; entries live at most `ttl` (so a
//! change made through another instance is seen within it), and any change
//! made through this instance clears the cache at once.
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::backend::entities::{api_key, api_key_secret, membership, organization, user};

/// A key and everything its status depends on.
#[derive(Clone, Debug)]
pub struct Facts {
    pub key: api_key::Model,
    pub secret: api_key_secret::Model,
    pub owner: user::Model,
    pub membership: Option<membership::Model>,
    pub organization: organization::Model,
    /// Slugs, sorted.
    pub api_sets: Vec<String>,
}

struct Entry {
    /// `None`: no key has this hash (remembered too, so a flood of made-up
    /// keys does not reach the database more than once per `ttl` each).
    facts: Option<Arc<Facts>>,
    at: Instant,
}

#[derive(Clone)]
pub struct KeyCache {
    inner: Arc<RwLock<HashMap<String, Entry>>>,
    ttl: Duration,
    capacity: usize,
}

impl Default for KeyCache {
    fn default() -> Self {
        KeyCache::new(Duration::from_secs(1), 100_000)
    }
}

impl KeyCache {
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        KeyCache {
            inner: Arc::new(RwLock::new(HashMap::new())),
            ttl,
            capacity: capacity.max(1),
        }
    }

    /// `Some(answer)` when remembered and fresh; `None` when it must be
    /// looked up.
    pub fn get(&self, hash: &str) -> Option<Option<Arc<Facts>>> {
        let map = self.inner.read().ok()?;
        let entry = map.get(hash)?;
        (entry.at.elapsed() < self.ttl).then(|| entry.facts.clone())
    }

    pub fn put(&self, hash: String, facts: Option<Arc<Facts>>) {
        let Ok(mut map) = self.inner.write() else {
            return;
        };
        if map.len() >= self.capacity {
            let ttl = self.ttl;
            map.retain(|_, e| e.at.elapsed() < ttl);
            if map.len() >= self.capacity {
                map.clear();
            }
        }
        map.insert(
            hash,
            Entry {
                facts,
                at: Instant::now(),
            },
        );
    }

    /// Forgets everything: called after any change that can alter a key's
    /// status (key, owner, membership, organization, API sets).
    pub fn clear(&self) {
        if let Ok(mut map) = self.inner.write() {
            map.clear();
        }
    }

    pub fn len(&self) -> usize {
        self.inner.read().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_within_ttl_and_stays_bounded() {
        let cache = KeyCache::new(Duration::from_secs(60), 3);
        assert!(cache.get("a").is_none());
        cache.put("a".into(), None);
        assert!(matches!(cache.get("a"), Some(None)));
        for k in ["b", "c", "d", "e"] {
            cache.put(k.into(), None);
            assert!(cache.len() <= 3);
        }
        cache.clear();
        assert!(cache.is_empty());
        let expired = KeyCache::new(Duration::from_millis(0), 3);
        expired.put("a".into(), None);
        assert!(expired.get("a").is_none());
    }
}
