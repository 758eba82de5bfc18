//! `POST /api/v1/auth/user`: a service with a working key signs a user of
//! the key's organization in and receives a user token (the Altegio model).
use app::backend::request_meta::RequestMeta;
use app::backend::services::user_tokens;
use app::backend::state::AppState;
use axum::{Extension, Json, extract::State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::credentials::Authed;
use super::error::{ApiError, ErrorBody};

#[derive(Deserialize, ToSchema)]
pub struct UserTokenRequest {
    /// Username or e-mail.
    pub login: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct UserTokenResponse {
    /// Send as `Authorization: Bearer <key>, User <user_token>`. Shown once.
    pub user_token: String,
    pub username: String,
    #[schema(format = DateTime)]
    pub expires_at: String,
}

/// Signs a member of the key's organization in (throttled like the sign-in
/// page) and returns a user token, valid 24 hours with this key only, ended
/// when the user signs out.
#[utoipa::path(
    post, path = "/api/v1/auth/user", tag = "User token",
    security(("bearer" = []), ("api_key" = [])),
    request_body = UserTokenRequest,
    responses(
        (status = 200, body = UserTokenResponse),
        (status = 400, description = "Not a JSON body of this shape", body = ErrorBody),
        (status = 401, description = "A bad key, or the login or password is not right", body = ErrorBody),
        (status = 403, description = "The key may not be used from this address (address_not_allowed)", body = ErrorBody),
        (status = 429, description = "Too many failed sign-ins, or the key is over its rate limit", body = ErrorBody),
    )
)]
pub async fn issue(
    State(state): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Authed(key): Authed,
    body: Result<Json<UserTokenRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<UserTokenResponse>, ApiError> {
    let Json(request) = body.map_err(|_| {
        ApiError::bad_request(
            "bad_request",
            "Expected a JSON body {\"login\": \"…\", \"password\": \"…\"}.",
        )
    })?;
    let issued =
        user_tokens::issue(&state, &key, &request.login, request.password.into(), &meta).await?;
    Ok(Json(UserTokenResponse {
        user_token: issued.token,
        username: issued.username,
        expires_at: issued.expires_at.to_rfc3339(),
    }))
}
