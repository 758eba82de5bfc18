//! Helpers every server function uses on the server.
use axum::http::{HeaderValue, StatusCode, header, request::Parts};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

use crate::backend::request_meta::RequestMeta;
use crate::model::error::AppError;

/// The request's client IP and user agent, set by the server's middleware.
pub async fn request_meta() -> RequestMeta {
    leptos_axum::extract::<axum::Extension<RequestMeta>>()
        .await
        .map(|axum::Extension(meta)| meta)
        .unwrap_or_default()
}

/// Gives a failed call its HTTP status (and `Retry-After` for 429). A plain
/// HTML form post keeps Leptos' redirect back to the form, which carries the
/// error in its URL, so the status is left alone there.
///
/// During server-side rendering a resource calls the server function
/// in-process with the page's own request: a visitor's page must not turn
/// into a 401 because the user menu asked who is signed in. Only requests
/// to the server-function endpoints themselves get the status.
pub fn fail(err: AppError) -> AppError {
    let server_fn_call = use_context::<Parts>().is_some_and(|p| p.uri.path().starts_with("/api/"));
    if !server_fn_call {
        return err;
    }
    let form_post = is_form_post();
    if let Some(response) = use_context::<ResponseOptions>() {
        if let AppError::TooManyRequests(seconds) = &err
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.insert_header(header::RETRY_AFTER, value);
        }
        if !form_post && let Ok(status) = StatusCode::from_u16(err.status()) {
            response.set_status(status);
        }
    }
    err
}

/// This instance's address as the browser reached it (`Host`, and
/// `X-Forwarded-Proto: https` from a proxy), for the configurations the
/// Public API page hands out; `http://127.0.0.1:3000` when the request's
/// host is missing or not a plain host name and port.
pub fn instance_url() -> String {
    let Some(parts) = use_context::<Parts>() else {
        return "http://127.0.0.1:3000".to_owned();
    };
    let header = |name: header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .unwrap_or_default()
            .to_owned()
    };
    let host = header(header::HOST);
    let scheme = if header(header::HeaderName::from_static("x-forwarded-proto"))
        .eq_ignore_ascii_case("https")
    {
        "https"
    } else {
        "http"
    };
    let url = format!("{scheme}://{host}");
    if crate::proxy_config::url_ok(&url) && !host.contains('/') {
        url
    } else {
        "http://127.0.0.1:3000".to_owned()
    }
}

/// Marks the response as not to be stored by any cache: it carries a secret
/// shown once.
pub fn no_store() {
    if let Some(response) = use_context::<ResponseOptions>() {
        response.insert_header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// Whether this call is a plain HTML form post (no JavaScript): the browser
/// then wants a page, and Leptos answers with a redirect.
pub fn is_form_post() -> bool {
    use_context::<Parts>()
        .and_then(|parts| {
            parts
                .headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(|accept| accept.contains("text/html"))
        })
        .unwrap_or(false)
}
