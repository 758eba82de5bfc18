//! Management with API sets as scopes: keys (list, get, disable, enable,
//! delete — never create), users (list, get, deactivate, activate) and the
//! audit log. Each endpoint needs an API set on the key AND the authority
//! in the acting user's role (the one guard), then calls the same service
//! function as the web pages: the same rules, the same audit rows.
use app::backend::request_meta::RequestMeta;
use app::backend::services::{api_keys, audit_log, users};
use app::backend::state::AppState;
use app::model::audit::{AuditFilter, AuditRow};
use app::model::authz::Authority;
use app::model::keys::{KeyFilter, KeyRow};
use app::model::users::{UserFilter, UserRow};
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

use super::credentials::{Authed, acting};
use super::error::{ApiError, ErrorBody};

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 100;

fn limit(value: Option<u64>) -> Result<u64, ApiError> {
    match value.unwrap_or(DEFAULT_LIMIT) {
        n @ 1..=MAX_LIMIT => Ok(n),
        _ => Err(ApiError::bad_request(
            "invalid_limit",
            "limit must be from 1 to 100.",
        )),
    }
}

fn query<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    query.map(|Query(q)| q).map_err(|err| {
        ApiError::bad_request("bad_request", format!("Bad query: {}", err.body_text()))
    })
}

fn path<T>(path: Result<Path<T>, PathRejection>) -> Result<T, ApiError> {
    path.map(|Path(p)| p)
        .map_err(|_| ApiError::bad_request("bad_request", "Bad path parameter."))
}

// ---- keys ----

/// An API key, as the management API shows it (never its secret).
#[derive(Serialize, ToSchema)]
pub struct ApiKey {
    pub id: i64,
    pub name: String,
    pub description: String,
    /// `kh_` and four characters of the current secret.
    pub visible_start: String,
    pub api_sets: Vec<String>,
    /// `active`, `disabled`, `expired`, `owner_inactive` or `public_api_off`.
    pub status: String,
    /// The owner's username.
    pub owner: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub last_used_at: Option<String>,
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
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
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct KeyPage {
    pub data: Vec<ApiKey>,
    /// Pass as `cursor` for the next page (the last key's id); null on the
    /// last page.
    pub next_cursor: Option<i64>,
}

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
    let who = acting(&state, &key, &headers, "keys:read", None).await?;
    let q = query(params)?;
    let scope = q.scope.unwrap_or_else(|| "mine".into());
    if !matches!(scope.as_str(), "mine" | "all") {
        return Err(ApiError::bad_request(
            "bad_request",
            "scope must be mine or all.",
        ));
    }
    let filter = KeyFilter {
        scope,
        owner: q.owner.unwrap_or_default(),
        page: 1,
    };
    let (rows, next) =
        api_keys::list_after(&state, &who, &filter, q.enabled, q.cursor, limit(q.limit)?).await?;
    Ok(Json(KeyPage {
        data: rows.into_iter().map(ApiKey::from).collect(),
        next_cursor: next,
    }))
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
    let who = acting(&state, &key, &headers, "keys:read", None).await?;
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
    let who = acting(&state, key, headers, "keys:write", None).await?;
    api_keys::set_enabled(&state, &who, id, enabled, meta).await?;
    Ok(Json(one_key(&state, &who, id).await?))
}

/// Disables a key: it stops working at once (on this instance; within a
/// second on the others).
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
    let who = acting(&state, &key, &headers, "keys:write", None).await?;
    api_keys::delete(&state, &who, path(id)?, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- users ----

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
            kind: row.kind,
            role: row.role,
            status: row.status,
            last_sign_in_at: row.last_sign_in_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserPage {
    pub data: Vec<ApiUser>,
    /// Pass as `cursor` for the next page (the last username); null on the
    /// last page.
    pub next_cursor: Option<String>,
}

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
    let who = acting(
        &state,
        &key,
        &headers,
        "users:read",
        Some(Authority::ManageUsers),
    )
    .await?;
    let q = query(params)?;
    let one_of =
        |value: &Option<String>, allowed: [&str; 2], what: &'static str| match value.as_deref() {
            None => Ok(()),
            Some(v) if allowed.contains(&v) => Ok(()),
            Some(_) => Err(ApiError::bad_request("bad_request", what)),
        };
    one_of(
        &q.status,
        ["active", "inactive"],
        "status must be active or inactive.",
    )?;
    one_of(
        &q.kind,
        ["human", "programmatic"],
        "kind must be human or programmatic.",
    )?;
    let filter = UserFilter {
        search: q.search.unwrap_or_default(),
        status: q.status.unwrap_or_default(),
        kind: q.kind.unwrap_or_default(),
        page: 1,
    };
    let after = q.cursor.filter(|c| !c.is_empty());
    let (rows, next) =
        users::list_after(&state, &who, &filter, after.as_deref(), limit(q.limit)?).await?;
    Ok(Json(UserPage {
        data: rows.into_iter().map(ApiUser::from).collect(),
        next_cursor: next,
    }))
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
    let who = acting(
        &state,
        &key,
        &headers,
        "users:read",
        Some(Authority::ManageUsers),
    )
    .await?;
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
    let who = acting(
        &state,
        key,
        headers,
        "users:write",
        Some(Authority::ManageUsers),
    )
    .await?;
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

// ---- audit ----

/// One entry of the audit log. Never a secret.
#[derive(Serialize, ToSchema)]
pub struct AuditEvent {
    pub id: i64,
    #[schema(format = DateTime)]
    pub at: String,
    /// The acting user's username.
    pub actor: Option<String>,
    /// E.g. `key.disabled`, `user.deactivated`.
    pub action: String,
    /// E.g. `key:12`, `user:3`.
    pub target: Option<String>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}

impl From<AuditRow> for AuditEvent {
    fn from(row: AuditRow) -> Self {
        AuditEvent {
            id: row.id,
            at: row.at,
            actor: row.actor,
            action: row.action,
            target: row.target,
            client_ip: row.client_ip,
            user_agent: row.user_agent,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AuditEventPage {
    pub data: Vec<AuditEvent>,
    /// Pass as `cursor` for the next page (the last event's id); null on
    /// the last page.
    pub next_cursor: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only this action, e.g. `key.disabled`.
    pub action: Option<String>,
    /// Only this user's actions (username).
    pub actor: Option<String>,
    /// `YYYY-MM-DD`, inclusive, UTC.
    #[param(format = Date)]
    pub from: Option<String>,
    /// `YYYY-MM-DD`, inclusive, UTC.
    #[param(format = Date)]
    pub to: Option<String>,
    /// 1 to 100, default 50.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// From the previous page's `next_cursor`: continue after this event.
    pub cursor: Option<i64>,
}

/// The organization's audit log, newest first.
#[utoipa::path(
    get, path = "/api/v1/audit-events", tag = "Audit log",
    security(("bearer" = []), ("api_key" = [])),
    params(AuditQuery),
    responses(
        (status = 200, body = AuditEventPage),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "No audit:read, or no View Audit Log", body = ErrorBody),
        (status = 429, body = ErrorBody),
    )
)]
pub async fn list_audit_events(
    State(state): State<AppState>,
    Authed(key): Authed,
    headers: HeaderMap,
    params: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<AuditEventPage>, ApiError> {
    let who = acting(
        &state,
        &key,
        &headers,
        "audit:read",
        Some(Authority::ViewAuditLog),
    )
    .await?;
    let q = query(params)?;
    if [&q.from, &q.to].iter().any(|d| d.as_deref() == Some("")) {
        return Err(ApiError::bad_request(
            "bad_request",
            "from and to are dates: YYYY-MM-DD.",
        ));
    }
    let filter = AuditFilter {
        action: q.action.unwrap_or_default(),
        actor: q.actor.unwrap_or_default(),
        from: q.from.unwrap_or_default(),
        to: q.to.unwrap_or_default(),
        page: 1,
    };
    let (rows, next) =
        audit_log::list_after(&state, &who, &filter, q.cursor, limit(q.limit)?).await?;
    Ok(Json(AuditEventPage {
        data: rows.into_iter().map(AuditEvent::from).collect(),
        next_cursor: next,
    }))
}
