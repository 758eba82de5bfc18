//! Management with API sets as scopes: keys (list, get, disable, enable,
//! delete — never create), users (list, get, deactivate, activate) and the
//! audit log. Each endpoint needs an API set on the key AND the authority
//! in the acting user's role (the one guard), then calls the same service
//! function as the web pages: the same rules, the same audit rows.
mod audit;
mod keys;
mod users;

use axum::extract::{
    Path, Query,
    rejection::{PathRejection, QueryRejection},
};

pub use audit::*;
pub use keys::*;
pub use users::*;

use super::error::ApiError;

pub(super) fn query<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    query.map(|Query(q)| q).map_err(|err| {
        ApiError::bad_request("bad_request", format!("Bad query: {}", err.body_text()))
    })
}

pub(super) fn path<T>(path: Result<Path<T>, PathRejection>) -> Result<T, ApiError> {
    path.map(|Path(p)| p)
        .map_err(|_| ApiError::bad_request("bad_request", "Bad path parameter."))
}
