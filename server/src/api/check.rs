//! The key check for services: who a key is (`/me`), whether a key a
//! service received works (`/keys/verify`), and forward-auth for reverse
//! proxies (`/auth`).
use app::backend::keys::{cache::Facts, format};
use app::backend::request_meta::RequestMeta;
use app::backend::services::{decoys, key_check, rate_limited};
use app::backend::state::AppState;
use app::model::keys::KeyStatus;
use axum::{
    Extension, Json,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use utoipa::ToSchema;

use super::credentials::{Authed, OrgAuthed, check, refuse_key_in_query, token_user};
use super::error::{ApiError, ErrorBody, MISSING_API_SET, refused};
use super::header_text::{expiry, header_value, number};
use super::limits::Limits;

/// The organization-less forward-auth of earlier versions: it would accept a
/// working key of ANY organization, so it now only says where to go.
pub async fn forward_auth_without_org(uri: Uri) -> ApiError {
    if let Err(refused) = refuse_key_in_query(&uri) {
        return refused;
    }
    ApiError::bad_request(
        "organization_required",
        "Forward-auth names the organization it protects: use /api/v1/orgs/{org}/auth \
         with your organization's identifier from Settings / Integrations / Public API.",
    )
}

/// Forward-auth for a reverse proxy (nginx `auth_request`, Caddy
/// `forward_auth`, Traefik ForwardAuth) protecting a service of the
/// organization `{org}`: 204 with who the key is, or 401 / 403 with the
/// reason. A key of another organization is refused like an unknown key.
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org}/auth",
    tag = "Key check",
    security(("bearer" = []), ("api_key" = [])),
    params(
        ("org" = String, Path,
            description = "The organization's identifier (slug), shown on its Public API page."),
        ("X-Keyhouse-Require" = Option<String>, Header,
            description = "API sets (comma-separated) the key must have; 403 when one is missing."),
    ),
    responses(
        (status = 204, description = "The key works",
            headers(
                ("X-Keyhouse-User" = String, description = "The key owner's username (with a user token, that user's), percent-encoded: RFC 3986 unreserved characters kept, every other UTF-8 byte as %XX"),
                ("X-Keyhouse-User-Id" = i64, description = "The id of the user named by X-Keyhouse-User"),
                ("X-Keyhouse-Key-Owner" = String, description = "With a user token: the key owner's username, percent-encoded as X-Keyhouse-User"),
                ("X-Keyhouse-Key-Owner-Id" = i64, description = "With a user token: the key owner's id"),
                ("X-Keyhouse-Org" = String, description = "The organization's identifier (slug)"),
                ("X-Keyhouse-Org-Id" = i64, description = "The organization's id"),
                ("X-Keyhouse-Key" = i64, description = "The key's id"),
                ("X-Keyhouse-Api-Sets" = String, description = "The key's API sets, comma-separated"),
                ("X-Keyhouse-Key-Expires" = String, description = "When the key expires (RFC 3339); absent when it never does"),
                ("Sunset" = String, description = "Within 7 days of the key's expiry: when it expires, as an HTTP-date (RFC 8594), for the proxy to pass on to the client"),
            )),
        (status = 400, description = "A key in the query string", body = ErrorBody),
        (status = 401, description = "Missing, malformed or unknown key, a key of another organization, or a key that does not work", body = ErrorBody),
        (status = 403, description = "The key lacks a required API set, or may not be used from the client's address (address_not_allowed)", body = ErrorBody),
        (status = 429, description = "The key is over its rate limit", body = ErrorBody),
    )
)]
pub async fn forward_auth(
    State(state): State<AppState>,
    OrgAuthed(facts): OrgAuthed,
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
    let acting = user.as_ref().map_or(&facts.owner, |p| &p.user);
    out.insert("x-keyhouse-user", header_value(&acting.username));
    out.insert("x-keyhouse-user-id", number(acting.id));
    if user.is_some() {
        out.insert("x-keyhouse-key-owner", header_value(&facts.owner.username));
        out.insert("x-keyhouse-key-owner-id", number(facts.owner.id));
    }
    out.insert("x-keyhouse-org", header_value(&facts.organization.slug));
    out.insert("x-keyhouse-org-id", number(facts.organization.id));
    out.insert("x-keyhouse-key", number(facts.key.id));
    // API set slugs are `a-z 0-9 : . _ -` only: the list goes as it is.
    out.insert(
        "x-keyhouse-api-sets",
        HeaderValue::from_str(&facts.api_sets.join(","))
            .unwrap_or_else(|_| HeaderValue::from_static("")),
    );
    if let Some(at) = facts.key.expires_at {
        expiry(out, at, state.clock.now());
    }
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[derive(Serialize, ToSchema)]
pub struct Owner {
    pub id: i64,
    pub username: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct Organization {
    pub id: i64,
    /// The stable public identifier forward-auth names.
    pub slug: String,
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
            id: facts.owner.id,
            username: facts.owner.username.clone(),
            name: facts.owner.name.clone(),
        },
        organization: Organization {
            id: facts.organization.id,
            slug: facts.organization.slug.clone(),
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
        (status = 403, description = "The key may not be used from this address (address_not_allowed)", body = ErrorBody),
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
            id: p.user.id,
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
    /// The address (IPv4 or IPv6) the service's client called from, checked
    /// against the key's allowed addresses; without it (or with text that is
    /// not an address) a key with allowed addresses is `address_not_allowed`
    /// (this request's own address is the service's).
    #[serde(default)]
    pub client_ip: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct VerifyResponse {
    pub valid: bool,
    /// Why not, when not: `malformed`, `unknown`, `address_not_allowed`
    /// (the client's address is not among the key's allowed addresses),
    /// `leaked`, `disabled`, `expired`, `owner_inactive`, `public_api_off`,
    /// `missing_api_set`, `rate_limited` (the key is over its own rate
    /// limit).
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

/// The API set a service's own key needs to verify keys (declared with the
/// operation).
const VERIFY_API_SET: Option<&str> = key_check::VERIFY.need.api_set;

/// For a service of the organization that received a key: does this key
/// work (for this API set)? The service authenticates with its OWN key,
/// which needs the `keys:verify` API set; only keys of that key's
/// organization can be valid — a key of another organization is `unknown`,
/// exactly like a key nobody has. Rate-limited per client address.
#[utoipa::path(
    post,
    path = "/api/v1/keys/verify",
    tag = "Key check",
    security(("bearer" = []), ("api_key" = [])),
    request_body = VerifyRequest,
    responses(
        (status = 200, description = "Whether the key works, and why not", body = VerifyResponse),
        (status = 400, description = "Not a JSON body of this shape", body = ErrorBody),
        (status = 401, description = "No working key of the calling service", body = ErrorBody),
        (status = 403, description = "The calling service's key lacks the keys:verify API set, or may not be used from this address", body = ErrorBody),
        (status = 429, description = "Too many requests from this address", body = ErrorBody),
    )
)]
pub async fn verify_key(
    State(state): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Extension(limits): Extension<Limits>,
    uri: Uri,
    verifier: Result<Authed, ApiError>,
    body: Result<Json<VerifyRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<VerifyResponse>, ApiError> {
    refuse_key_in_query(&uri)?;
    limits.client(&meta, VERIFY_PER_MINUTE).await?;
    let Authed(verifier) = verifier?;
    if !verifier
        .api_sets
        .iter()
        .any(|s| Some(s.as_str()) == VERIFY_API_SET)
    {
        return Err(MISSING_API_SET);
    }
    let Json(request) = body.map_err(|_| {
        ApiError::bad_request(
            "bad_request",
            "Expected a JSON body {\"key\": \"…\", \"api_set\": \"…\"}.",
        )
    })?;
    // Without a client address that parses, the key's presenter is unknown
    // (this request comes from the service, not from its client): a key
    // with allowed addresses is then refused, as from anywhere else.
    let client = request
        .client_ip
        .as_deref()
        .and_then(|text| text.trim().parse::<IpAddr>().ok())
        .map(|ip| ip.to_canonical());
    let no = |reason| Json(VerifyResponse::no(reason));
    let Ok(key) = format::parse(request.key.trim()) else {
        return Ok(no("malformed"));
    };
    let Some((facts, status)) = check(&state, &key).await? else {
        return Ok(no("unknown"));
    };
    // A decoy, whichever organization's: unknown, and its alarm goes off
    // with this request's address and what the verifying service claims.
    if facts.key.decoy {
        // Another organization's service: the decoy's owners learn that,
        // and nothing about that organization, its service or its client.
        let (seen, claim) = if verifier.organization.id == facts.organization.id {
            let claim = serde_json::json!({
                "verified_by": { "key": verifier.key.id },
                "claimed_client_ip": client.map(|ip| ip.to_string()),
            });
            (meta.clone(), claim)
        } else {
            let claim = serde_json::json!({ "verified_by": "another organization" });
            (RequestMeta::default(), claim)
        };
        decoys::spring(&state, &facts, seen, claim);
        return Ok(no("unknown"));
    }
    if facts.organization.id != verifier.organization.id {
        return Ok(no("unknown"));
    }
    if !facts.allows(client) {
        state.usage.record_refused(facts.key.id, state.clock.now());
        return Ok(Json(VerifyResponse::of(
            Some("address_not_allowed"),
            key_info(&facts),
        )));
    }
    let reason = match status {
        KeyStatus::Active => match &request.api_set {
            Some(set) if !facts.api_sets.iter().any(|s| s == set) => Some("missing_api_set"),
            _ if over_limit(&state, &limits, &facts, &meta).await => Some("rate_limited"),
            _ => None,
        },
        other => Some(refused(other).code),
    };
    if reason.is_none() {
        state.usage.record(
            facts.key.id,
            facts.secret.id,
            facts.secret.superseded_at.is_some(),
            state.clock.now(),
            client,
        );
    }
    Ok(Json(VerifyResponse::of(reason, key_info(&facts))))
}

/// Whether this check puts the key over its own rate limit (then noted as
/// `key.rate_limited`, at most once an hour).
async fn over_limit(state: &AppState, limits: &Limits, facts: &Facts, meta: &RequestMeta) -> bool {
    let Some(n) = facts.key.rate_limit_per_minute else {
        return false;
    };
    let per_minute = u32::try_from(n).unwrap_or(u32::MAX);
    let over = limits.key(facts.key.id, per_minute).await.is_err();
    if over {
        rate_limited::note(state, facts, per_minute, meta.clone());
    }
    over
}
