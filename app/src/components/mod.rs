//! Reusable pieces of UI.
pub mod language_switcher;
pub mod top_bar;
