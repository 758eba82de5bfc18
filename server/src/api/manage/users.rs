//! Users: list, get, deactivate, activate.
use app::backend::request_meta::RequestMeta;
use app::backend::services::users;
use app::backend::state::AppState;
use app::model::users::{UserFilter, UserRow};
use axum::{
    Extension, Json,
    extract::{
        Path, Query, State,
        rejection::{PathRejection, QueryRejection},
    },
    http::HeaderMap,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::super::credentials::{Authed, acting};
use super::super::error::{ApiError, ErrorBody};
use super::super::page::{CursorPage, Listed, limit};

use super::{path, query};

/// A member of the organization.
#[derive(Serialize, ToSchema)]
pub struct ApiUser {
    pub username: String,
    pub name: String,
    pub email: Option<String>,
    /// `human` or `programmatic`.
    pub kind: String,
    pub role: String,
    /// `active` or `inactive` in this organization.
    pub status: String,
    #[schema(format = DateTime)]
    pub last_sign_in_at: Option<String>,
}

impl From<UserRow> for ApiUser {
    fn from(row: UserRow) -> Self {
        ApiUser {
            username: row.username,
            name: row.name,
            email: row.email,
            kind: row.kind.as_str().to_owned(),
            role: row.role,
            status: row.status.as_str().to_owned(),
            last_sign_in_at: row.last_sign_in_at,
        }
    }
}

impl Listed for ApiUser {
    type Cursor = String;
    const PAGE: &'static str = "UserPage";
    const NEXT_CURSOR: &'static str =
        "Pass as `cursor` for the next page (the last username); null on the\nlast page.";
}

pub type UserPage = CursorPage<ApiUser>;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Part of a username, name or e-mail.
    pub search: Option<String>,
    /// `active` or `inactive` in this organization.
    #[param(pattern = "^(active|inactive)$")]
    pub status: Option<String>,
    /// `human` or `programmatic`.
    #[param(pattern = "^(human|programmatic)$")]
    pub kind: Option<String>,
    /// 1 to 100, default 50.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// The organization's members, by username.
#[utoipa::path(
    get, path = "/api/v1/users", tag = "Users",
    security(("bearer" = []), ("api_key" = [])),
    params(UserQuery),
    responses(
        (status = 200, body = UserPage),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "No users:read, or no Manage Users", body = ErrorBody),
        (status = 429, body = ErrorBody),
    )
)]
pub async fn list_users(
    State(state): State<AppState>,
    Authed(key): Authed,
    headers: HeaderMap,
    params: Result<Query<UserQuery>, QueryRejection>,
) -> Result<Json<UserPage>, ApiError> {
    let who = acting(&state, &key, &headers, users::LIST).await?;
    let q = query(params)?;
    let filter = UserFilter::parse(q.search.as_deref(), q.status.as_deref(), q.kind.as_deref())?;
    let after = q.cursor.filter(|c| !c.is_empty());
    let users = users::list_after(&state, &who, &filter, after.as_deref(), limit(q.limit)?).await?;
    Ok(Json(CursorPage::of(users)))
}

/// One member of the organization.
#[utoipa::path(
    get, path = "/api/v1/users/{username}", tag = "Users",
    security(("bearer" = []), ("api_key" = [])),
    params(("username" = String, Path)),
    responses(
        (status = 200, body = ApiUser),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn get_user(
    State(state): State<AppState>,
    Authed(key): Authed,
    headers: HeaderMap,
    username: Result<Path<String>, PathRejection>,
) -> Result<Json<ApiUser>, ApiError> {
    let who = acting(&state, &key, &headers, users::DETAILS).await?;
    let username = path(username)?;
    Ok(Json(
        users::details(&state, &who, &username).await?.user.into(),
    ))
}

async fn set_user_status(
    state: AppState,
    key: &app::backend::keys::cache::Facts,
    headers: &HeaderMap,
    meta: &RequestMeta,
    username: &str,
    active: bool,
) -> Result<Json<ApiUser>, ApiError> {
    let who = acting(&state, key, headers, users::SET_STATUS).await?;
    users::set_status(&state, &who, username, active, meta).await?;
    Ok(Json(
        users::details(&state, &who, username).await?.user.into(),
    ))
}

/// Deactivates a member: their sessions and keys stop working.
#[utoipa::path(
    post, path = "/api/v1/users/{username}/deactivate", tag = "Users",
    security(("bearer" = []), ("api_key" = [])),
    params(("username" = String, Path)),
    responses(
        (status = 200, body = ApiUser),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The last active Admin", body = ErrorBody),
        (status = 429, body = ErrorBody),
    )
)]
pub async fn deactivate_user(
    State(state): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Authed(key): Authed,
    headers: HeaderMap,
    username: Result<Path<String>, PathRejection>,
) -> Result<Json<ApiUser>, ApiError> {
    set_user_status(state, &key, &headers, &meta, &path(username)?, false).await
}

/// Activates a member again.
#[utoipa::path(
    post, path = "/api/v1/users/{username}/activate", tag = "Users",
    security(("bearer" = []), ("api_key" = [])),
    params(("username" = String, Path)),
    responses(
        (status = 200, body = ApiUser),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn activate_user(
    State(state): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Authed(key): Authed,
    headers: HeaderMap,
    username: Result<Path<String>, PathRejection>,
) -> Result<Json<ApiUser>, ApiError> {
    set_user_status(state, &key, &headers, &meta, &path(username)?, true).await
}
