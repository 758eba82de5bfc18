//! Reusable pieces of UI.
pub mod admin_area;
pub mod dialog;
#[cfg(feature = "hydrate")]
pub mod enhance;
pub mod form;
pub mod hydration;
pub mod keys;
pub mod language_switcher;
pub mod list;
pub mod protect_service;
pub mod role_select;
pub mod top_bar;
pub mod user_menu;
