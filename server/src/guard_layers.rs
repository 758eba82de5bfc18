//! Middleware in front of every route: who the client is (for audit and
//! throttling) and refusal of cross-site state-changing requests (CSRF).
use std::net::SocketAddr;

use app::backend::request_meta::{RequestMeta, client_ip, user_agent};
use app::backend::state::AppState;
use axum::{
    extract::{ConnectInfo, Request, State},
    http::{Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// Puts a [`RequestMeta`] in the request's extensions.
pub async fn request_meta(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let meta = RequestMeta {
        client_ip: client_ip(peer, request.headers(), &state.settings.trusted_proxies),
        user_agent: user_agent(request.headers()),
    };
    request.extensions_mut().insert(meta);
    next.run(request).await
}

/// A state-changing request is refused with 403 when the browser says it
/// comes from another site (`Sec-Fetch-Site: cross-site` / `same-site`), or
/// its `Origin` names another host than the one it was sent to. Requests
/// without either header (curl, other services) are not browser CSRF.
pub async fn same_origin_only(request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || is_same_origin(&request) {
        return next.run(request).await;
    }
    tracing::warn!(path = %request.uri().path(), "cross-site request refused");
    (StatusCode::FORBIDDEN, "cross-site request refused").into_response()
}

fn is_same_origin(request: &Request) -> bool {
    let headers = request.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or("");
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn post(headers: &[(&str, &str)]) -> Request {
        let mut builder = axum::http::Request::post("/rpc/x").header("host", "keys.example:3000");
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(Body::empty()).expect("request")
    }

    #[test]
    fn same_origin_passes_cross_site_does_not() {
        assert!(is_same_origin(&post(&[])));
        assert!(is_same_origin(&post(&[(
            "origin",
            "http://keys.example:3000"
        )])));
        assert!(is_same_origin(&post(&[("sec-fetch-site", "same-origin")])));
        assert!(!is_same_origin(&post(&[(
            "origin",
            "https://evil.example"
        )])));
        assert!(!is_same_origin(&post(&[(
            "origin",
            "http://keys.example:3000.evil"
        )])));
        assert!(!is_same_origin(&post(&[("sec-fetch-site", "cross-site")])));
        assert!(!is_same_origin(&post(&[("origin", "null")])));
    }
}
