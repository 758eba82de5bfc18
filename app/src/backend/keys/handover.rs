//! Hands a just-generated key to the next page of the same user, for the
//! flows where the browser cannot receive it as the answer of the call:
//! a form posted without JavaScript (the post answers with a redirect) and
//! sign-up with "Create my first API key now" (which redirects as well).
//!
//! The key is held in this process's memory only (never the database, the
//! session or a URL), for at most five minutes, and handed over once.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::model::keys::GeneratedKey;

const TTL: Duration = Duration::from_secs(300);

/// (user id, organization id) → the key and when it was put.
type Waiting = HashMap<(i64, i64), (GeneratedKey, Instant)>;

#[derive(Clone, Default)]
pub struct Handover {
    inner: Arc<Mutex<Waiting>>,
}

impl Handover {
    /// Keeps `key` for user `user_id` in organization `org_id`, replacing an
    /// earlier one not yet taken.
    pub fn put(&self, user_id: i64, org_id: i64, key: GeneratedKey) {
        if let Ok(mut map) = self.inner.lock() {
            map.retain(|_, (_, at)| at.elapsed() < TTL);
            map.insert((user_id, org_id), (key, Instant::now()));
        }
    }

    /// The waiting key, removed: a second call gets nothing.
    pub fn take(&self, user_id: i64, org_id: i64) -> Option<GeneratedKey> {
        let mut map = self.inner.lock().ok()?;
        let (key, at) = map.remove(&(user_id, org_id))?;
        (at.elapsed() < TTL).then_some(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> GeneratedKey {
        GeneratedKey {
            id: 1,
            name: "CRM".into(),
            key: "kh_x".into(),
            organization: "Acme".into(),
            api_sets: vec![],
            created_at: String::new(),
        }
    }

    #[test]
    fn handed_over_once_and_only_to_its_user() {
        let h = Handover::default();
        h.put(1, 10, key());
        assert!(h.take(2, 10).is_none());
        assert!(h.take(1, 11).is_none());
        assert_eq!(h.take(1, 10), Some(key()));
        assert!(h.take(1, 10).is_none());
    }
}
