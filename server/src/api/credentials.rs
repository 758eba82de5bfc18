//! Who is calling: the key (from `Authorization: Bearer <key>` or
//! `X-API-Key`, never the query string), checked by the one key check, and
//! the optional user token (`Authorization: Bearer <key>, User <token>`).
use std::sync::Arc;

use app::backend::auth::api_caller::{self, Refusal};
use app::backend::auth::guard;
use app::backend::auth::operation::Operation;
use app::backend::auth::session::Principal;
use app::backend::keys::{cache::Facts, format};
use app::backend::request_meta::RequestMeta;
use app::backend::services::{decoys, key_check, rate_limited};
use app::backend::state::AppState;
use app::model::keys::KeyStatus;
use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, Uri, header, request::Parts};

use super::error::{
    ADDRESS_NOT_ALLOWED, ApiError, BAD_USER_TOKEN, INTERNAL, KEY_IN_QUERY, MALFORMED_KEY,
    MISSING_API_SET, MISSING_KEY, UNKNOWN_KEY, refused,
};
use super::limits::Limits;

/// Names under which a careless client might put a key in the URL.
const QUERY_KEY_NAMES: [&str; 7] = [
    "key",
    "api_key",
    "apikey",
    "api-key",
    "token",
    "access_token",
    "user_token",
];

/// A query string's name or value, decoded (`+` is a space, `%XX` a byte).
fn decoded(part: &str) -> String {
    let bytes = part.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| char::from(b).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(high), Some(low)) => {
                        out.push((high * 16 + low) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether `text` holds a Keyhouse key or user token anywhere in it.
fn holds_secret(text: &str) -> bool {
    let keys = text.match_indices(format::PREFIX).any(|(at, _)| {
        text.get(at..at + format::KEY_LEN)
            .is_some_and(|candidate| format::parse(candidate).is_ok())
    });
    let tokens = text.match_indices("khu_").any(|(at, _)| {
        text.get(at + 4..at + 4 + 64)
            .is_some_and(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
    });
    keys || tokens
}

/// A key or user token in the URL: by a name a key would go under, or by
/// its very shape in any name or value.
pub fn key_in_query(uri: &Uri) -> bool {
    uri.query().is_some_and(|q| {
        q.split('&').any(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let (name, value) = (decoded(name), decoded(value));
            QUERY_KEY_NAMES.contains(&name.to_ascii_lowercase().as_str())
                || holds_secret(&name)
                || holds_secret(&value)
        })
    })
}

/// Every `/api/v1` handler starts here (through [`Authed`] or directly):
/// a key or user token in the query string is refused before anything
/// else happens. (A check inside the handlers rather than a middleware
/// layer: it costs the key check nothing when there is no query.)
pub fn refuse_key_in_query(uri: &Uri) -> Result<(), ApiError> {
    if key_in_query(uri) {
        Err(KEY_IN_QUERY)
    } else {
        Ok(())
    }
}

fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
}

/// `value` without the authentication scheme `scheme` (any case).
fn credential<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let (name, rest) = value.trim().split_once(' ')?;
    name.eq_ignore_ascii_case(scheme).then(|| rest.trim())
}

/// The key a request presents, from its headers.
fn presented(headers: &HeaderMap) -> Option<&str> {
    if let Some(value) = authorization(headers) {
        // `Bearer <key>` (a `, User <token>` part may follow).
        let first = value.split(',').next().unwrap_or_default();
        if let Some(key) = credential(first, "Bearer") {
            return Some(key);
        }
    }
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// The user token of `Authorization: Bearer <key>, User <token>`.
pub fn user_token(headers: &HeaderMap) -> Option<&str> {
    authorization(headers)?
        .split(',')
        .skip(1)
        .find_map(|part| credential(part, "User"))
}

/// A request made with a working key.
pub struct Authed(pub Arc<Facts>);

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        refuse_key_in_query(&parts.uri)?;
        let meta = parts.extensions.get::<RequestMeta>();
        let limits = parts.extensions.get::<Limits>();
        authenticate(state, &parts.headers, meta, limits, None)
            .await
            .map(Authed)
    }
}

/// A request made with a working key OF THE ORGANIZATION named by the
/// path's `{org}` slug. A key of any other organization is refused exactly
/// like a key nobody has (401 `unknown_key`), before its status, rate limit
/// or use is looked at: nothing tells a stranger that their key works
/// elsewhere.
pub struct OrgAuthed(pub Arc<Facts>);

#[derive(serde::Deserialize)]
struct OrgPath {
    org: String,
}

impl FromRequestParts<AppState> for OrgAuthed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        refuse_key_in_query(&parts.uri)?;
        let axum::extract::Path(OrgPath { org }) =
            axum::extract::Path::<OrgPath>::from_request_parts(parts, state)
                .await
                .map_err(|_| UNKNOWN_KEY)?;
        let meta = parts.extensions.get::<RequestMeta>();
        let limits = parts.extensions.get::<Limits>();
        authenticate(state, &parts.headers, meta, limits, Some(&org))
            .await
            .map(OrgAuthed)
    }
}

/// The working key of this request, or why not. Counts the request against
/// the key's own rate limit and notes its use (in memory).
async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    meta: Option<&RequestMeta>,
    limits: Option<&Limits>,
    org: Option<&str>,
) -> Result<Arc<Facts>, ApiError> {
    let candidate = presented(headers).ok_or(MISSING_KEY)?;
    let key = format::parse(candidate).map_err(|_| MALFORMED_KEY)?;
    let (facts, status) = check(state, &key).await?.ok_or(UNKNOWN_KEY)?;
    // A decoy answers as a key nobody has; its alarm goes off meanwhile.
    if facts.key.decoy {
        // At another organization's forward-auth door the address seen is
        // that organization's proxy's or client's: not the decoy owners'
        // to know.
        let elsewhere = org.is_some_and(|slug| slug != facts.organization.slug);
        let (seen, more) = if elsewhere {
            let more = serde_json::json!({ "presented_at": "another organization" });
            (RequestMeta::default(), more)
        } else {
            (meta.cloned().unwrap_or_default(), serde_json::Value::Null)
        };
        decoys::spring(state, &facts, seen, more);
        return Err(UNKNOWN_KEY);
    }
    if org.is_some_and(|slug| slug != facts.organization.slug) {
        return Err(UNKNOWN_KEY);
    }
    // Before the status: from elsewhere, nothing about the key is told.
    let ip = meta.and_then(|m| m.client_ip);
    if !facts.allows(ip) {
        state.usage.record_refused(facts.key.id, state.clock.now());
        return Err(ADDRESS_NOT_ALLOWED);
    }
    if status != KeyStatus::Active {
        return Err(refused(status));
    }
    if let (Some(per_minute), Some(limits)) = (facts.key.rate_limit_per_minute, limits)
        && let per_minute = u32::try_from(per_minute).unwrap_or(u32::MAX)
        && let Err(seconds) = limits.key(facts.key.id, per_minute).await
    {
        rate_limited::note(state, &facts, per_minute, meta.cloned().unwrap_or_default());
        return Err(ApiError::too_many(
            seconds,
            "This API key is over its rate limit; try again later.",
        ));
    }
    state.usage.record(
        facts.key.id,
        facts.secret.id,
        facts.secret.superseded_at.is_some(),
        state.clock.now(),
        ip,
    );
    Ok(facts)
}

/// The one key check, with database trouble as a 500 (logged).
pub async fn check(
    state: &AppState,
    key: &format::PlainKey,
) -> Result<Option<(Arc<Facts>, KeyStatus)>, ApiError> {
    key_check::verify(state, key).await.map_err(|err| {
        tracing::error!(error = %err, "key check failed");
        INTERNAL
    })
}

/// The user of the request's user token, if it carries one: 401
/// `invalid_user_token` when the token is not good for this key.
pub async fn token_user(
    state: &AppState,
    key: &Facts,
    headers: &HeaderMap,
) -> Result<Option<Principal>, ApiError> {
    let Some(token) = user_token(headers) else {
        return Ok(None);
    };
    api_caller::token_user(state, key, token)
        .await
        .map(Some)
        .map_err(refusal)
}

fn refusal(refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::BadUserToken => BAD_USER_TOKEN,
        Refusal::MissingApiSet => MISSING_API_SET,
        Refusal::App(err) => err.into(),
    }
}

/// Whom a management request acts as: the key's owner, or the user of the
/// user token; allowed only as the operation's one declaration says (its
/// API set on the key AND its authority held): the same [`guard`] rule the
/// pages' server functions ask.
pub async fn acting(
    state: &AppState,
    key: &Facts,
    headers: &HeaderMap,
    op: Operation,
) -> Result<Principal, ApiError> {
    guard::api(state, key, user_token(headers), op.need)
        .await
        .map_err(refusal)
}

#[cfg(test)]
#[path = "credentials_tests.rs"]
mod tests;
