//! One file per route.
pub mod account;
pub mod admin;
pub mod error_page;
pub mod home;
pub mod integrations;
pub mod invite;
pub mod login;
pub mod not_found;
pub mod register;
pub mod settings;
