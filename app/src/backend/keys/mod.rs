//! API keys: the key format, the status rules, the check's cache (and, on
//! PostgreSQL, the listener that clears it on other instances' changes), usage
//! recording, and the one-time hand-over of a generated key to a page
//! rendered without JavaScript.
pub mod alarm_slots;
pub mod cache;
pub mod echo;
pub mod format;
pub mod handover;
pub mod listener;
pub mod status;
pub mod usage;
mod usage_secrets;
