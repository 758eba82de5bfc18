//! The Keyhouse server: configuration, router assembly and the handlers that
//! are plain HTTP rather than Leptos pages.
pub mod api;
pub mod check_key;
pub mod config;
pub mod guard_layers;
pub mod health;
pub mod locale;
pub mod logging;
pub mod metrics;
pub mod router;
pub mod security_headers;
pub mod site_files;

use std::sync::Arc;
use std::time::Duration;

use app::backend::clock::{SharedClock, SystemClock};
use app::backend::jobs::{self, Round};
use app::backend::services::{expiry_mail, expiry_mail_send, rotation, unused_keys};
use app::backend::state::{AppState, Settings};
use app::backend::webhooks::{outbox, sender};
use app::backend::{db, session_store::SeaOrmSessionStore};
use leptos::prelude::LeptosOptions;
use sea_orm::DatabaseConnection;

use crate::config::Config;

/// Everything `main` needs, built once at start.
pub struct Server {
    pub state: AppState,
    pub sessions: SeaOrmSessionStore,
    pub router: axum::Router,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open database {url}: {reason}")]
    Database { url: String, reason: String },
    #[error("KEYHOUSE_SMTP_URL / KEYHOUSE_MAIL_FROM: {0}")]
    Mail(String),
    #[error(transparent)]
    SiteFiles(#[from] site_files::SiteError),
}

/// Connects, migrates and assembles the router.
pub async fn build(config: &Config) -> Result<Server, StartError> {
    build_with_clock(config, Arc::new(SystemClock)).await
}

/// As [`build`], with a given clock (tests move a manual one).
pub async fn build_with_clock(config: &Config, clock: SharedClock) -> Result<Server, StartError> {
    let db = db::connect_and_migrate(&config.database_url)
        .await
        .map_err(|err| StartError::Database {
            url: db::redact_url(&config.database_url),
            reason: err.to_string().replace('\n', " "),
        })?;
    let site = site_files::SiteFiles::load(config.site_root.as_deref())?;
    let leptos_options = LeptosOptions::builder()
        .output_name(site.output_name())
        .site_root(
            config
                .site_root
                .as_deref()
                .unwrap_or(std::path::Path::new("target/site"))
                .to_string_lossy()
                .into_owned(),
        )
        .site_pkg_dir("pkg")
        .site_addr(config.addr)
        .build();
    let sessions = SeaOrmSessionStore::new(db.clone());
    let settings = Settings {
        session_idle: chrono::Duration::minutes(i64::from(config.session_idle_minutes)),
        session_absolute: chrono::Duration::hours(i64::from(config.session_absolute_hours)),
        trusted_proxies: config.trusted_proxies.clone(),
        max_keys_per_user: u64::from(config.max_keys_per_user),
        invite_only_signup: config.signup == config::Signup::InviteOnly,
        sign_ups_per_hour: u64::from(config.sign_ups_per_hour),
        secure_cookies: config.secure_cookies,
        leak_reporters: config.leak_report_keys.clone().unwrap_or_default(),
        webhook_allow_private: config.webhook_allow_private,
        mailer: config
            .smtp_url
            .as_ref()
            .map(|url| app::backend::mail::Mailer::new(&url.0, &config.mail_from))
            .transpose()
            .map_err(StartError::Mail)?,
    };
    let state = AppState {
        leptos_options,
        db,
        sessions: sessions.clone(),
        clock,
        settings: Arc::new(settings),
        key_cache: Default::default(),
        usage: Default::default(),
        alarm_slots: Default::default(),
        limit_slots: Default::default(),
    };
    let router = router::router(state.clone(), sessions.clone(), config, site);
    Ok(Server {
        state,
        sessions,
        router,
    })
}

/// Deletes expired sessions every `period`, logging (not stopping) on error.
/// On PostgreSQL one instance at a time does it (see `app::backend::jobs`).
pub fn spawn_session_cleanup(db: DatabaseConnection, period: Duration) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(period);
        interval.tick().await;
        loop {
            interval.tick().await;
            report("expired sessions", jobs::delete_expired_sessions(&db).await);
        }
    });
}

/// Logs a job's round: what it deleted, that another instance had it, or
/// its error (the next round tries again).
fn report(job: &str, round: Result<Round, sea_orm::DbErr>) {
    match round {
        Ok(Round::Ran { deleted: 0 }) => {}
        Ok(Round::Ran { deleted }) => tracing::debug!(job, deleted, "deleted"),
        Ok(Round::Skipped) => tracing::debug!(job, "skipped: another instance is running it"),
        Err(err) => tracing::warn!(job, error = %err, "deleting failed"),
    }
}

/// Sends the webhook deliveries due, every `period`, logging (not
/// stopping) on error. Every instance
/// runs it; a delivery is taken by one sender at a time (see
/// `app::backend::webhooks::sender`).
pub fn spawn_webhook_sender(state: AppState, period: Duration) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            match sender::deliver_due(&state, state.clock.now()).await {
                Ok(round) if round == sender::Round::default() => {}
                Ok(round) => tracing::info!(
                    delivered = round.delivered,
                    retrying = round.retrying,
                    failed = round.failed,
                    "webhooks sent"
                ),
                Err(err) => tracing::warn!(error = %err, "sending webhooks failed"),
            }
        }
    });
}

/// The background task writing the keys' use; [`UsageFlush::stop`] ends it
/// with a last write. Dropping the handle leaves the task running.
#[must_use = "stop it at shutdown, or the last batch of key usage is lost"]
pub struct UsageFlush {
    stop: Arc<tokio::sync::Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl UsageFlush {
    /// Lets a write in progress finish, then writes what is left and waits
    /// for it. Call it after the server stopped taking requests and the
    /// ones in flight are over: nothing is counted after this.
    pub async fn stop(self) {
        // A stored permit: seen even if the task is busy writing right now.
        self.stop.notify_one();
        if let Err(err) = self.task.await {
            tracing::warn!(error = %err, "the key usage task failed");
        }
    }
}

/// The expiry e-mail's round, off the usage task (SMTP may be slow): one at
/// a time per instance; a round still sending when the next is due lets it
/// pass.
fn mail_round(
    state: &AppState,
    mailer: app::backend::mail::Mailer,
    now: chrono::DateTime<chrono::Utc>,
) {
    use std::sync::atomic::{AtomicBool, Ordering};
    static RUNNING: AtomicBool = AtomicBool::new(false);
    /// Lets the next round run however this one ends (a panic included).
    struct Running;
    impl Drop for Running {
        fn drop(&mut self) {
            RUNNING.store(false, Ordering::Release);
        }
    }
    if RUNNING.swap(true, Ordering::AcqRel) {
        return;
    }
    let running = Running;
    let state = state.clone();
    tokio::spawn(async move {
        let _running = running;
        match expiry_mail_send::run(&state, &mailer, now).await {
            Ok(round) if round == Default::default() => {}
            Ok(round) => tracing::info!(
                written = round.written,
                sent = round.sent,
                given_up = round.failed,
                "expiry e-mail round"
            ),
            Err(err) => tracing::warn!(error = %err, "the expiry e-mail round failed"),
        }
        if let Err(err) = expiry_mail::purge_old(&state.db, now).await {
            tracing::warn!(error = %err, "deleting old expiry e-mail failed");
        }
    });
}

/// Writes the keys' use to the database every `period` (batched, off the
/// request path), and about every five minutes deletes expired user
/// tokens, sign-in attempts past every throttle window, key hand-overs
/// nobody came for and ended rate windows (each instance
/// writes the use it counted; the deleting is done by one instance at a
/// time); logging (not stopping) on error. A write is never interrupted:
/// the stop request is only looked at between writes.
pub fn spawn_usage_flush(state: AppState, period: Duration) -> UsageFlush {
    let stop = Arc::new(tokio::sync::Notify::new());
    let stopped = stop.clone();
    app::backend::metrics::get().usage_watched_from(state.clock.now().timestamp_millis());
    let task = tokio::spawn(async move {
        let mut interval = tokio::time::interval(period);
        interval.tick().await;
        let purge_every = (300 / period.as_secs().max(1)).max(1);
        let mut ticks: u64 = 0;
        loop {
            tokio::select! {
                _ = interval.tick() => {}
                () = stopped.notified() => break,
            }
            let started = std::time::Instant::now();
            let flushed = state.usage.flush(&state.db).await;
            app::backend::metrics::get().usage_flushed(
                flushed.is_ok(),
                started.elapsed(),
                state.clock.now().timestamp_millis(),
            );
            if let Err(err) = &flushed {
                tracing::warn!(error = %err, "writing key usage failed");
            }
            ticks += 1;
            if ticks.is_multiple_of(purge_every) {
                let now = state.clock.now();
                report(
                    "expired user tokens",
                    jobs::purge_user_tokens(&state.db, now).await,
                );
                report(
                    "old sign-in attempts",
                    jobs::purge_sign_in_attempts(&state.db, now).await,
                );
                report(
                    "key hand-overs not taken",
                    jobs::purge_handovers(&state.db, now).await,
                );
                report(
                    "ended rate windows",
                    jobs::purge_rate_windows(&state.db).await,
                );
                // The key policy's "disable keys unused for N days": checked
                // with every round, so a key is disabled within minutes of
                // its Nth unused day; never while this instance's own use
                // could not be written.
                let round = if flushed.is_ok() {
                    unused_keys::disable_unused(&state, now).await
                } else {
                    Ok(None)
                };
                match outbox::purge_old(&state.db, now).await {
                    Ok(0) => {}
                    Ok(rows) => tracing::debug!(rows, "old webhook deliveries deleted"),
                    Err(err) => {
                        tracing::warn!(error = %err, "deleting old webhook deliveries failed")
                    }
                }
                match outbox::enqueue_expiry(&state.db, now).await {
                    Ok(0) => {}
                    Ok(events) => tracing::debug!(events, "key expiry events written"),
                    Err(err) => tracing::warn!(error = %err, "writing key expiry events failed"),
                }
                // Rolled secrets unused for an hour (asked for at the roll),
                // and grace periods that ran out: after this instance's use
                // was written, never while it could not be.
                if flushed.is_ok() {
                    match rotation::retire(&state, now).await {
                        Ok(done) if done == Default::default() => {}
                        Ok(done) => tracing::info!(
                            unused = done.unused,
                            grace_ended = done.grace_ended,
                            "rolled secrets retired"
                        ),
                        Err(err) => tracing::warn!(error = %err, "retiring rolled secrets failed"),
                    }
                }
                if let Err(err) = rotation::purge_hours(&state.db, now).await {
                    tracing::warn!(error = %err, "deleting old per-secret hours failed");
                }
                if let Some(mailer) = state.settings.mailer.clone() {
                    mail_round(&state, mailer, now);
                }
                match round {
                    Ok(Some(0)) => {}
                    Ok(Some(keys)) => {
                        tracing::info!(keys, "unused keys disabled by the key policy")
                    }
                    Ok(None) => tracing::debug!("unused keys: another instance is checking"),
                    Err(err) => tracing::warn!(error = %err, "disabling unused keys failed"),
                }
            }
        }
        // The last batch, so a clean stop loses none.
        match state.usage.flush(&state.db).await {
            Ok(n) => tracing::debug!(secrets = n, "last key usage written"),
            Err(err) => tracing::warn!(error = %err, "writing key usage failed"),
        }
    });
    UsageFlush { stop, task }
}
