//! The types that cross the wire, compiled for the browser and the server:
//! authorities, validation, the DTOs both front doors answer with, and the
//! one error enum. Nothing here knows about the database or the request
//! (the enums a column stores as text only derive SeaORM's mapping under
//! `ssr`; see [`text_enum`]); everything else may depend on this module, and
//! it on nothing of ours.
pub mod addresses;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod error;
pub mod filter;
pub mod invitations;
pub mod keys;
pub mod notice;
pub mod page;
pub mod policy;
pub mod roles;
pub mod rotation;
pub mod text_enum;
pub mod transfer;
pub mod users;
pub mod validation;
pub mod webhooks;
