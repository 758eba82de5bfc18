//! The types that cross the wire, compiled for the browser and the server:
//! authorities, validation, the DTOs both front doors answer with, and the
//! one error enum. Nothing here knows about the database or the request;
//! everything else may depend on this module, and it on nothing of ours.
pub mod audit;
pub mod auth;
pub mod authz;
pub mod error;
pub mod invitations;
pub mod keys;
pub mod roles;
pub mod users;
pub mod validation;
