//! The HTTP API for services, over the real router, on SQLite and
//! PostgreSQL: every endpoint × (no key, malformed, unknown, disabled,
//! expired, owner inactive, Public API off, missing API set, another
//! organization's key, valid) → the documented status; a disabled key is
//! refused on the very next request; answers never hold a secret.
mod common;

use app::backend::entities::{api_key, api_key_secret};
use axum::body::Body;
use axum::http::Request;
use common::{
    Client, TestApp, TestResponse, app, app_with_clock, as_admin, create_bot, org, role_id,
    signed_in,
};
use sea_orm::EntityTrait;

async fn new_key(client: &mut Client<'_>, name: &str, sets: &[&str]) -> (String, String) {
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

/// The id of a built-in API set, by slug.
async fn set_id(client: &mut Client<'_>, slug: &str) -> String {
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

async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    key: Option<&str>,
    extra: &[(&str, &str)],
    body: Option<String>,
) -> TestResponse {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(key) = key {
        builder = builder.header("authorization", format!("Bearer {key}"));
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
            [192, 0, 2, 77],
            50000,
        ))));
    app.send(request).await
}

async fn auth(app: &TestApp, key: Option<&str>, require: Option<&str>) -> TestResponse {
    let extra: Vec<(&str, &str)> = require
        .map(|r| vec![("x-keyhouse-require", r)])
        .unwrap_or_default();
    call(app, "GET", "/api/v1/auth", key, &extra, None).await
}

async fn me(app: &TestApp, key: Option<&str>) -> TestResponse {
    call(app, "GET", "/api/v1/me", key, &[], None).await
}

async fn verify(app: &TestApp, key: &str, api_set: Option<&str>) -> serde_json::Value {
    let body = serde_json::json!({ "key": key, "api_set": api_set }).to_string();
    let r = call(app, "POST", "/api/v1/keys/verify", None, &[], Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    serde_json::from_str(&r.body).expect("json")
}

fn error_code(r: &TestResponse) -> String {
    let json: serde_json::Value = serde_json::from_str(&r.body).expect("json error");
    json["error"]["code"].as_str().expect("code").to_owned()
}

/// Checks one situation on all three endpoints.
async fn expect_refused(app: &TestApp, key: &str, status: u16, code: &str) {
    let a = auth(app, Some(key), None).await;
    assert_eq!(a.status, status, "auth {code}: {}", a.body);
    assert_eq!(error_code(&a), code);
    let m = me(app, Some(key)).await;
    assert_eq!(m.status, status, "me {code}: {}", m.body);
    assert_eq!(error_code(&m), code);
    let v = verify(app, key, None).await;
    assert_eq!(v["valid"], false, "verify {code}: {v}");
    let reason = match code {
        "malformed_key" => "malformed",
        "unknown_key" => "unknown",
        other => other,
    };
    assert_eq!(v["reason"], reason, "{v}");
    for body in [&a.body, &m.body, &v.to_string()] {
        assert!(!body.contains(&key[3.min(key.len())..]) || key.len() < 10);
    }
}

#[tokio::test]
async fn every_endpoint_in_every_situation() {
    let (app, clock) = app_with_clock().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let other = org(&app, "admin@other.example", "Other").await;
    create_bot(&app, &acme, "dev", role_id(&acme, "Developer")).await;
    let mut dev = signed_in(&app, "dev").await;
    let keys_read = set_id(&mut dev, "keys:read").await;
    let (id, key) = new_key(&mut dev, "Service", &[&keys_read]).await;

    // Valid: 204 with the X-Keyhouse headers; /me; verify.
    let ok = auth(&app, Some(&key), Some("keys:read")).await;
    assert_eq!(ok.status, 204, "{}", ok.body);
    assert_eq!(ok.header("x-keyhouse-user"), Some("dev"));
    assert_eq!(
        ok.header("x-keyhouse-org"),
        Some(acme.id.to_string().as_str())
    );
    assert_eq!(ok.header("x-keyhouse-key"), Some(id.as_str()));
    assert_eq!(ok.header("x-keyhouse-api-sets"), Some("keys:read"));
    let who = me(&app, Some(&key)).await;
    assert_eq!(who.status, 200, "{}", who.body);
    let who: serde_json::Value = serde_json::from_str(&who.body).expect("json");
    assert_eq!(who["name"], "Service");
    assert_eq!(who["owner"]["username"], "dev");
    assert_eq!(who["organization"]["name"], "Acme");
    assert_eq!(who["api_sets"], serde_json::json!(["keys:read"]));
    assert!(!who.to_string().contains(&key[7..]));
    let v = verify(&app, &key, Some("keys:read")).await;
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["key_id"].to_string(), id);

    // Missing API set: 403 on forward-auth, a reason on verify.
    let r = auth(&app, Some(&key), Some("billing")).await;
    assert_eq!(r.status, 403);
    assert_eq!(error_code(&r), "missing_api_set");
    assert_eq!(
        verify(&app, &key, Some("billing")).await["reason"],
        "missing_api_set"
    );

    // No key, and a key in the query string.
    let r = auth(&app, None, None).await;
    assert_eq!(r.status, 401);
    assert_eq!(error_code(&r), "missing_key");
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    let r = call(
        &app,
        "GET",
        &format!("/api/v1/auth?api_key={key}"),
        None,
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(error_code(&r), "key_in_query");
    let r = call(
        &app,
        "GET",
        &format!("/api/v1/me?x={key}"),
        Some(&key),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, 400);

    // Malformed (refused before any lookup) and unknown.
    expect_refused(&app, "kh_not-a-key", 401, "malformed_key").await;
    let mut typo = key.clone().into_bytes();
    typo[10] = if typo[10] == b'a' { b'b' } else { b'a' };
    expect_refused(
        &app,
        &String::from_utf8(typo).expect("ascii"),
        401,
        "malformed_key",
    )
    .await;
    let unknown = app::backend::keys::format::generate().expect("random");
    expect_refused(&app, unknown.expose(), 401, "unknown_key").await;

    // Disabled: refused on the very next request (the cache is cleared).
    dev.call("keys/set-enabled", &[("id", &id), ("enabled", "false")])
        .await;
    expect_refused(&app, &key, 401, "disabled").await;
    dev.call("keys/set-enabled", &[("id", &id), ("enabled", "true")])
        .await;
    assert_eq!(auth(&app, Some(&key), None).await.status, 204);

    // Public API off.
    let mut admin = as_admin(&app, &acme);
    admin
        .call("integrations/set-public-api", &[("enabled", "false")])
        .await;
    expect_refused(&app, &key, 401, "public_api_off").await;
    admin
        .call("integrations/set-public-api", &[("enabled", "true")])
        .await;

    // Owner inactive.
    admin
        .call(
            "users/set-status",
            &[("username", "dev"), ("active", "false")],
        )
        .await;
    expect_refused(&app, &key, 401, "owner_inactive").await;
    admin
        .call(
            "users/set-status",
            &[("username", "dev"), ("active", "true")],
        )
        .await;
    assert_eq!(auth(&app, Some(&key), None).await.status, 204);

    // Another organization's key works for that organization only.
    let mut theirs = as_admin(&app, &other);
    let (_, their_key) = new_key(&mut theirs, "Theirs", &[]).await;
    let r = auth(&app, Some(&their_key), None).await;
    assert_eq!(r.status, 204);
    assert_eq!(
        r.header("x-keyhouse-org"),
        Some(other.id.to_string().as_str())
    );
    let r = auth(&app, Some(&their_key), Some("keys:read")).await;
    assert_eq!(r.status, 403);

    // Expired: 30 days later (past the cache's lifetime as well).
    clock.advance(chrono::Duration::days(31));
    app.server.state.key_cache.clear();
    expect_refused(&app, &key, 401, "expired").await;
}

#[tokio::test]
async fn use_is_recorded_off_the_request_path() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let (id, key) = new_key(&mut admin, "Used", &[]).await;
    assert_eq!(auth(&app, Some(&key), None).await.status, 204);
    let before = api_key::Entity::find_by_id(id.parse::<i64>().expect("id"))
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("key");
    assert!(
        before.last_used_at.is_none(),
        "nothing written on the request"
    );
    let written = app
        .server
        .state
        .usage
        .flush(&app.server.state.db)
        .await
        .expect("flush");
    assert_eq!(written, 1);
    let after = api_key::Entity::find_by_id(before.id)
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("key");
    assert!(after.last_used_at.is_some());
    assert_eq!(after.last_used_ip.as_deref(), Some("192.0.2.77"));
    let secret = api_key_secret::Entity::find()
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("secret");
    assert_eq!(secret.last_used_ip.as_deref(), Some("192.0.2.77"));
    let list = admin.call("keys/list", &[]).await;
    assert!(list.body.contains("192.0.2.77"), "{}", list.body);
}

#[tokio::test]
async fn verify_is_rate_limited_per_client_ip() {
    let app = app().await;
    let mut limited = None;
    for i in 0..700 {
        let body = serde_json::json!({ "key": "kh_x" }).to_string();
        let r = call(&app, "POST", "/api/v1/keys/verify", None, &[], Some(body)).await;
        if r.status == 429 {
            limited = Some((i, r));
            break;
        }
    }
    let (i, r) = limited.expect("limited");
    assert_eq!(i, 600);
    assert!(r.header("retry-after").is_some());
    assert_eq!(error_code(&r), "too_many_requests");
    let bad = call(
        &app,
        "POST",
        "/api/v1/keys/verify",
        None,
        &[],
        Some("{".into()),
    )
    .await;
    assert_eq!(bad.status, 429, "still limited");
}

#[tokio::test]
async fn a_bad_verify_body_is_a_json_error() {
    let app = app().await;
    let r = call(
        &app,
        "POST",
        "/api/v1/keys/verify",
        None,
        &[],
        Some("{".into()),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(error_code(&r), "bad_request");
}
