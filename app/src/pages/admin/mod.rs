//! Admin pages: User Management and User Account Details.
pub mod new_programmatic_user;
pub mod roles;
pub mod user_details;
pub mod users;
