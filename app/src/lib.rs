//! The Keyhouse Leptos app, compiled twice: with `ssr` for the server and with
//! `hydrate` for the browser. Everything under [`backend`] owns data and exists
//! only on the server.
#![recursion_limit = "256"]

pub mod app;
pub mod components;
pub mod i18n;
pub mod model;
pub mod pages;
pub mod proxy_config;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod backend;

pub use app::{App, shell};
