//! The HTTP API for services, over the real router, on SQLite and
//! PostgreSQL: every endpoint × (no key, malformed, unknown, disabled,
//! expired, owner inactive, Public API off, missing API set, valid) → the
//! documented status; a disabled key is refused on the very next request;
//! answers never hold a secret; the OpenAPI document is served. (Rate limits
//! and usage: `api_usage.rs`; another organization's key: `trust.rs`.)

use crate::common::api::{call, error_code, new_key, set_id};
use crate::common::{
    TestApp, TestResponse, app, app_with_clock, as_admin, create_bot, org, role_id, signed_in,
};

/// Forward-auth for Acme (slug `acme`).
pub(crate) async fn auth(app: &TestApp, key: Option<&str>, require: Option<&str>) -> TestResponse {
    let extra: Vec<(&str, &str)> = require
        .map(|r| vec![("x-keyhouse-require", r)])
        .unwrap_or_default();
    call(app, "GET", "/api/v1/orgs/acme/auth", key, &extra, None).await
}

pub(crate) async fn me(app: &TestApp, key: Option<&str>) -> TestResponse {
    call(app, "GET", "/api/v1/me", key, &[], None).await
}

/// `POST /api/v1/keys/verify` by a service holding `verifier` (a key with
/// the keys:verify API set).
async fn verify_call(
    app: &TestApp,
    verifier: &str,
    key: &str,
    api_set: Option<&str>,
) -> TestResponse {
    let body = serde_json::json!({ "key": key, "api_set": api_set }).to_string();
    call(
        app,
        "POST",
        "/api/v1/keys/verify",
        Some(verifier),
        &[],
        Some(body),
    )
    .await
}

pub(crate) async fn verify(
    app: &TestApp,
    verifier: &str,
    key: &str,
    api_set: Option<&str>,
) -> serde_json::Value {
    let r = verify_call(app, verifier, key, api_set).await;
    assert_eq!(r.status, 200, "{}", r.body);
    serde_json::from_str(&r.body).expect("json")
}

/// A key of `client`'s organization that may verify keys (never expires).
pub(crate) async fn verifier(client: &mut crate::common::Client<'_>) -> String {
    let set = set_id(client, "keys:verify").await;
    let r = client
        .call(
            "keys/create",
            &[
                ("name", "Verifier"),
                ("expires", "never"),
                ("api_sets[]", &set),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    crate::common::api::json(&r)["key"]
        .as_str()
        .expect("key")
        .to_owned()
}

/// Checks one situation on all three endpoints.
async fn expect_refused(app: &TestApp, verifier: &str, key: &str, status: u16, code: &str) {
    let a = auth(app, Some(key), None).await;
    assert_eq!(a.status, status, "auth {code}: {}", a.body);
    assert_eq!(error_code(&a), code);
    let m = me(app, Some(key)).await;
    assert_eq!(m.status, status, "me {code}: {}", m.body);
    assert_eq!(error_code(&m), code);
    if code == "public_api_off" {
        // The verifying service's own key stops working too.
        let r = verify_call(app, verifier, key, None).await;
        assert_eq!(r.status, 401, "{}", r.body);
        assert_eq!(error_code(&r), "public_api_off");
        return;
    }
    let v = verify(app, verifier, key, None).await;
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
    let checker = verifier(&mut as_admin(&app, &acme)).await;

    // Valid: 204 with the X-Keyhouse headers; /me; verify.
    let ok = auth(&app, Some(&key), Some("keys:read")).await;
    assert_eq!(ok.status, 204, "{}", ok.body);
    assert_eq!(ok.header("x-keyhouse-user"), Some("dev"));
    assert_eq!(ok.header("x-keyhouse-org"), Some("acme"));
    assert_eq!(
        ok.header("x-keyhouse-org-id"),
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
    let v = verify(&app, &checker, &key, Some("keys:read")).await;
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["key_id"].to_string(), id);

    // Missing API set: 403 on forward-auth, a reason on verify.
    let r = auth(&app, Some(&key), Some("billing")).await;
    assert_eq!(r.status, 403);
    assert_eq!(error_code(&r), "missing_api_set");
    assert_eq!(
        verify(&app, &checker, &key, Some("billing")).await["reason"],
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
        &format!("/api/v1/orgs/acme/auth?api_key={key}"),
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
    expect_refused(&app, &checker, "kh_not-a-key", 401, "malformed_key").await;
    let mut typo = key.clone().into_bytes();
    typo[10] = if typo[10] == b'a' { b'b' } else { b'a' };
    expect_refused(
        &app,
        &checker,
        &String::from_utf8(typo).expect("ascii"),
        401,
        "malformed_key",
    )
    .await;
    let unknown = app::backend::keys::format::generate().expect("random");
    expect_refused(&app, &checker, unknown.expose(), 401, "unknown_key").await;

    // Disabled: refused on the very next request (the cache is cleared).
    dev.call("keys/set-enabled", &[("id", &id), ("enabled", "false")])
        .await;
    expect_refused(&app, &checker, &key, 401, "disabled").await;
    dev.call("keys/set-enabled", &[("id", &id), ("enabled", "true")])
        .await;
    assert_eq!(auth(&app, Some(&key), None).await.status, 204);

    // Public API off.
    let mut admin = as_admin(&app, &acme);
    admin
        .call("integrations/set-public-api", &[("enabled", "false")])
        .await;
    expect_refused(&app, &checker, &key, 401, "public_api_off").await;
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
    expect_refused(&app, &checker, &key, 401, "owner_inactive").await;
    admin
        .call(
            "users/set-status",
            &[("username", "dev"), ("active", "true")],
        )
        .await;
    assert_eq!(auth(&app, Some(&key), None).await.status, 204);

    // Another organization's key is an unknown key here.
    let mut theirs = as_admin(&app, &other);
    let (_, their_key) = new_key(&mut theirs, "Theirs", &[]).await;
    // (It is still theirs: /me answers for their own organization.)
    let r = auth(&app, Some(&their_key), None).await;
    assert_eq!((r.status, error_code(&r).as_str()), (401, "unknown_key"));
    let v = verify(&app, &checker, &their_key, None).await;
    assert_eq!(v["reason"], "unknown", "{v}");
    assert!(v["key_id"].is_null(), "{v}");
    assert_eq!(me(&app, Some(&their_key)).await.status, 200);

    // Expired: 30 days later (past the cache's lifetime as well).
    clock.advance(chrono::Duration::days(31));
    app.server.state.key_cache.clear();
    expect_refused(&app, &checker, &key, 401, "expired").await;
}

#[tokio::test]
async fn a_bad_verify_body_is_a_json_error() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let checker = verifier(&mut as_admin(&app, &acme)).await;
    let r = call(
        &app,
        "POST",
        "/api/v1/keys/verify",
        Some(&checker),
        &[],
        Some("{".into()),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(error_code(&r), "bad_request");
}

#[tokio::test]
async fn the_openapi_document_and_swagger_ui_are_served() {
    let app = app().await;
    let r = app.get("/api/v1/openapi.json").await;
    assert_eq!(r.status, 200);
    let doc: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    assert!(doc["openapi"].as_str().expect("version").starts_with("3.1"));
    for path in [
        "/api/v1/orgs/{org}/auth",
        "/api/v1/me",
        "/api/v1/keys/verify",
        "/api/v1/auth/user",
        "/api/v1/keys",
        "/api/v1/keys/{id}",
        "/api/v1/keys/{id}/disable",
        "/api/v1/keys/{id}/enable",
        "/api/v1/users",
        "/api/v1/users/{username}",
        "/api/v1/users/{username}/deactivate",
        "/api/v1/users/{username}/activate",
        "/api/v1/audit-events",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
    let ui = app.get("/docs/").await;
    assert_eq!(ui.status, 200);
    assert!(ui.body.to_lowercase().contains("swagger"), "{}", ui.body);
    // Served from the binary: no CDN.
    assert!(!ui.body.contains("unpkg.com") && !ui.body.contains("cdn."));
    let init = app.get("/docs/swagger-initializer.js").await;
    assert_eq!(init.status, 200);
    assert!(init.body.contains("/api/v1/openapi.json"));
}
