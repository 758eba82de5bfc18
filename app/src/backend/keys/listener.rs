//! Hearing, on PostgreSQL, that another instance changed something a key
//! check reads, so a revocation is refused everywhere within milliseconds
//! rather than when this instance's cache entry ages out.
//!
//! A commit with [`Invalidate::Keys`](crate::backend::unit_of_work::Invalidate)
//! sends `pg_notify(CHANNEL, '')` inside its transaction: PostgreSQL
//! delivers it only if the change commits, and only once it is visible.
//! Every instance listens on a connection of its own (named
//! [`APPLICATION_NAME`] in `pg_stat_activity`) and clears its key cache on
//! each notice; the cache's generation makes a reload racing that clear drop
//! what it read. Notices sent while the connection is down are lost for
//! good, so a lost connection clears the cache, and so does listening again.
//! A connection can also hang without failing: the listener notifies itself
//! every second and reconnects when an echo has not come back within two.
//! The cache's one-second bound stays as the net under all of this.
//!
//! SQLite has one instance per file: nothing to hear, no task.
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sea_orm::sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sea_orm::sqlx::{ConnectOptions as _, Executor};
use tokio::sync::Notify;
use tokio::time::MissedTickBehavior;

use super::cache::KeyCache;
use crate::backend::db::Backend;

/// Where commits that change a key check are announced ("clear
/// everything"). The payload names the sending instance and a number (see
/// `echo`): never a row, never a secret.
pub const CHANNEL: &str = "keyhouse_keys";
/// The listener's connection, as `pg_stat_activity.application_name` shows it.
pub const APPLICATION_NAME: &str = "keyhouse-listener";
const HEARTBEAT_EVERY: Duration = Duration::from_secs(1);
/// A heartbeat not echoed within this long: the connection is hung.
const ECHO_WITHIN: Duration = Duration::from_secs(2);
const CONNECT_WITHIN: Duration = Duration::from_secs(5);
const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(5);

/// The listening task; [`KeyListener::stop`] ends it. Dropping the handle
/// leaves it running.
#[must_use = "stop it at shutdown"]
pub struct KeyListener {
    stop: Arc<Notify>,
    task: Option<tokio::task::JoinHandle<()>>,
    sessions: Arc<AtomicU64>,
}

impl KeyListener {
    /// How many times listening has started (0 until the first `LISTEN`;
    /// each reconnection adds one). Always 0 on SQLite.
    pub fn sessions(&self) -> u64 {
        self.sessions.load(Ordering::Acquire)
    }

    /// Stops listening and waits for the task to end.
    pub async fn stop(self) {
        let Some(task) = self.task else {
            return;
        };
        self.stop.notify_one();
        if let Err(err) = task.await {
            tracing::warn!(error = %err, "the key change listener failed");
        }
    }
}

/// Starts listening for key changes made through any instance on the
/// PostgreSQL database at `database_url`, clearing `cache` on each. On
/// SQLite nothing is started.
pub fn spawn(cache: KeyCache, database_url: &str) -> KeyListener {
    let stop = Arc::new(Notify::new());
    let sessions = Arc::new(AtomicU64::new(0));
    let task = (Backend::of(database_url) == Some(Backend::Postgres)).then(|| {
        let listening = Listening {
            cache,
            url: database_url.to_owned(),
            heartbeat: heartbeat_channel(),
            stop: stop.clone(),
            sessions: sessions.clone(),
        };
        tokio::spawn(listening.run())
    });
    KeyListener {
        stop,
        task,
        sessions,
    }
}

/// A channel only this instance listens on, so no instance hears the
/// others' heartbeats.
fn heartbeat_channel() -> String {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        // Unique enough without randomness: the process and the time.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        bytes[..4].copy_from_slice(&std::process::id().to_le_bytes());
        bytes[4..].copy_from_slice(&nanos.to_le_bytes());
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("keyhouse_heartbeat_{hex}")
}

struct Listening {
    cache: KeyCache,
    url: String,
    heartbeat: String,
    stop: Arc<Notify>,
    sessions: Arc<AtomicU64>,
}

/// Why a session ended.
enum Ended {
    Stopped,
    Lost(String),
}

impl Listening {
    async fn run(self) {
        let mut retry = RETRY_FIRST;
        loop {
            let connected = tokio::select! {
                connected = tokio::time::timeout(CONNECT_WITHIN, self.connect()) => connected,
                () = self.stop.notified() => return,
            };
            match connected {
                Ok(Ok(mut listener)) => {
                    // Whatever changed while nobody listened was not heard.
                    self.cache.clear();
                    self.sessions.fetch_add(1, Ordering::AcqRel);
                    let began = Instant::now();
                    self.cache.echo.set_listening(true);
                    let ended = self.serve(&mut listener).await;
                    self.cache.echo.set_listening(false);
                    // Notices sent from now until listening again are lost.
                    self.cache.clear();
                    match ended {
                        Ended::Stopped => {
                            tracing::debug!("key change listener stopped");
                            return;
                        }
                        Ended::Lost(reason) => tracing::warn!(
                            %reason,
                            "lost the key change listener's connection; key cache cleared, reconnecting"
                        ),
                    }
                    if began.elapsed() > RETRY_MAX {
                        retry = RETRY_FIRST;
                    }
                }
                Ok(Err(err)) => tracing::warn!(
                    error = %err,
                    retry_ms = retry.as_millis() as u64,
                    "cannot listen for key changes"
                ),
                Err(_) => tracing::warn!(
                    retry_ms = retry.as_millis() as u64,
                    "cannot listen for key changes: connecting timed out"
                ),
            }
            tokio::select! {
                () = tokio::time::sleep(retry) => {}
                () = self.stop.notified() => return,
            }
            retry = (retry * 2).min(RETRY_MAX);
        }
    }

    /// A connection of its own (a pool of one, never shared), listening.
    async fn connect(&self) -> Result<PgListener, sea_orm::sqlx::Error> {
        // A statement that cannot finish is ended by the server (a commit
        // stuck behind the cluster's NOTIFY lock must not pile up blocked
        // sessions, one per reconnect); its SQL is not worth a log line a
        // second.
        let options = PgConnectOptions::from_str(&self.url)?
            .application_name(APPLICATION_NAME)
            .options([("statement_timeout", "3000"), ("lock_timeout", "3000")])
            .disable_statement_logging();
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .max_lifetime(None)
            .idle_timeout(None)
            .connect_with(options)
            .await?;
        let mut listener = PgListener::connect_with(&pool).await?;
        // A lost connection is reported at once (not silently replaced),
        // so the cache is cleared for the notices lost with it.
        listener.eager_reconnect(false);
        listener
            .listen_all([CHANNEL, self.heartbeat.as_str()])
            .await?;
        Ok(listener)
    }

    /// Clears the cache on every notice until the connection is lost or
    /// hangs, or the listener is stopped.
    async fn serve(&self, listener: &mut PgListener) -> Ended {
        let mut beat = tokio::time::interval_at(
            tokio::time::Instant::now() + HEARTBEAT_EVERY,
            HEARTBEAT_EVERY,
        );
        beat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // Since when a heartbeat has been waiting for its echo.
        let mut unanswered: Option<Instant> = None;
        loop {
            // `try_recv` keeps a partly read message when dropped: the
            // other branches may interrupt it.
            // Biased: an echo already received is read before the next
            // tick asks whether it came (a slow round trip is no hang).
            tokio::select! {
                biased;
                () = self.stop.notified() => return Ended::Stopped,
                received = listener.try_recv() => match received {
                    Ok(Some(notice)) if notice.channel() == CHANNEL => {
                        self.cache.clear();
                        self.cache.echo.heard(notice.payload());
                    }
                    Ok(Some(notice)) if notice.channel() == self.heartbeat => unanswered = None,
                    Ok(Some(_)) => {}
                    Ok(None) => return Ended::Lost("the connection closed".into()),
                    Err(err) => return Ended::Lost(err.to_string()),
                },
                _ = beat.tick() => {
                    let since = *unanswered.get_or_insert_with(Instant::now);
                    if since.elapsed() >= ECHO_WITHIN {
                        return Ended::Lost("no heartbeat echo within 2 s".into());
                    }
                    let sent = listener.execute(
                        sea_orm::sqlx::query("SELECT pg_notify($1, '')").bind(&self.heartbeat),
                    );
                    match tokio::time::timeout(ECHO_WITHIN, sent).await {
                        Ok(Ok(_)) => {}
                        Ok(Err(err)) => return Ended::Lost(err.to_string()),
                        Err(_) => return Ended::Lost("the heartbeat hung".into()),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeat_channels_differ_and_are_valid_names() {
        let (a, b) = (heartbeat_channel(), heartbeat_channel());
        assert_ne!(a, b);
        // PostgreSQL identifiers: at most 63 bytes.
        assert!(a.len() <= 63 && a.is_ascii(), "{a}");
    }

    #[tokio::test]
    async fn nothing_is_started_on_sqlite() {
        let listener = spawn(KeyCache::default(), "sqlite://data/keyhouse.db");
        assert!(listener.task.is_none());
        assert_eq!(listener.sessions(), 0);
        listener.stop().await;
    }
}
