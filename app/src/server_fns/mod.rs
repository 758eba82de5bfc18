//! Thin `#[server]` functions: authorize, call a service, map to a DTO.
pub mod auth;

#[cfg(feature = "ssr")]
pub(crate) mod support;
