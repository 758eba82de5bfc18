//! The key check for services: who a key is (`/me`), whether a key a
//! service received works (`/keys/verify`), and forward-auth for reverse
//! proxies (`/auth`).
use app::backend::keys::{cache::Facts, format};
use app::backend::request_meta::RequestMeta;
use app::backend::state::AppState;
use app::server_fns::keys_dto::KeyStatus;
use axum::{
    Extension, Json,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::credentials::{Authed, check, refuse_key_in_query, token_user};
use super::error::{ApiError, ErrorBody, MISSING_API_SET, refused};
use super::limits::Limits;

fn header_value(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).unwrap_or_else(|_| {
        HeaderValue::from_str(&app::server_fns::users::urlencode(value))
            .unwrap_or_else(|_| HeaderValue::from_static(""))
    })
}

/// Forward-auth for a reverse proxy (nginx `auth_request`, Traefik
/// ForwardAuth): 204 with who the key is, or 401 / 403 with the reason.
#[utoipa::path(
    get,
    path = "/api/v1/auth",
    tag = "Key check",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("X-Keyhouse-Require" = Option<String>, Header,
            description = "API sets (comma-separated) the key must have; 403 when one is missing."),
    ),
    responses(
        (status = 204, description = "The key works",
            headers(
                ("X-Keyhouse-User" = String, description = "The key owner's username; with a user token, that user's"),
                ("X-Keyhouse-Key-Owner" = String, description = "With a user token: the key owner's username"),
                ("X-Keyhouse-Org" = String, description = "The organization's id"),
                ("X-Keyhouse-Key" = String, description = "The key's id"),
                ("X-Keyhouse-Api-Sets" = String, description = "The key's API sets, comma-separated"),
            )),
        (status = 400, description = "A key in the query string", body = ErrorBody),
        (status = 401, description = "Missing, malformed, unknown or non-working key", body = ErrorBody),
        (status = 403, description = "The key lacks a required API set", body = ErrorBody),
        (status = 429, description = "The key is over its rate limit", body = ErrorBody),
    )
)]
pub async fn forward_auth(
    State(state): State<AppState>,
    Authed(facts): Authed,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    // Every X-Keyhouse-Require header counts, each a comma-separated list;
    // bytes that are not text match no API set.
    let missing = headers.get_all("x-keyhouse-require").iter().any(|value| {
        String::from_utf8_lossy(value.as_bytes())
            .split(',')
            .map(str::trim)
            .filter(|set| !set.is_empty())
            .any(|set| !facts.api_sets.iter().any(|s| s == set))
    });
    if missing {
        return Err(MISSING_API_SET);
    }
    // With a user token the request is that user's; the key's owner is
    // named apart.
    let user = token_user(&state, &facts, &headers).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    let out = response.headers_mut();
    match &user {
        Some(user) => {
            out.insert("x-keyhouse-user", header_value(&user.user.username));
            out.insert("x-keyhouse-key-owner", header_value(&facts.owner.username));
        }
        None => {
            out.insert("x-keyhouse-user", header_value(&facts.owner.username));
        }
    }
    out.insert(
        "x-keyhouse-org",
        header_value(&facts.organization.id.to_string()),
    );
    out.insert("x-keyhouse-key", header_value(&facts.key.id.to_string()));
    out.insert(
        "x-keyhouse-api-sets",
        header_value(&facts.api_sets.join(",")),
    );
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[derive(Serialize, ToSchema)]
pub struct Owner {
    pub username: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct Organization {
    pub id: i64,
    pub name: String,
}

/// What a key is.
#[derive(Serialize, ToSchema)]
pub struct KeyInfo {
    pub key_id: i64,
    pub name: String,
    pub owner: Owner,
    pub organization: Organization,
    /// API set slugs, sorted.
    pub api_sets: Vec<String>,
    /// RFC 3339; absent when the key never expires.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<String>,
    /// With a user token: the user the request acts as.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acting_user: Option<Owner>,
}

fn key_info(facts: &Facts) -> KeyInfo {
    KeyInfo {
        key_id: facts.key.id,
        name: facts.key.name.clone(),
        owner: Owner {
            username: facts.owner.username.clone(),
            name: facts.owner.name.clone(),
        },
        organization: Organization {
            id: facts.organization.id,
            name: facts.organization.name.clone(),
        },
        api_sets: facts.api_sets.clone(),
        expires_at: facts.key.expires_at.map(|t| t.to_rfc3339()),
        acting_user: None,
    }
}

/// Who this key is.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "Key check",
    security(("bearer" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "The key works", body = KeyInfo),
        (status = 400, description = "A key in the query string", body = ErrorBody),
        (status = 401, description = "Missing, malformed, unknown or non-working key", body = ErrorBody),
        (status = 429, description = "The key is over its rate limit", body = ErrorBody),
    )
)]
pub async fn me(
    State(state): State<AppState>,
    Authed(facts): Authed,
    headers: HeaderMap,
) -> Result<Json<KeyInfo>, ApiError> {
    let user = token_user(&state, &facts, &headers).await?;
    Ok(Json(KeyInfo {
        acting_user: user.map(|p| Owner {
            username: p.user.username,
            name: p.user.name,
        }),
        ..key_info(&facts)
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct VerifyRequest {
    /// The key the service received.
    pub key: String,
    /// An API set the key must have.
    #[serde(default)]
    pub api_set: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct VerifyResponse {
    pub valid: bool,
    /// Why not, when not: `malformed`, `unknown`, `disabled`, `expired`,
    /// `owner_inactive`, `public_api_off`, `missing_api_set`, `rate_limited`
    /// (the key is over its own rate limit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// The key's id, and what follows: present when the key exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<Organization>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_sets: Option<Vec<String>>,
    /// RFC 3339; absent when the key never expires (or does not exist).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
}

impl VerifyResponse {
    fn no(reason: &'static str) -> Self {
        VerifyResponse {
            valid: false,
            reason: Some(reason),
            key_id: None,
            name: None,
            owner: None,
            organization: None,
            api_sets: None,
            expires_at: None,
        }
    }

    fn of(reason: Option<&'static str>, key: KeyInfo) -> Self {
        VerifyResponse {
            valid: reason.is_none(),
            reason,
            key_id: Some(key.key_id),
            name: Some(key.name),
            owner: Some(key.owner),
            organization: Some(key.organization),
            api_sets: Some(key.api_sets),
            expires_at: key.expires_at,
        }
    }
}

/// Requests per client IP and minute on `/keys/verify`.
pub const VERIFY_PER_MINUTE: u32 = 600;

/// For services that receive keys: does this key work (for this API set)?
/// Rate-limited per client address.
#[utoipa::path(
    post,
    path = "/api/v1/keys/verify",
    tag = "Key check",
    request_body = VerifyRequest,
    responses(
        (status = 200, description = "Whether the key works, and why not", body = VerifyResponse),
        (status = 400, description = "Not a JSON body of this shape", body = ErrorBody),
        (status = 429, description = "Too many requests from this address", body = ErrorBody),
    )
)]
pub async fn verify_key(
    State(state): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Extension(limits): Extension<Limits>,
    uri: Uri,
    body: Result<Json<VerifyRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<VerifyResponse>, ApiError> {
    refuse_key_in_query(&uri)?;
    if let Some(ip) = meta.client_ip
        && let Err(seconds) = limits.per_ip.check(ip, VERIFY_PER_MINUTE)
    {
        return Err(ApiError::too_many(
            seconds,
            "Too many requests from this address; try again later.",
        ));
    }
    let Json(request) = body.map_err(|_| {
        ApiError::bad_request(
            "bad_request",
            "Expected a JSON body {\"key\": \"…\", \"api_set\": \"…\"}.",
        )
    })?;
    let no = |reason| Json(VerifyResponse::no(reason));
    let Ok(key) = format::parse(request.key.trim()) else {
        return Ok(no("malformed"));
    };
    let Some((facts, status)) = check(&state, &key).await? else {
        return Ok(no("unknown"));
    };
    let over_limit = |facts: &Facts| {
        facts.key.rate_limit_per_minute.is_some_and(|n| {
            limits
                .per_key
                .check(facts.key.id, u32::try_from(n).unwrap_or(u32::MAX))
                .is_err()
        })
    };
    let reason = match status {
        KeyStatus::Active => match &request.api_set {
            Some(set) if !facts.api_sets.iter().any(|s| s == set) => Some("missing_api_set"),
            _ if over_limit(&facts) => Some("rate_limited"),
            _ => None,
        },
        other => Some(refused(other).code),
    };
    if reason.is_none() {
        state.usage.record(
            facts.key.id,
            facts.secret.id,
            state.clock.now(),
            meta.client_ip,
        );
    }
    Ok(Json(VerifyResponse::of(reason, key_info(&facts))))
}
