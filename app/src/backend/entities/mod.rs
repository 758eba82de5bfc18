//! SeaORM entities, one file per table. The schema itself is defined by the
//! versioned migrations in `backend::migrations`.
pub mod api_key;
pub mod api_key_api_set;
pub mod api_key_ip;
pub mod api_key_secret;
pub mod api_key_secret_hour;
pub mod api_key_secret_ip;
pub mod api_key_usage_day;
pub mod api_set;
pub mod audit_event;
pub mod invitation;
pub mod key_handover;
pub mod key_mail;
pub mod key_policy;
pub mod membership;
pub mod organization;
pub mod retired_org_slug;
pub mod role;
pub mod role_authority;
pub mod session;
pub mod sign_in_attempt;
pub mod user;
pub mod user_token;
pub mod webhook_delivery;
pub mod webhook_endpoint;
