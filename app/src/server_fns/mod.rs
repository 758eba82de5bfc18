//! Thin `#[server]` functions: authorize, call a service, map to a DTO.
pub mod audit;
pub mod auth;
pub mod decoys;
pub mod integrations;
pub mod invitations;
pub mod key_policy;
pub mod keys;
pub mod notice;
pub mod roles;
pub mod users;
pub mod webhooks;

#[cfg(feature = "ssr")]
pub(crate) mod support;

/// This instance's address as the browser reaches it (the proxy's scheme
/// included), for what a page hands out whole: an invitation link, the API
/// base URL in a key file. Pages are rendered on the server only.
pub fn instance_url() -> String {
    #[cfg(feature = "ssr")]
    {
        support::instance_url()
    }
    #[cfg(not(feature = "ssr"))]
    {
        String::new()
    }
}
