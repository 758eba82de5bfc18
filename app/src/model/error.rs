//! The one error type of the app: every server function and handler returns it.
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::model::text_enum::text_enum;
use crate::model::validation::FieldError;

text_enum! {
    /// Why a change cannot be made as things stand; the UI translates it,
    /// the HTTP API names it in `code` for the two it documents.
    pub enum Conflict {
        /// The last active Admin of an organization cannot go.
        LastAdmin = "last_admin",
        RoleInUse = "role_in_use",
        BuiltinRole = "builtin_role",
        /// Unknown, expired, revoked or already used.
        InvitationInvalid = "invitation_invalid",
        AccountExists = "account_exists",
        AlreadyMember = "already_member",
        /// The owner already has as many active keys as allowed.
        TooManyKeys = "too_many_keys",
        /// The create form's one-time token was already used.
        AlreadyCreated = "already_created",
        /// The key has no rolled secret still in its grace period.
        NoGrace = "no_grace",
        BuiltinApiSet = "builtin_api_set",
        /// The key was reported as leaked: it is rolled before it works.
        KeyLeaked = "key_leaked",
        /// The organization has as many decoy keys as allowed.
        TooManyDecoys = "too_many_decoys",
        /// The organization has as many webhook endpoints as allowed.
        TooManyWebhooks = "too_many_webhooks",
        /// The keys' owner is still an active member: nothing to hand on.
        OwnerActive = "owner_active",
    }
}

text_enum! {
    /// Why a role or authority is not the caller's to give
    /// (`backend::services::grants`).
    pub enum GrantRefusal {
        /// The built-in Admin role needs every authority.
        AdminRole = "admin_role",
        /// The role holds an authority the giver lacks.
        RoleExceedsYours = "role_exceeds_yours",
        /// Nobody edits or deletes the role they hold.
        OwnRole = "own_role",
        /// Authorities are added only by someone holding them.
        AuthorityNotHeld = "authority_not_held",
    }
}

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
    GrantRefused(GrantRefusal),
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(Conflict),
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
                let err = respond(err);
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

/// Gives a failed call its HTTP status (and `Retry-After` for 429). A plain
/// HTML form post keeps Leptos' redirect back to the form, which carries the
/// error in its URL, so the status is left alone there.
///
/// During server-side rendering a resource calls the server function
/// in-process with the page's own request: a visitor's page must not turn
/// into a 401 because the user menu asked who is signed in. Only requests
/// to the server-function endpoints themselves get the status.
#[cfg(feature = "ssr")]
pub fn respond(err: AppError) -> AppError {
    use axum::http::{HeaderValue, StatusCode, header, request::Parts};
    use leptos::prelude::use_context;
    use leptos_axum::ResponseOptions;
    let server_fn_call = use_context::<Parts>().is_some_and(|p| p.uri.path().starts_with("/rpc/"));
    if !server_fn_call {
        return err;
    }
    let form_post = is_form_post();
    if let Some(response) = use_context::<ResponseOptions>() {
        if let AppError::TooManyRequests(seconds) = &err
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.insert_header(header::RETRY_AFTER, value);
        }
        if !form_post && let Ok(status) = StatusCode::from_u16(err.status()) {
            response.set_status(status);
        }
    }
    err
}

/// Whether this call is a plain HTML form post (no JavaScript): the browser
/// then wants a page, and Leptos answers with a redirect.
#[cfg(feature = "ssr")]
pub fn is_form_post() -> bool {
    use axum::http::{header, request::Parts};
    use leptos::prelude::use_context;
    use_context::<Parts>()
        .and_then(|parts| {
            parts
                .headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(|accept| accept.contains("text/html"))
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::{AppError, Conflict, GrantRefusal};

    #[test]
    fn every_variant_has_a_status_and_code() {
        let cases = [
            (AppError::BadRequest("x".into()), 400, "bad_request"),
            (AppError::Unauthorized, 401, "unauthorized"),
            (AppError::Forbidden, 403, "forbidden"),
            (
                AppError::GrantRefused(GrantRefusal::OwnRole),
                403,
                "grant_refused",
            ),
            (AppError::NotFound, 404, "not_found"),
            (AppError::Conflict(Conflict::RoleInUse), 409, "conflict"),
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

    /// The reasons travel as the texts they always were, in the server
    /// functions' JSON and in the message.
    #[cfg(feature = "ssr")]
    #[test]
    fn reasons_keep_their_wire_text() {
        let conflict = AppError::Conflict(Conflict::LastAdmin);
        assert_eq!(
            serde_json::to_string(&conflict).ok().as_deref(),
            Some(r#"{"Conflict":"last_admin"}"#)
        );
        assert_eq!(conflict.to_string(), "conflict: last_admin");
        let refused = AppError::GrantRefused(GrantRefusal::OwnRole);
        assert_eq!(
            serde_json::from_str::<AppError>(r#"{"GrantRefused":"own_role"}"#).ok(),
            Some(refused.clone())
        );
        assert_eq!(refused.to_string(), "not yours to give: own_role");
    }

    #[test]
    fn internal_error_message_has_no_detail() {
        assert_eq!(AppError::Internal.to_string(), "internal error");
    }
}
