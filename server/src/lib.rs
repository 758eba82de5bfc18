//! The Keyhouse server: configuration, router assembly and the handlers that
//! are plain HTTP rather than Leptos pages.
pub mod config;
pub mod health;
pub mod locale;
pub mod router;

use std::time::Duration;

use app::backend::{db, session_store::SeaOrmSessionStore, state::AppState};
use leptos::prelude::LeptosOptions;

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
}

/// Connects, migrates and assembles the router.
pub async fn build(config: &Config) -> Result<Server, StartError> {
    let db = db::connect_and_migrate(&config.database_url)
        .await
        .map_err(|err| StartError::Database {
            url: db::redact_url(&config.database_url),
            reason: err.to_string().replace('\n', " "),
        })?;
    let leptos_options = LeptosOptions::builder()
        .output_name("keyhouse")
        .site_root(config.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(config.addr)
        .build();
    let state = AppState {
        leptos_options,
        db: db.clone(),
    };
    let sessions = SeaOrmSessionStore::new(db);
    let router = router::router(state.clone(), sessions.clone(), config);
    Ok(Server {
        state,
        sessions,
        router,
    })
}

/// Deletes expired sessions every `period`, logging (not stopping) on error.
pub fn spawn_session_cleanup(store: SeaOrmSessionStore, period: Duration) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(period);
        interval.tick().await;
        loop {
            interval.tick().await;
            match store.delete_expired_count().await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(deleted = n, "expired sessions deleted"),
                Err(err) => tracing::warn!(error = %err, "session cleanup failed"),
            }
        }
    });
}
