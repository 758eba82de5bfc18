//! Whether this instance's listener has heard the notice of its own
//! commit: a key change is answered only once it has (at most
//! [`WAIT_AT_MOST`] later), so that by the time the caller sees the answer
//! the other instances, which get the same notice at the same moment, have
//! in all likelihood cleared their caches too. Without the wait a delete
//! answered in a millisecond could beat the notice to the other instances,
//! and the caller's very next request there could still get through.
//!
//! A notice carries `<instance>:<sequence>`: which instance sent it and its
//! number there (ids, never a row or a secret).
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::watch;

/// The longest a commit waits for its echo (a listener that hangs or lost
/// its connection must not hold up every change for long; the cache's own
/// bound is there for those).
pub const WAIT_AT_MOST: Duration = Duration::from_millis(100);

#[derive(Clone)]
pub struct Echo(Arc<Inner>);

struct Inner {
    instance: String,
    sent: AtomicU64,
    /// The highest sequence number of ours heard back.
    heard: watch::Sender<u64>,
    listening: AtomicBool,
}

impl Default for Echo {
    fn default() -> Self {
        let mut bytes = [0u8; 8];
        // Without randomness the instance id is less unique, nothing worse:
        // a foreign notice taken for ours only ends a wait early.
        let _ = getrandom::fill(&mut bytes);
        let instance: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        Echo(Arc::new(Inner {
            instance,
            sent: AtomicU64::new(0),
            heard: watch::Sender::new(0),
            listening: AtomicBool::new(false),
        }))
    }
}

impl Echo {
    /// The next notice's sequence number and payload.
    pub fn next(&self) -> (u64, String) {
        let seq = self.0.sent.fetch_add(1, Ordering::AcqRel) + 1;
        (seq, format!("{}:{seq}", self.0.instance))
    }

    /// A notice was heard: notes it if it was one of ours.
    pub fn heard(&self, payload: &str) {
        let Some(seq) = payload
            .strip_prefix(self.0.instance.as_str())
            .and_then(|rest| rest.strip_prefix(':'))
            .and_then(|n| n.parse::<u64>().ok())
        else {
            return;
        };
        self.0.heard.send_if_modified(|max| {
            let newer = seq > *max;
            *max = (*max).max(seq);
            newer
        });
    }

    /// Whether the listener is listening right now (set by it).
    pub fn set_listening(&self, listening: bool) {
        self.0.listening.store(listening, Ordering::Release);
    }

    /// Waits until notice `seq` (or a later one of ours) was heard, at most
    /// [`WAIT_AT_MOST`]; not at all when nobody listens (SQLite, or the
    /// listener is reconnecting).
    pub async fn wait(&self, seq: u64) {
        if !self.0.listening.load(Ordering::Acquire) {
            return;
        }
        let mut heard = self.0.heard.subscribe();
        let _ = tokio::time::timeout(WAIT_AT_MOST, heard.wait_for(|max| *max >= seq)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_commit_waits_for_its_own_notice_only_while_listening() {
        let echo = Echo::default();
        let (seq, payload) = echo.next();
        // Nobody listening: no wait at all.
        tokio::time::timeout(Duration::from_millis(5), echo.wait(seq))
            .await
            .expect("no wait");
        echo.set_listening(true);
        let waiting = tokio::spawn({
            let echo = echo.clone();
            async move { echo.wait(seq).await }
        });
        // Another instance's notice, or garbage, is not ours.
        echo.heard("0000000000000000:1");
        echo.heard("nonsense");
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(!waiting.is_finished());
        echo.heard(&payload);
        tokio::time::timeout(Duration::from_millis(50), waiting)
            .await
            .expect("done once heard")
            .expect("task");
        // Never heard: given up after the bound.
        let (lost, _) = echo.next();
        let started = std::time::Instant::now();
        echo.wait(lost).await;
        assert!(started.elapsed() >= WAIT_AT_MOST);
    }
}
