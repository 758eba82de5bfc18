//! Admin pages: User Management, User Account Details, roles, audit log.
pub mod audit;
pub mod home;
pub mod invitations;
pub mod new_programmatic_user;
pub mod roles;
pub mod user_details;
pub mod users;
