//! The code that owns the data; server functions stay thin and call these.
pub mod accounts;
pub mod api_keys;
pub mod audit_log;
pub mod grants;
pub mod integrations;
pub mod invitations;
pub mod key_check;
pub mod key_views;
pub mod memberships;
pub mod org_slugs;
pub mod roles;
pub mod user_access;
pub mod user_tokens;
pub mod users;
