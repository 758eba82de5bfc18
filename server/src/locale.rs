//! `POST /locale`: the language switch for browsers without JavaScript (or
//! before the WASM has loaded). Sets the same cookie the hydrated app writes
//! and sends the reader back to the page they were on.
use app::i18n::{LOCALE_COOKIE, Locale};
use axum::{
    Form,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use leptos_i18n::Locale as _;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct LocaleForm {
    locale: String,
    #[serde(default)]
    next: String,
}

/// Only same-site paths: `/x` but never `//evil.example` or `/\evil`.
fn safe_next(next: &str) -> &str {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(char::is_control);
    if ok { next } else { "/" }
}

pub async fn set_locale(Form(form): Form<LocaleForm>) -> Response {
    let Ok(locale) = form.locale.parse::<Locale>() else {
        return (StatusCode::BAD_REQUEST, "unknown language").into_response();
    };
    let cookie = format!(
        "{LOCALE_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        locale.as_str()
    );
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let (Ok(cookie), Ok(location)) = (
        HeaderValue::from_str(&cookie),
        HeaderValue::from_str(safe_next(&form.next)),
    ) {
        headers.insert(header::SET_COOKIE, cookie);
        headers.insert(header::LOCATION, location);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next("/settings?x=1"), "/settings?x=1");
        assert_eq!(safe_next("//evil.example/"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next(""), "/");
        assert_eq!(safe_next("/a\r\nSet-Cookie: x=1"), "/");
    }
}
