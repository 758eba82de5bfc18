//! Calling the HTTP API (`/api/v1`) in tests.
use axum::body::Body;
use axum::http::Request;

use super::{Client, TestApp, TestResponse};

/// Generates a key through the Create API key server function (expires in
/// 30 days); returns its id and the key.
pub async fn new_key(client: &mut Client<'_>, name: &str, sets: &[&str]) -> (String, String) {
    let mut form = vec![("name", name), ("expires", "30")];
    form.extend(sets.iter().map(|s| ("api_sets[]", *s)));
    let r = client.call("keys/create", &form).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let json: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    (
        json["id"].as_i64().expect("id").to_string(),
        json["key"].as_str().expect("key").to_owned(),
    )
}

/// The id of an API set of the client's organization, by slug.
pub async fn set_id(client: &mut Client<'_>, slug: &str) -> String {
    let r = client.call("integrations/api-sets", &[]).await;
    let sets: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    sets.as_array()
        .expect("sets")
        .iter()
        .find(|s| s["slug"] == slug)
        .expect("set")["id"]
        .as_i64()
        .expect("id")
        .to_string()
}

/// The ids of all five built-in API sets.
pub async fn all_sets(client: &mut Client<'_>) -> Vec<String> {
    let mut ids = Vec::new();
    for slug in [
        "keys:read",
        "keys:write",
        "users:read",
        "users:write",
        "audit:read",
    ] {
        ids.push(set_id(client, slug).await);
    }
    ids
}

/// A request from 192.0.2.`ip`, with `Authorization: Bearer <key>`.
pub async fn call_from(
    app: &TestApp,
    ip: u8,
    method: &str,
    path: &str,
    authorization: Option<&str>,
    extra: &[(&str, &str)],
    body: Option<String>,
) -> TestResponse {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(value) = authorization {
        builder = builder.header("authorization", value);
    }
    for (k, v) in extra {
        builder = builder.header(*k, *v);
    }
    if body.is_some() {
        builder = builder.header("content-type", "application/json");
    }
    let mut request = builder
        .body(Body::from(body.unwrap_or_default()))
        .expect("request");
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [192, 0, 2, ip],
            50000,
        ))));
    app.send(request).await
}

/// A request from 192.0.2.77 with the key (if any) as a Bearer token.
pub async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    key: Option<&str>,
    extra: &[(&str, &str)],
    body: Option<String>,
) -> TestResponse {
    let authorization = key.map(|k| format!("Bearer {k}"));
    call_from(app, 77, method, path, authorization.as_deref(), extra, body).await
}

pub fn error_code(r: &TestResponse) -> String {
    let json: serde_json::Value = serde_json::from_str(&r.body)
        .unwrap_or_else(|_| panic!("a JSON error, got {} {}", r.status, r.body));
    json["error"]["code"].as_str().expect("code").to_owned()
}

pub fn json(r: &TestResponse) -> serde_json::Value {
    serde_json::from_str(&r.body).unwrap_or_else(|_| panic!("JSON, got {} {}", r.status, r.body))
}
