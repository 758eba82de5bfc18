//! Server-only code that owns the data: database, entities, migrations,
//! sessions, authentication and the services behind the server functions.
pub mod advisory;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod cookies;
pub mod db;
pub mod entities;
pub mod jobs;
pub mod keys;
pub mod mail;
pub mod metrics;
pub mod migrations;
pub mod operations;
pub mod paging;
pub mod rate_windows;
pub mod request_meta;
pub mod services;
pub mod session_store;
pub mod state;
pub mod unit_of_work;
pub mod webhooks;
