//! The HTTP API for services (`/api/v1`): the key check (`/me`,
//! `/keys/verify`, forward-auth `/orgs/{org}/auth`), user tokens, and management of
//! keys, users and the audit log with API sets as scopes; its OpenAPI
//! description and Swagger UI (`/docs`). Every answer is JSON (or 204);
//! errors are `{"error":{"code","message"}}`. No cookies, no sessions: the
//! credentials are the key (and a user token) in the request's headers.
mod check;
mod credentials;
mod docs;
mod error;
mod header_text;
mod leaks;
mod limits;
mod manage;
mod page;
mod user_token;

use app::backend::state::AppState;
use axum::{
    Extension, Router,
    extract::DefaultBodyLimit,
    http::{StatusCode, Uri},
    routing::{any, get, post, put},
};

pub use docs::ApiDoc;
pub use error::ApiError;
pub use header_text::header_text;
pub use limits::{Limits, RateLimiter};

async fn not_found(uri: Uri) -> ApiError {
    if let Err(refused) = credentials::refuse_key_in_query(&uri) {
        return refused;
    }
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "No such endpoint; see /api/v1/openapi.json.",
    )
}

async fn method_not_allowed(uri: Uri) -> ApiError {
    if let Err(refused) = credentials::refuse_key_in_query(&uri) {
        return refused;
    }
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "This endpoint does not take this method; see /api/v1/openapi.json.",
    )
}

pub fn routes(db: &sea_orm::DatabaseConnection) -> Router<AppState> {
    Router::new()
        .route("/api/v1/orgs/{org}/auth", get(check::forward_auth))
        .route("/api/v1/auth", any(check::forward_auth_without_org))
        .route("/api/v1/me", get(check::me))
        .route("/api/v1/keys/verify", post(check::verify_key))
        .route("/api/v1/auth/user", post(user_token::issue))
        .route("/api/v1/keys", get(manage::list_keys))
        .route(
            "/api/v1/keys/{id}",
            get(manage::get_key).delete(manage::delete_key),
        )
        .route("/api/v1/keys/{id}/disable", post(manage::disable_key))
        .route("/api/v1/keys/{id}/enable", post(manage::enable_key))
        .route(
            "/api/v1/keys/{id}/allowed-addresses",
            put(manage::set_allowed_addresses),
        )
        .route("/api/v1/users", get(manage::list_users))
        .route("/api/v1/users/{username}", get(manage::get_user))
        .route(
            "/api/v1/users/{username}/deactivate",
            post(manage::deactivate_user),
        )
        .route(
            "/api/v1/users/{username}/activate",
            post(manage::activate_user),
        )
        .route("/api/v1/audit-events", get(manage::list_audit_events))
        .route(
            "/api/v1/leaks",
            post(leaks::report).layer(DefaultBodyLimit::max(leaks::BODY_MAX)),
        )
        .route("/api/v1", any(not_found))
        .route("/api/v1/{*rest}", any(not_found))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(Extension(Limits::for_database(db)))
        .merge(docs::routes())
}
