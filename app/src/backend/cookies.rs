//! Reading cookies from a request's `Cookie` headers.
use axum::http::{HeaderMap, header};

/// The non-empty values of every cookie named `name`, in the order sent. A
/// cookie planted under the same name (by a sibling host, say) must not
/// hide the real one: callers try each.
pub fn values<'a>(headers: &'a HeaderMap, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(move |pair| {
            let (n, value) = pair.trim().split_once('=')?;
            (n == name).then_some(value.trim())
        })
        .filter(|value| !value.is_empty())
}
