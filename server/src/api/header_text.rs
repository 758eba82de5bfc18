//! Values of the `X-Keyhouse-*` headers forward-auth answers with.
use axum::http::HeaderValue;

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
