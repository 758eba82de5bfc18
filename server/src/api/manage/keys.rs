//! Keys: list, get, disable, enable, delete (never create).
use app::backend::request_meta::RequestMeta;
use app::backend::services::api_keys;
use app::backend::state::AppState;
use app::model::keys::{KeyFilter, KeyRow};
use axum::{
    Extension, Json,
    extract::{
        Path, Query, State,
        rejection::{PathRejection, QueryRejection},
    },
    http::{HeaderMap, StatusCode},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::super::credentials::{Authed, acting};
use super::super::error::{ApiError, ErrorBody};
use super::super::page::{CursorPage, Listed, limit};

use super::{path, query};

/// An API key, as the management API shows it (never its secret).
#[derive(Serialize, ToSchema)]
pub struct ApiKey {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// `kh_` and four characters of the current secret.
    pub visible_start: String,
    pub api_sets: Vec<String>,
    /// `active`, `leaked`, `disabled`, `expired`, `owner_inactive` or
    /// `public_api_off`.
    pub status: String,
    /// The owner's username.
    pub owner: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub last_used_at: Option<String>,
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    /// Addresses and CIDR ranges the key is accepted from; empty: anywhere.
    pub allowed_addresses: Vec<String>,
}

impl From<KeyRow> for ApiKey {
    fn from(row: KeyRow) -> Self {
        ApiKey {
            id: row.id,
            name: row.name,
            description: row.description,
            visible_start: row.visible_start,
            api_sets: row.api_sets,
            status: row.status.as_str().to_owned(),
            owner: row.owner,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            expires_at: row.expires_at,
            allowed_addresses: row.allowed_addresses,
        }
    }
}

impl Listed for ApiKey {
    type Cursor = i64;
    const PAGE: &'static str = "KeyPage";
    const NEXT_CURSOR: &'static str =
        "Pass as `cursor` for the next page (the last key's id); null on the\nlast page.";
}

pub type KeyPage = CursorPage<ApiKey>;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KeyQuery {
    /// `mine` (default) or `all` (needs Manage All API Keys).
    #[param(pattern = "^(mine|all)$")]
    pub scope: Option<String>,
    /// Only this user's keys (someone else's needs Manage All API Keys).
    pub owner: Option<String>,
    /// Only enabled (`true`) or disabled (`false`) keys.
    pub enabled: Option<bool>,
    /// 1 to 100, default 50.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// From the previous page's `next_cursor`: continue after this key.
    pub cursor: Option<i64>,
}

/// The keys the acting user may see, newest first.
#[utoipa::path(
    get, path = "/api/v1/keys", tag = "Keys",
    security(("bearer" = []), ("api_key" = [])),
    params(KeyQuery),
    responses(
        (status = 200, body = KeyPage),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "No keys:read, or others' keys without Manage All API Keys", body = ErrorBody),
        (status = 429, body = ErrorBody),
    )
)]
pub async fn list_keys(
    State(state): State<AppState>,
    Authed(key): Authed,
    headers: HeaderMap,
    params: Result<Query<KeyQuery>, QueryRejection>,
) -> Result<Json<KeyPage>, ApiError> {
    let who = acting(&state, &key, &headers, api_keys::LIST).await?;
    let q = query(params)?;
    let filter = KeyFilter::parse(q.scope.as_deref(), q.owner.as_deref())?;
    let keys =
        api_keys::list_after(&state, &who, &filter, q.enabled, q.cursor, limit(q.limit)?).await?;
    Ok(Json(CursorPage::of(keys)))
}

async fn one_key(
    state: &AppState,
    who: &app::backend::auth::session::Principal,
    id: i64,
) -> Result<ApiKey, ApiError> {
    Ok(api_keys::row(state, who, id).await?.into())
}

/// One key of the organization the acting user may see.
#[utoipa::path(
    get, path = "/api/v1/keys/{id}", tag = "Keys",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = i64, Path, description = "The key's id")),
    responses(
        (status = 200, body = ApiKey),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody),
    )
)]
pub async fn get_key(
    State(state): State<AppState>,
    Authed(key): Authed,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<ApiKey>, ApiError> {
    let who = acting(&state, &key, &headers, api_keys::DETAILS).await?;
    Ok(Json(one_key(&state, &who, path(id)?).await?))
}

async fn set_enabled(
    state: AppState,
    key: &app::backend::keys::cache::Facts,
    headers: &HeaderMap,
    meta: &RequestMeta,
    id: i64,
    enabled: bool,
) -> Result<Json<ApiKey>, ApiError> {
    let who = acting(&state, key, headers, api_keys::SET_ENABLED).await?;
    api_keys::set_enabled(&state, &who, id, enabled, meta).await?;
    Ok(Json(one_key(&state, &who, id).await?))
}

/// Disables a key: it stops working at once (on this instance; on the
/// others within milliseconds on PostgreSQL, within a second at worst).
#[utoipa::path(
    post, path = "/api/v1/keys/{id}/disable", tag = "Keys",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = i64, Path, description = "The key's id")),
    responses(
        (status = 200, description = "The key, now disabled", body = ApiKey),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody),
    )
)]
pub async fn disable_key(
    State(state): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Authed(key): Authed,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<ApiKey>, ApiError> {
    set_enabled(state, &key, &headers, &meta, path(id)?, false).await
}

/// Enables a key again (your own with Manage User API Key, anyone's with
/// Manage All API Keys; within the owner's key limit).
#[utoipa::path(
    post, path = "/api/v1/keys/{id}/enable", tag = "Keys",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = i64, Path, description = "The key's id")),
    responses(
        (status = 200, description = "The key, now enabled", body = ApiKey),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Over the owner's key limit", body = ErrorBody),
        (status = 429, body = ErrorBody),
    )
)]
pub async fn enable_key(
    State(state): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Authed(key): Authed,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<ApiKey>, ApiError> {
    set_enabled(state, &key, &headers, &meta, path(id)?, true).await
}

#[derive(Deserialize, ToSchema)]
pub struct AllowedAddresses {
    /// IPv4 and IPv6 addresses and CIDR ranges (at most 100, host bits
    /// clear); empty: anywhere.
    pub addresses: Vec<String>,
}

/// Sets where a key is accepted from. A request with the key from any
/// other address is refused with 403 `address_not_allowed` (forward-auth,
/// verify and this API alike). For whoever may set the key's rate limit.
#[utoipa::path(
    put, path = "/api/v1/keys/{id}/allowed-addresses", tag = "Keys",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = i64, Path, description = "The key's id")),
    request_body = AllowedAddresses,
    responses(
        (status = 200, description = "The key, with its allowed addresses as kept", body = ApiKey),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "A malformed entry, one with host bits set, or more than 100", body = ErrorBody),
        (status = 429, body = ErrorBody),
    )
)]
pub async fn set_allowed_addresses(
    State(state): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Authed(key): Authed,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<AllowedAddresses>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<ApiKey>, ApiError> {
    let id = path(id)?;
    let who = acting(&state, &key, &headers, api_keys::SET_ALLOWED_ADDRESSES).await?;
    let Json(body) = body.map_err(|_| {
        ApiError::bad_request(
            "bad_request",
            "Expected a JSON body {\"addresses\": [\"203.0.113.0/24\", …]}.",
        )
    })?;
    api_keys::set_allowed_addresses(&state, &who, id, &body.addresses, &meta).await?;
    Ok(Json(one_key(&state, &who, id).await?))
}

/// Deletes a key for good.
#[utoipa::path(
    delete, path = "/api/v1/keys/{id}", tag = "Keys",
    security(("bearer" = []), ("api_key" = [])),
    params(("id" = i64, Path, description = "The key's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody),
    )
)]
pub async fn delete_key(
    State(state): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Authed(key): Authed,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let who = acting(&state, &key, &headers, api_keys::DELETE).await?;
    api_keys::delete(&state, &who, path(id)?, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
