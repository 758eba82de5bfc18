//! One file per route.
pub mod error_page;
pub mod home;
pub mod not_found;
pub mod settings;
