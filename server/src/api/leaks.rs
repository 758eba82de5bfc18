//! `POST /api/v1/leaks`: secret scanners report keys they found in public,
//! in the format of GitHub's secret scanning partner program, signed with a
//! key the operator trusts.
use app::backend::request_meta::RequestMeta;
use app::backend::services::leaks::{self, MAX_TOKENS, Reported};
use app::backend::state::AppState;
use axum::{
    Extension, Json,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode, Uri},
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::credentials::refuse_key_in_query;
use super::error::{ApiError, ErrorBody};
use super::limits::Limits;

/// The largest report read (1,000 tokens with their URLs fit).
pub const BODY_MAX: usize = 512 * 1024;
/// Reports per client address and minute (shared with verify's budget).
const PER_MINUTE: u32 = 600;

/// Headers that may carry the signature: ours, and GitHub's (so a scanner
/// built for GitHub's partner program needs no change).
const SIGNATURE_HEADERS: [&str; 2] = ["keyhouse-signature", "github-public-key-signature"];

const NOT_CONFIGURED: ApiError = ApiError::new(
    StatusCode::UNAUTHORIZED,
    "invalid_signature",
    "This instance accepts no leak reports: its operator configured no KEYHOUSE_LEAK_REPORT_KEYS.",
);
const BAD_SIGNATURE: ApiError = ApiError::new(
    StatusCode::UNAUTHORIZED,
    "invalid_signature",
    "The Keyhouse-Signature header is missing, or does not verify over this body with any configured key.",
);

/// One token a scanner found.
#[derive(Deserialize, ToSchema)]
pub struct LeakReport {
    /// The token as found.
    pub token: String,
    /// The scanner's name for the kind of token.
    #[serde(rename = "type", default)]
    pub token_type: String,
    /// Where it was found.
    #[serde(default)]
    pub url: String,
    /// Who found it, or where (`content`, `commit`, …).
    #[serde(default)]
    pub source: String,
}

/// The verdict on one reported token, in the order reported.
#[derive(Serialize, ToSchema)]
pub struct LeakVerdict {
    /// SHA-256 (hex) of the token as reported: the token itself is never
    /// sent back.
    pub token_hash: String,
    /// As reported.
    pub token_type: String,
    /// `true_positive`: a Keyhouse key (a working one is now disabled);
    /// `false_positive`: anything else.
    #[schema(example = "true_positive")]
    pub label: &'static str,
}

/// Reports keys found in public. The body is a JSON array of
/// `{token, type, url, source}` (at most 1,000); the header
/// `Keyhouse-Signature` (or `Github-Public-Key-Signature`) holds the
/// base64 of an ECDSA P-256 / SHA-256 signature (ASN.1 DER) over the exact
/// body, made with a private key whose public key the operator configured
/// in `KEYHOUSE_LEAK_REPORT_KEYS`. Every key whose reported secret still
/// works is disabled at once and marked leaked until rolled.
#[utoipa::path(
    post,
    path = "/api/v1/leaks",
    tag = "Leaks",
    request_body = Vec<LeakReport>,
    params(
        ("Keyhouse-Signature" = String, Header,
            description = "Base64 of the DER ECDSA P-256 SHA-256 signature over the body."),
    ),
    responses(
        (status = 200, description = "One verdict per reported token, in order", body = Vec<LeakVerdict>),
        (status = 400, description = "A key in the query string, a body over 512 KiB, or not a JSON array of reports (at most 1,000)", body = ErrorBody),
        (status = 401, description = "No signature, or one that does not verify", body = ErrorBody),
        (status = 429, description = "Too many requests from this address", body = ErrorBody),
    )
)]
pub async fn report(
    State(state): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Extension(limits): Extension<Limits>,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<Vec<LeakVerdict>>, ApiError> {
    refuse_key_in_query(&uri)?;
    limits.client(&meta, PER_MINUTE).await?;
    let body = body.map_err(|_| {
        ApiError::bad_request(
            "bad_request",
            "The report could not be read; it may be at most 512 KiB.",
        )
    })?;
    let reporters = &state.settings.leak_reporters;
    if reporters.is_empty() {
        return Err(NOT_CONFIGURED);
    }
    let signature = SIGNATURE_HEADERS
        .iter()
        .find_map(|name| headers.get(*name))
        .and_then(|v| v.to_str().ok())
        .ok_or(BAD_SIGNATURE)?;
    if !reporters.verify(&body, signature) {
        return Err(BAD_SIGNATURE);
    }
    let reports: Vec<LeakReport> = serde_json::from_slice(&body).map_err(|_| {
        ApiError::bad_request(
            "bad_request",
            "Expected a JSON array of {\"token\", \"type\", \"url\", \"source\"}.",
        )
    })?;
    if reports.len() > MAX_TOKENS {
        return Err(ApiError::bad_request(
            "bad_request",
            format!("At most {MAX_TOKENS} tokens per report."),
        ));
    }
    let reported: Vec<Reported<'_>> = reports
        .iter()
        .map(|r| Reported {
            token: &r.token,
            url: &r.url,
            source: &r.source,
        })
        .collect();
    let verdicts = leaks::report(&state, &reported, &meta).await?;
    Ok(Json(
        reports
            .iter()
            .zip(verdicts)
            .map(|(r, verdict)| LeakVerdict {
                token_hash: hex(&Sha256::digest(r.token.as_bytes())),
                token_type: r.token_type.clone(),
                label: verdict.as_str(),
            })
            .collect(),
    ))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
