//! Keyhouse's integration tests, as one test binary (`it`): one link of the
//! whole app instead of one per file. Each module is a former
//! `server/tests/<name>.rs`; they share the harness in [`common`].
//!
//! Tests run on threads of this one process, so none may touch
//! process-wide state: no `std::env::set_var` (settings go through the
//! server's `Config`, see `common::app_configured`), no tracing subscriber of
//! their own (a test reads the app's logs through `common::logs`), no fixed
//! ports; every database and organization comes fresh from `common`.
//!
//! Run one area with `cargo test -p server --features app/ssr --test it keys::`.

mod common;

mod allowed_addresses;
mod api;
mod api_manage;
mod api_manage_effects;
mod api_usage;
mod api_user_tokens;
mod audit;
mod auth;
mod auth_sessions;
mod auth_sign_in;
mod backup;
mod binary;
mod bulk;
mod check_key;
mod database;
mod decoys;
mod expiry;
mod filters;
mod golden;
mod grant_races;
mod grants;
mod grants_members;
mod grants_pages;
mod headers;
mod invitations;
mod invitations_guards;
mod invitations_race;
mod key_policy;
mod key_transfer;
mod keys;
mod keys_access;
mod keys_grace;
mod keys_refused;
mod leaks;
mod mail;
mod matrix;
mod matrix_api;
mod metrics;
mod notices;
mod rate_limited;
mod roles;
mod rotation;
mod rules;
mod rules_grants;
mod rules_keys;
mod scale_jobs;
mod scale_notify;
mod scale_shared;
mod scale_start;
mod session_races;
mod sessions;
mod shell;
mod throttle;
mod trust;
mod trust_orgs;
mod unit_of_work;
mod unused_keys;
mod users;
mod webhooks;
mod webhooks_outbox;
