//! Thin `#[server]` functions: authorize, call a service, map to a DTO.
pub mod audit;
pub mod auth;
pub mod integrations;
pub mod invitations;
pub mod keys;
pub mod notice;
pub mod roles;
pub mod users;

#[cfg(feature = "ssr")]
pub(crate) mod support;
