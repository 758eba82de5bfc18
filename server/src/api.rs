//! The HTTP API for services (`/api/v1`): who a key is, key verification and
//! forward-auth for reverse proxies. Every answer is JSON (or 204), errors
//! are `{"error":{"code","message"}}`. A key is taken from
//! `Authorization: Bearer <key>` or `X-API-Key`, never from the query
//! string; a malformed key is refused before any lookup; a well-formed one
//! is checked by `key_check::verify` (the cache, then the one status
//! function).
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::backend::keys::{cache::Facts, format};
use app::backend::request_meta::RequestMeta;
use app::backend::services::key_check;
use app::backend::state::AppState;
use app::server_fns::keys_dto::KeyStatus;
use axum::{
    Extension, Json, Router,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};

/// A refusal, as the API answers it.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: &'static str,
    retry_after: Option<u64>,
}

impl ApiError {
    const fn new(status: StatusCode, code: &'static str, message: &'static str) -> Self {
        ApiError {
            status,
            code,
            message,
            retry_after: None,
        }
    }
}

#[derive(Serialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Serialize)]
struct ErrorDetail {
    code: &'static str,
    message: &'static str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(ErrorBody {
                error: ErrorDetail {
                    code: self.code,
                    message: self.message,
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

const KEY_IN_QUERY: ApiError = ApiError::new(
    StatusCode::BAD_REQUEST,
    "key_in_query",
    "Send the key in the Authorization or X-API-Key header, never in the URL.",
);
const MISSING_KEY: ApiError = ApiError::new(
    StatusCode::UNAUTHORIZED,
    "missing_key",
    "No API key: send Authorization: Bearer <key> or X-API-Key: <key>.",
);
const MALFORMED_KEY: ApiError = ApiError::new(
    StatusCode::UNAUTHORIZED,
    "malformed_key",
    "This is not a Keyhouse API key.",
);
const UNKNOWN_KEY: ApiError =
    ApiError::new(StatusCode::UNAUTHORIZED, "unknown_key", "Unknown API key.");
const INTERNAL: ApiError = ApiError::new(
    StatusCode::INTERNAL_SERVER_ERROR,
    "internal",
    "Something went wrong on our side.",
);

fn refused(status: KeyStatus) -> ApiError {
    let (code, message) = match status {
        KeyStatus::Disabled => ("disabled", "This API key is disabled."),
        KeyStatus::Expired => ("expired", "This API key has expired."),
        KeyStatus::OwnerInactive => (
            "owner_inactive",
            "The owner of this API key is not an active member of its organization.",
        ),
        KeyStatus::PublicApiOff => (
            "public_api_off",
            "The organization's Public API is switched off.",
        ),
        KeyStatus::Active => ("active", "The key works."),
    };
    ApiError::new(StatusCode::UNAUTHORIZED, code, message)
}

/// Names under which a careless client might put a key in the URL.
const QUERY_KEY_NAMES: [&str; 6] = [
    "key",
    "api_key",
    "apikey",
    "api-key",
    "token",
    "access_token",
];

fn key_in_query(uri: &Uri) -> bool {
    uri.query().is_some_and(|q| {
        q.contains("kh_")
            || q.split('&').any(|pair| {
                let name = pair.split('=').next().unwrap_or_default();
                QUERY_KEY_NAMES.contains(&name.to_ascii_lowercase().as_str())
            })
    })
}

/// The key a request presents, from its headers.
fn presented(headers: &HeaderMap) -> Option<String> {
    if let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        // `Bearer <key>` (a `, User <token>` part may follow).
        let first = value.split(',').next().unwrap_or_default().trim();
        if let Some(key) = first
            .strip_prefix("Bearer ")
            .or_else(|| first.strip_prefix("bearer "))
        {
            return Some(key.trim().to_owned());
        }
    }
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
}

/// The working key of this request, or why not.
async fn authenticate(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    meta: &RequestMeta,
) -> Result<Arc<Facts>, ApiError> {
    if key_in_query(uri) {
        return Err(KEY_IN_QUERY);
    }
    let candidate = presented(headers).ok_or(MISSING_KEY)?;
    let key = format::parse(&candidate).map_err(|_| MALFORMED_KEY)?;
    let (facts, status) = key_check::verify(state, &key)
        .await
        .map_err(|err| {
            tracing::error!(error = %err, "key check failed");
            INTERNAL
        })?
        .ok_or(UNKNOWN_KEY)?;
    if status != KeyStatus::Active {
        return Err(refused(status));
    }
    state.usage.record(
        facts.key.id,
        facts.secret.id,
        state.clock.now(),
        meta.client_ip.map(|ip| ip.to_string()),
    );
    Ok(facts)
}

fn header_value(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).unwrap_or_else(|_| {
        HeaderValue::from_str(&app::server_fns::users::urlencode(value))
            .unwrap_or_else(|_| HeaderValue::from_static(""))
    })
}

/// `GET /api/v1/auth`: forward-auth for a reverse proxy.
async fn forward_auth(
    State(state): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let facts = authenticate(&state, &uri, &headers, &meta).await?;
    if let Some(required) = headers
        .get("x-keyhouse-require")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|r| !r.is_empty())
        && !required
            .split(',')
            .map(str::trim)
            .all(|set| facts.api_sets.iter().any(|s| s == set))
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "missing_api_set",
            "This API key may not be used for this API.",
        ));
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    let out = response.headers_mut();
    out.insert("x-keyhouse-user", header_value(&facts.owner.username));
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

#[derive(Serialize)]
pub struct Owner {
    username: String,
    name: String,
}

#[derive(Serialize)]
pub struct Organization {
    id: i64,
    name: String,
}

/// What a working key is.
#[derive(Serialize)]
pub struct KeyInfo {
    key_id: i64,
    name: String,
    owner: Owner,
    organization: Organization,
    api_sets: Vec<String>,
    expires_at: Option<String>,
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
    }
}

/// `GET /api/v1/me`: who this key is.
async fn me(
    State(state): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Json<KeyInfo>, ApiError> {
    let facts = authenticate(&state, &uri, &headers, &meta).await?;
    Ok(Json(key_info(&facts)))
}

#[derive(Deserialize)]
pub struct VerifyRequest {
    key: String,
    #[serde(default)]
    api_set: Option<String>,
}

#[derive(Serialize)]
pub struct VerifyResponse {
    valid: bool,
    /// Why not, when not: `malformed`, `unknown`, `disabled`, `expired`,
    /// `owner_inactive`, `public_api_off`, `missing_api_set`.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    key: Option<KeyInfo>,
}

/// Requests per client IP and minute on `/keys/verify`.
const VERIFY_PER_MINUTE: u32 = 600;

/// A fixed one-minute window per client IP, bounded in size.
#[derive(Clone, Default)]
pub struct RateLimiter {
    windows: Arc<Mutex<HashMap<IpAddr, (Instant, u32)>>>,
}

impl RateLimiter {
    /// `Err(seconds to wait)` when `ip` is over `per_minute`.
    pub fn check(&self, ip: Option<IpAddr>, per_minute: u32) -> Result<(), u64> {
        let Some(ip) = ip else { return Ok(()) };
        let Ok(mut map) = self.windows.lock() else {
            return Ok(());
        };
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| start.elapsed() < Duration::from_secs(60));
        }
        let entry = map.entry(ip).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= Duration::from_secs(60) {
            *entry = (Instant::now(), 0);
        }
        entry.1 += 1;
        if entry.1 > per_minute {
            Err(60u64.saturating_sub(entry.0.elapsed().as_secs()).max(1))
        } else {
            Ok(())
        }
    }
}

/// `POST /api/v1/keys/verify`: for services that receive keys.
async fn verify_key(
    State(state): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Extension(limiter): Extension<RateLimiter>,
    uri: Uri,
    body: Result<Json<VerifyRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<VerifyResponse>, ApiError> {
    if let Err(seconds) = limiter.check(meta.client_ip, VERIFY_PER_MINUTE) {
        return Err(ApiError {
            retry_after: Some(seconds),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                "Too many requests from this address; try again later.",
            )
        });
    }
    if key_in_query(&uri) {
        return Err(KEY_IN_QUERY);
    }
    let Json(request) = body.map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "Expected a JSON body {\"key\": \"…\", \"api_set\": \"…\"}.",
        )
    })?;
    let no = |reason| {
        Json(VerifyResponse {
            valid: false,
            reason: Some(reason),
            key: None,
        })
    };
    let Ok(key) = format::parse(request.key.trim()) else {
        return Ok(no("malformed"));
    };
    let Some((facts, status)) = key_check::verify(&state, &key).await.map_err(|err| {
        tracing::error!(error = %err, "key check failed");
        INTERNAL
    })?
    else {
        return Ok(no("unknown"));
    };
    let reason = match status {
        KeyStatus::Active => match &request.api_set {
            Some(set) if !facts.api_sets.iter().any(|s| s == set) => Some("missing_api_set"),
            _ => None,
        },
        other => Some(refused(other).code),
    };
    if reason.is_none() {
        state.usage.record(
            facts.key.id,
            facts.secret.id,
            state.clock.now(),
            meta.client_ip.map(|ip| ip.to_string()),
        );
    }
    Ok(Json(VerifyResponse {
        valid: reason.is_none(),
        reason,
        key: Some(key_info(&facts)),
    }))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth", get(forward_auth))
        .route("/api/v1/me", get(me))
        .route("/api/v1/keys/verify", post(verify_key))
        .layer(Extension(RateLimiter::default()))
}
