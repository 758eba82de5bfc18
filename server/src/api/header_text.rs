//! Values of the headers forward-auth answers with.
use axum::http::{HeaderMap, HeaderValue};
use chrono::{DateTime, Utc};

/// The one rule for text in an `X-Keyhouse-*` header: RFC 3986's unreserved
/// characters (`A-Z a-z 0-9 - . _ ~`) as they are, every other byte of the
/// UTF-8 text as `%XX` (upper-case hex) — so `%`, `,`, `@`, spaces and
/// non-ASCII letters never make a value ambiguous, and any URL decoder
/// gives the text back.
pub fn header_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(super) fn header_value(value: &str) -> HeaderValue {
    // Only unreserved characters and `%` remain: always a valid value.
    HeaderValue::from_str(&header_text(value)).unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub(super) fn number(value: i64) -> HeaderValue {
    HeaderValue::from(value)
}

/// How close to its expiry a key's forward-auth answers carry `Sunset`.
pub const SUNSET_DAYS: i64 = 7;
/// RFC 9110's IMF-fixdate, in UTC.
const HTTP_DATE: &str = "%a, %d %b %Y %H:%M:%S GMT";

/// `X-Keyhouse-Key-Expires` for a key that expires at `at`, and within its
/// last week RFC 8594's `Sunset` (an HTTP-date), for the proxy to pass on
/// to the client.
pub(super) fn expiry(out: &mut HeaderMap, at: DateTime<Utc>, now: DateTime<Utc>) {
    // RFC 3339 is `0-9 T : + - .` only: always a valid value.
    if let Ok(value) = HeaderValue::from_str(&at.to_rfc3339()) {
        out.insert("x-keyhouse-key-expires", value);
    }
    if at - now <= chrono::Duration::days(SUNSET_DAYS)
        && let Ok(value) = HeaderValue::from_str(&at.format(HTTP_DATE).to_string())
    {
        out.insert("sunset", value);
    }
}
