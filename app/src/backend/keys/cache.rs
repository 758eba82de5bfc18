//! The key check's memory: everything the status function needs about a
//! key, by the SHA-256 of a presented secret, so a check hashes and answers
//! without the database. Bounded in size; entries are used at most one second
//! after loading (so a change made through another instance is seen within
//! it even when nothing told us), and any change made through this instance
//! clears the cache at once; on PostgreSQL, so does one made through another
//! instance, as soon as its notice arrives (see `listener`).
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
    /// Where the key is accepted from; `None`: anywhere.
    pub allowed_from: Option<Vec<crate::model::addresses::Cidr>>,
}

impl Facts {
    /// Whether the key may be used from `ip` (the client address as the
    /// trusted-proxy rule decides it). A key with an allowlist refuses a
    /// request whose address is unknown.
    pub fn allows(&self, ip: Option<std::net::IpAddr>) -> bool {
        match &self.allowed_from {
            None => true,
            Some(list) => ip.is_some_and(|ip| list.iter().any(|range| range.contains(ip))),
        }
    }
}

struct Entry {
    /// `None`: no key has this hash (remembered too, so a flood of made-up
    /// keys does not reach the database more than once per `fresh` each).
    facts: Option<Arc<Facts>>,
    at: Instant,
    /// Set by the one request that reloads a stale entry.
    refreshing: Arc<AtomicBool>,
}

/// When a load began, and the cache's generation then.
#[derive(Clone, Copy, Debug)]
pub struct Ticket {
    generation: u64,
    started: Instant,
}

/// What the cache knows about a hash.
pub enum Lookup {
    /// Loaded less than `fresh` ago.
    Fresh(Option<Arc<Facts>>),
    /// Older than `fresh` but younger than `max_age`: usable while ONE
    /// caller (the one given `refresh: true`) reloads it, so an entry's
    /// expiry never sends every concurrent request to the database.
    Stale {
        facts: Option<Arc<Facts>>,
        refresh: bool,
    },
    /// Unknown, or too old to use.
    Miss,
}

#[derive(Clone)]
pub struct KeyCache {
    inner: Arc<RwLock<HashMap<String, Entry>>>,
    /// Bumped by every [`KeyCache::clear`]: a load that began before a
    /// clear must not put what it read back.
    generation: Arc<AtomicU64>,
    fresh: Duration,
    max_age: Duration,
    capacity: usize,
    /// This instance's notices heard back (PostgreSQL).
    pub echo: super::echo::Echo,
}

impl Default for KeyCache {
    /// Fresh for half a second, used at most one second after loading: a
    /// change made through another instance is seen within a second.
    fn default() -> Self {
        KeyCache::new(Duration::from_millis(500), Duration::from_secs(1), 100_000)
    }
}

impl KeyCache {
    pub fn new(fresh: Duration, max_age: Duration, capacity: usize) -> Self {
        KeyCache {
            inner: Arc::new(RwLock::new(HashMap::new())),
            generation: Arc::new(AtomicU64::new(0)),
            fresh,
            max_age: max_age.max(fresh),
            capacity: capacity.max(1),
            echo: super::echo::Echo::default(),
        }
    }

    pub fn lookup(&self, hash: &str) -> Lookup {
        let Ok(map) = self.inner.read() else {
            return Lookup::Miss;
        };
        let Some(entry) = map.get(hash) else {
            return Lookup::Miss;
        };
        let age = entry.at.elapsed();
        if age < self.fresh {
            Lookup::Fresh(entry.facts.clone())
        } else if age < self.max_age {
            let refresh = entry
                .refreshing
                .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                .is_ok();
            Lookup::Stale {
                facts: entry.facts.clone(),
                refresh,
            }
        } else {
            Lookup::Miss
        }
    }

    /// `Some(answer)` when remembered and fresh; `None` when it must be
    /// looked up.
    pub fn get(&self, hash: &str) -> Option<Option<Arc<Facts>>> {
        match self.lookup(hash) {
            Lookup::Fresh(facts) => Some(facts),
            _ => None,
        }
    }

    /// Taken BEFORE loading, given to [`KeyCache::put_loaded`] after.
    pub fn ticket(&self) -> Ticket {
        Ticket {
            generation: self.generation.load(Ordering::Acquire),
            started: Instant::now(),
        }
    }

    /// Remembers what a load read, unless the cache was cleared since it
    /// began (the load may predate the change). Its age counts from the
    /// start of the load, so a slow load does not stretch the one second.
    pub fn put_loaded(&self, hash: String, facts: Option<Arc<Facts>>, ticket: Ticket) {
        let Ok(mut map) = self.inner.write() else {
            return;
        };
        if self.generation.load(Ordering::Acquire) != ticket.generation {
            return;
        }
        if map.len() >= self.capacity && !map.contains_key(&hash) {
            let max_age = self.max_age;
            map.retain(|_, e| e.at.elapsed() < max_age);
            if map.len() >= self.capacity {
                map.clear();
            }
        }
        map.insert(
            hash,
            Entry {
                facts,
                at: ticket.started,
                refreshing: Arc::new(AtomicBool::new(false)),
            },
        );
    }

    pub fn put(&self, hash: String, facts: Option<Arc<Facts>>) {
        self.put_loaded(hash, facts, self.ticket());
    }

    /// Forgets everything: called after any change that can alter a key's
    /// status (key, owner, membership, organization, API sets).
    pub fn clear(&self) {
        if let Ok(mut map) = self.inner.write() {
            self.generation.fetch_add(1, Ordering::AcqRel);
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
        let cache = KeyCache::new(Duration::from_secs(60), Duration::from_secs(60), 3);
        assert!(cache.get("a").is_none());
        cache.put("a".into(), None);
        assert!(matches!(cache.get("a"), Some(None)));
        for k in ["b", "c", "d", "e"] {
            cache.put(k.into(), None);
            assert!(cache.len() <= 3);
        }
        cache.clear();
        assert!(cache.is_empty());
        let expired = KeyCache::new(Duration::from_millis(0), Duration::from_millis(0), 3);
        expired.put("a".into(), None);
        assert!(expired.get("a").is_none());
    }

    #[test]
    fn a_stale_entry_is_reloaded_by_one_caller_while_the_others_use_it() {
        let cache = KeyCache::new(Duration::from_millis(0), Duration::from_secs(60), 3);
        cache.put("a".into(), None);
        assert!(matches!(
            cache.lookup("a"),
            Lookup::Stale { refresh: true, .. }
        ));
        for _ in 0..5 {
            assert!(matches!(
                cache.lookup("a"),
                Lookup::Stale { refresh: false, .. }
            ));
        }
        cache.put("a".into(), None);
        assert!(matches!(
            cache.lookup("a"),
            Lookup::Stale { refresh: true, .. }
        ));
    }

    #[test]
    fn a_load_that_began_before_a_clear_is_not_remembered() {
        let cache = KeyCache::new(Duration::from_secs(60), Duration::from_secs(60), 3);
        let ticket = cache.ticket();
        cache.clear();
        cache.put_loaded("a".into(), None, ticket);
        assert!(matches!(cache.lookup("a"), Lookup::Miss));
        cache.put_loaded("a".into(), None, cache.ticket());
        assert!(matches!(cache.lookup("a"), Lookup::Fresh(None)));
    }
}
