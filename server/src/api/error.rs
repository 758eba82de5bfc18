//! How the HTTP API refuses: `{"error":{"code","message"}}` with the right
//! status (and `WWW-Authenticate` on 401, `Retry-After` on 429). Messages
//! never carry a key, a token or internal detail.
use std::borrow::Cow;

use app::model::error::{AppError, Conflict};
use app::model::filter::FilterError;
use app::model::keys::KeyStatus;
use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

/// A refusal, as the API answers it.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: Cow<'static, str>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub const fn new(status: StatusCode, code: &'static str, message: &'static str) -> Self {
        ApiError {
            status,
            code,
            message: Cow::Borrowed(message),
            retry_after: None,
        }
    }

    pub fn too_many(seconds: u64, message: &'static str) -> Self {
        ApiError {
            retry_after: Some(seconds),
            ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", message)
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<Cow<'static, str>>) -> Self {
        ApiError {
            message: message.into(),
            ..ApiError::new(StatusCode::BAD_REQUEST, code, "")
        }
    }
}

/// The body of every error answer.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: e.g. `unknown_key`, `missing_api_set`.
    pub code: String,
    /// For people; may change.
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(ErrorBody {
                error: ErrorDetail {
                    code: self.code.to_owned(),
                    message: self.message.into_owned(),
                },
            }),
        )
            .into_response();
        let headers = response.headers_mut();
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            headers.insert(header::RETRY_AFTER, value);
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

pub const KEY_IN_QUERY: ApiError = ApiError::new(
    StatusCode::BAD_REQUEST,
    "key_in_query",
    "Send the key in the Authorization or X-API-Key header, never in the URL.",
);
pub const MISSING_KEY: ApiError = ApiError::new(
    StatusCode::UNAUTHORIZED,
    "missing_key",
    "No API key: send Authorization: Bearer <key> or X-API-Key: <key>.",
);
pub const MALFORMED_KEY: ApiError = ApiError::new(
    StatusCode::UNAUTHORIZED,
    "malformed_key",
    "This is not a Keyhouse API key.",
);
pub const UNKNOWN_KEY: ApiError =
    ApiError::new(StatusCode::UNAUTHORIZED, "unknown_key", "Unknown API key.");
pub const BAD_USER_TOKEN: ApiError = ApiError::new(
    StatusCode::UNAUTHORIZED,
    "invalid_user_token",
    "The user token is unknown, expired, or was not issued through this API key.",
);
pub const MISSING_API_SET: ApiError = ApiError::new(
    StatusCode::FORBIDDEN,
    "missing_api_set",
    "This API key may not be used for this API.",
);
pub const ADDRESS_NOT_ALLOWED: ApiError = ApiError::new(
    StatusCode::FORBIDDEN,
    "address_not_allowed",
    "This API key may not be used from this address.",
);
pub const INTERNAL: ApiError = ApiError::new(
    StatusCode::INTERNAL_SERVER_ERROR,
    "internal",
    "Something went wrong on our side.",
);

/// Why a key that exists does not work; the code is the status's text.
pub fn refused(status: KeyStatus) -> ApiError {
    let message = match status {
        KeyStatus::Leaked => {
            "This API key was reported as found in public; its owner rolls it before it works again."
        }
        KeyStatus::Disabled => "This API key is disabled.",
        KeyStatus::Expired => "This API key has expired.",
        KeyStatus::OwnerInactive => {
            "The owner of this API key is not an active member of its organization."
        }
        KeyStatus::PublicApiOff => "The organization's Public API is switched off.",
        KeyStatus::Active => "The key works.",
    };
    ApiError::new(StatusCode::UNAUTHORIZED, status.as_str(), message)
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        let status =
            StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let message: Cow<'static, str> = match &err {
            AppError::Forbidden => {
                "The key's owner (or the user) does not hold the authority this needs.".into()
            }
            AppError::GrantRefused(_) => {
                "The role or authority is not the caller's to give.".into()
            }
            AppError::NotFound => "Not found in this organization.".into(),
            AppError::Conflict(Conflict::LastAdmin) => {
                "The last active Admin of an organization cannot be deactivated.".into()
            }
            AppError::Conflict(Conflict::TooManyKeys) => {
                "The owner already has as many active keys as allowed.".into()
            }
            AppError::Conflict(what) => format!("Conflict: {what}.").into(),
            AppError::BadRequest(what) => format!("Bad request: {what}.").into(),
            AppError::Invalid(_) => "Invalid input.".into(),
            AppError::SignInFailed => "The login or password is not right.".into(),
            AppError::TooManyRequests(_) => "Too many attempts; try again later.".into(),
            AppError::Unauthorized => "Not signed in.".into(),
            AppError::Internal | AppError::ServerFn(_) => {
                "Something went wrong on our side.".into()
            }
        };
        let code = match &err {
            // The two conflicts the API documents have codes of their own.
            AppError::Conflict(what @ (Conflict::LastAdmin | Conflict::TooManyKeys)) => {
                what.as_str()
            }
            other => other.code(),
        };
        ApiError {
            status,
            code,
            message,
            retry_after: match err {
                AppError::TooManyRequests(seconds) => Some(seconds),
                _ => None,
            },
        }
    }
}

/// A refused filter, in the words the API has always used: the two the
/// service found before the check was shared read as its refusals do.
impl From<FilterError> for ApiError {
    fn from(err: FilterError) -> Self {
        match err {
            FilterError::Action | FilterError::Date(_) => AppError::from(err).into(),
            other => ApiError::bad_request("bad_request", other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every conflict answers as it did when the reason was a string: the
    /// two the API documents by their own code, the rest as `conflict`.
    #[test]
    fn conflicts_keep_their_codes_and_messages() {
        for reason in Conflict::ALL.iter().copied() {
            let answer = ApiError::from(AppError::Conflict(reason));
            assert_eq!(answer.status, StatusCode::CONFLICT);
            match reason {
                Conflict::LastAdmin | Conflict::TooManyKeys => {
                    assert_eq!(answer.code, reason.as_str());
                }
                _ => {
                    assert_eq!(answer.code, "conflict");
                    assert_eq!(answer.message, format!("Conflict: {}.", reason.as_str()));
                }
            }
        }
    }

    #[test]
    fn a_refused_key_is_named_by_its_status() {
        assert_eq!(refused(KeyStatus::OwnerInactive).code, "owner_inactive");
        assert_eq!(refused(KeyStatus::PublicApiOff).code, "public_api_off");
    }
}
