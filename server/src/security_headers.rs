//! Headers on every answer that tell the browser what the page may do.
//!
//! HTML pages get a Content-Security-Policy whose `script-src` names a nonce
//! made fresh for each response: the Leptos render reads the same nonce from
//! the request (see [`nonce_of`]) and puts it on every `<script>` it writes
//! (the hydration loader, the resource chunks), so no inline script runs
//! without it and no `'unsafe-inline'` is needed. The WASM bundle needs
//! `'wasm-unsafe-eval'`; styles come only from our own stylesheet. Swagger UI
//! at `/docs` keeps a policy of its own (its React code sets inline styles and
//! its CSS holds `data:` images). Everything else (JSON, static files) gets a
//! policy that allows nothing, which only matters if someone opens it as a
//! page.
use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, header},
    middleware::Next,
    response::Response,
};
use leptos::nonce::Nonce;

/// What depends on the configuration.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// `Strict-Transport-Security` too: only when served over HTTPS (the
    /// same switch as secure cookies).
    pub hsts: bool,
    /// Under `cargo leptos watch` the page reloads itself over a WebSocket
    /// to another port.
    pub dev_reload: bool,
}

impl Policy {
    pub fn new(secure_cookies: bool) -> Policy {
        Policy {
            hsts: secure_cookies,
            dev_reload: std::env::var_os("LEPTOS_WATCH").is_some(),
        }
    }
}

const HSTS: &str = "max-age=31536000";

const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

const OTHER_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// The policy of a Leptos page rendered with `nonce`.
pub fn page_csp(nonce: &str, policy: &Policy) -> String {
    let reload = if policy.dev_reload { " ws: wss:" } else { "" };
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'{reload}; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The nonce of the request being rendered, for the Leptos context (the
/// router's additional context calls this with the request's parts).
pub fn nonce_of(parts: &axum::http::request::Parts) -> Option<Nonce> {
    parts.extensions.get::<Nonce>().cloned()
}

/// The middleware: a nonce into the request, the headers onto the response.
pub async fn apply(State(policy): State<Policy>, mut request: Request, next: Next) -> Response {
    // The HTTP API for services never answers a page: no nonce to make on
    // its (hot) path.
    let path = request.uri().path();
    let docs = is_docs(path);
    let nonce = (!path.starts_with("/api/v1/")).then(Nonce::new);
    if let Some(nonce) = &nonce {
        request.extensions_mut().insert(nonce.clone());
    }
    let mut response = next.run(request).await;
    let html = is_html(response.headers());
    let headers = response.headers_mut();
    set(
        headers,
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // No address of ours (an invitation link holds its token) goes to
    // another site. Not `no-referrer`: a form posted without JavaScript that
    // fails is sent back to the page it came from by its `Referer`, and under
    // `no-referrer` the browser also sends `Origin: null`, which the
    // cross-site guard refuses.
    set(
        headers,
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if policy.hsts {
        set(
            headers,
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    let csp = match (html, docs, &nonce) {
        (true, true, _) => HeaderValue::from_static(DOCS_CSP),
        // The nonce is URL-safe base64: always a valid header value.
        (true, false, Some(nonce)) => HeaderValue::from_str(&page_csp(nonce, &policy))
            .unwrap_or_else(|_| HeaderValue::from_static(OTHER_CSP)),
        _ => HeaderValue::from_static(OTHER_CSP),
    };
    set(headers, header::CONTENT_SECURITY_POLICY, csp);
    if html {
        set(
            headers,
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        );
    }
    response
}

fn set(headers: &mut HeaderMap, name: HeaderName, value: HeaderValue) {
    headers.insert(name, value);
}

fn is_docs(path: &str) -> bool {
    path == "/docs" || path.starts_with("/docs/")
}

fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .get(..9)
                .is_some_and(|t| t.eq_ignore_ascii_case("text/html"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_policy_allows_the_nonce_and_wasm_but_no_inline_script() {
        let csp = page_csp(
            "abc123",
            &Policy {
                hsts: false,
                dev_reload: false,
            },
        );
        assert!(csp.contains("connect-src 'self';"), "{csp}");
        assert!(csp.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval'"));
        assert!(!csp.contains("unsafe-inline"));
        for directive in [
            "frame-ancestors 'none'",
            "object-src 'none'",
            "base-uri 'none'",
        ] {
            assert!(csp.contains(directive), "{directive}");
            assert!(DOCS_CSP.contains(directive), "docs: {directive}");
        }
    }

    #[test]
    fn html_is_recognised_whatever_the_parameters() {
        let mut headers = HeaderMap::new();
        assert!(!is_html(&headers));
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("Text/HTML; charset=utf-8"),
        );
        assert!(is_html(&headers));
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        assert!(!is_html(&headers));
        assert!(is_docs("/docs") && is_docs("/docs/index.css") && !is_docs("/docsx"));
    }
}
