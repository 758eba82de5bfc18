//! The one error type of the app: every server function and handler returns it.
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::model::validation::FieldError;

/// What went wrong, in terms the caller can act on. Internal detail is logged
/// on the server and never crosses the wire.
#[derive(Debug, Clone, Error, Serialize, Deserialize, PartialEq, Eq)]
pub enum AppError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// Unknown login and wrong password look exactly alike.
    #[error("the login or password is not right")]
    SignInFailed,
    #[error("sign in required")]
    Unauthorized,
    #[error("not allowed")]
    Forbidden,
    /// Signed in and allowed to call, but the role or authority is not the
    /// caller's to give; the reason names the rule (`services::grants`).
    #[error("not yours to give: {0}")]
    GrantRefused(String),
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("too many attempts; try again in {0} seconds")]
    TooManyRequests(u64),
    #[error("internal error")]
    Internal,
    #[error("request could not be sent: {0}")]
    ServerFn(String),
}

impl AppError {
    /// HTTP status code for this error.
    pub fn status(&self) -> u16 {
        match self {
            AppError::BadRequest(_) => 400,
            AppError::Invalid(_) => 422,
            AppError::SignInFailed => 401,
            AppError::Unauthorized => 401,
            AppError::Forbidden => 403,
            AppError::GrantRefused(_) => 403,
            AppError::NotFound => 404,
            AppError::Conflict(_) => 409,
            AppError::TooManyRequests(_) => 429,
            AppError::Internal | AppError::ServerFn(_) => 500,
        }
    }

    /// Stable machine-readable code, used in JSON error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::Invalid(_) => "invalid",
            AppError::SignInFailed => "sign_in_failed",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden => "forbidden",
            AppError::GrantRefused(_) => "grant_refused",
            AppError::NotFound => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::TooManyRequests(_) => "too_many_requests",
            AppError::Internal | AppError::ServerFn(_) => "internal",
        }
    }

    /// Log the real cause on the server; the caller sees only `Internal`.
    #[cfg(feature = "ssr")]
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        AppError::Internal
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        match value {
            // Malformed arguments are the caller's mistake: 400, not 500.
            E::Args(msg) | E::MissingArg(msg) | E::Deserialization(msg) => {
                let err = AppError::BadRequest(msg);
                #[cfg(feature = "ssr")]
                let err = crate::server_fns::support::fail(err);
                err
            }
            other => AppError::ServerFn(other.to_string()),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        AppError::internal(err)
    }
}

#[cfg(test)]
mod tests {
    use super::AppError;

    #[test]
    fn every_variant_has_a_status_and_code() {
        let cases = [
            (AppError::BadRequest("x".into()), 400, "bad_request"),
            (AppError::Unauthorized, 401, "unauthorized"),
            (AppError::Forbidden, 403, "forbidden"),
            (
                AppError::GrantRefused("own_role".into()),
                403,
                "grant_refused",
            ),
            (AppError::NotFound, 404, "not_found"),
            (AppError::Conflict("x".into()), 409, "conflict"),
            (AppError::TooManyRequests(9), 429, "too_many_requests"),
            (AppError::Invalid(vec![]), 422, "invalid"),
            (AppError::SignInFailed, 401, "sign_in_failed"),
            (AppError::Internal, 500, "internal"),
        ];
        for (err, status, code) in cases {
            assert_eq!(err.status(), status, "{err:?}");
            assert_eq!(err.code(), code, "{err:?}");
        }
    }

    #[test]
    fn internal_error_message_has_no_detail() {
        assert_eq!(AppError::Internal.to_string(), "internal error");
    }
}
