//! API keys: the key format, the status rules, and the one-time hand-over of
//! a generated key to a page rendered without JavaScript.
pub mod format;
pub mod handover;
pub mod status;
