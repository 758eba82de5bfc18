//! The one application state, built once at start.
use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::*;
use sea_orm::DatabaseConnection;

use super::clock::SharedClock;
use super::session_store::SeaOrmSessionStore;
use crate::model::error::AppError;

/// Settings the request handlers need, from the server's typed config.
#[derive(Clone, Debug)]
pub struct Settings {
    pub session_idle: chrono::Duration,
    pub session_absolute: chrono::Duration,
    pub trusted_proxies: Vec<IpAddr>,
    /// At most this many active keys per user and organization.
    pub max_keys_per_user: u64,
    /// `KEYHOUSE_SIGNUP=invite-only`: sign-up only through an invitation,
    /// except the very first account of an empty instance.
    pub invite_only_signup: bool,
    /// Sign-ups one client address may make in an hour.
    pub sign_ups_per_hour: u64,
    /// Cookies only over HTTPS (`KEYHOUSE_SECURE_COOKIES`).
    pub secure_cookies: bool,
    /// Who may report leaked keys (`KEYHOUSE_LEAK_REPORT_KEYS`).
    pub leak_reporters: crate::backend::auth::leak_reporters::LeakReporters,
    /// Webhook endpoints may be on loopback and private addresses
    /// (`KEYHOUSE_WEBHOOK_ALLOW_PRIVATE`; off: no SSRF into the network).
    pub webhook_allow_private: bool,
    /// The expiry e-mail's sender (`KEYHOUSE_SMTP_URL`); none: no e-mail.
    pub mailer: Option<super::mail::Mailer>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            session_idle: chrono::Duration::minutes(30),
            session_absolute: chrono::Duration::hours(12),
            trusted_proxies: Vec::new(),
            max_keys_per_user: 100,
            invite_only_signup: false,
            sign_ups_per_hour: crate::backend::auth::throttle::SIGN_UPS_PER_IP,
            secure_cookies: false,
            leak_reporters: Default::default(),
            webhook_allow_private: false,
            mailer: None,
        }
    }
}

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
    pub sessions: SeaOrmSessionStore,
    pub clock: SharedClock,
    pub settings: Arc<Settings>,
    pub key_cache: super::keys::cache::KeyCache,
    pub usage: super::keys::usage::Usage,
    pub alarm_slots: super::keys::alarm_slots::AlarmSlots,
    /// The `key.rate_limited` events this instance writes (one per key and
    /// hour).
    #[from_ref(skip)]
    pub limit_slots: super::keys::alarm_slots::AlarmSlots,
}

/// The state, from inside a server function or a component rendered on the
/// server (the router provides it as context).
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| AppError::internal("AppState missing from context"))
}

impl super::unit_of_work::Workplace for AppState {
    fn database(&self) -> &DatabaseConnection {
        &self.db
    }

    fn key_cache(&self) -> &super::keys::cache::KeyCache {
        &self.key_cache
    }
}
