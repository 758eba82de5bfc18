//! The HTTP API for services, over the real router, on SQLite and
//! PostgreSQL: every endpoint × (no key, malformed, unknown, disabled,
//! expired, owner inactive, Public API off, missing API set, valid) → the
//! documented status; a disabled key is refused on the very next request;
//! answers never hold a secret. (Another organization's key: `trust.rs`.)
mod common;

use app::backend::entities::{api_key, api_key_secret};
use common::api::{call, call_from, error_code, new_key, set_id};
use common::{
    TestApp, TestResponse, app, app_with_clock, as_admin, create_bot, org, role_id, signed_in,
};
use sea_orm::EntityTrait;

/// Forward-auth for Acme (slug `acme`).
async fn auth(app: &TestApp, key: Option<&str>, require: Option<&str>) -> TestResponse {
    let extra: Vec<(&str, &str)> = require
        .map(|r| vec![("x-keyhouse-require", r)])
        .unwrap_or_default();
    call(app, "GET", "/api/v1/orgs/acme/auth", key, &extra, None).await
}

async fn me(app: &TestApp, key: Option<&str>) -> TestResponse {
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

async fn verify(
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
async fn verifier(client: &mut common::Client<'_>) -> String {
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
    common::api::json(&r)["key"]
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
async fn a_key_over_its_own_rate_limit_gets_429() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let other = org(&app, "admin@other.example", "Other").await;
    let mut admin = as_admin(&app, &acme);
    let (id, key) = new_key(&mut admin, "Limited", &[]).await;
    let limit_of = |details: &TestResponse| {
        serde_json::from_str::<serde_json::Value>(&details.body).expect("json")["rate_limit_per_minute"]
            .clone()
    };
    // Bad input: a clear 422 and nothing changes; another organization's
    // Admin does not find the key.
    for bad in ["0", "-5", "abc", "1.5", "1000001"] {
        let r = admin
            .call("keys/set-rate-limit", &[("id", &id), ("per_minute", bad)])
            .await;
        assert_eq!(r.status, 422, "{bad}: {}", r.body);
    }
    let r = as_admin(&app, &other)
        .call("keys/set-rate-limit", &[("id", &id), ("per_minute", "1")])
        .await;
    assert_eq!(r.status, 404);
    let details = admin.call("keys/details", &[("id", &id)]).await;
    assert!(limit_of(&details).is_null());

    let r = admin
        .call("keys/set-rate-limit", &[("id", &id), ("per_minute", "3")])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let details = admin.call("keys/details", &[("id", &id)]).await;
    assert_eq!(limit_of(&details), 3);
    for _ in 0..3 {
        assert_eq!(auth(&app, Some(&key), None).await.status, 204);
    }
    let r = auth(&app, Some(&key), None).await;
    assert_eq!(r.status, 429, "{}", r.body);
    assert_eq!(error_code(&r), "too_many_requests");
    let wait: u64 = r
        .header("retry-after")
        .expect("retry-after")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&wait));
    assert_eq!(me(&app, Some(&key)).await.status, 429);
    // Removing the limit puts the key back to work at once.
    admin
        .call("keys/set-rate-limit", &[("id", &id), ("per_minute", "")])
        .await;
    assert_eq!(auth(&app, Some(&key), None).await.status, 204);
    let audit = admin
        .call(
            "audit/list",
            &[
                ("filter[actor]", ""),
                ("filter[action]", "key.rate_limit_changed"),
                ("filter[from]", ""),
                ("filter[to]", ""),
                ("filter[page]", "1"),
            ],
        )
        .await;
    assert!(
        audit.body.contains("key.rate_limit_changed"),
        "{}",
        audit.body
    );
}

#[tokio::test]
async fn usage_per_day_and_addresses_reach_the_detail_page() {
    let (app, clock) = app_with_clock().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let (id, key) = new_key(&mut admin, "Counted", &[]).await;
    let (gone_id, gone) = new_key(&mut admin, "Deleted before the flush", &[]).await;
    let bearer = format!("Bearer {key}");
    for ip in [10, 10, 11] {
        let r = call_from(
            &app,
            ip,
            "GET",
            "/api/v1/orgs/acme/auth",
            Some(&bearer),
            &[],
            None,
        )
        .await;
        assert_eq!(r.status, 204);
        clock.advance(chrono::Duration::seconds(1));
    }
    assert_eq!(auth(&app, Some(&gone), None).await.status, 204);
    admin.call("keys/delete", &[("id", &gone_id)]).await;
    let state = &app.server.state;
    state.usage.flush(&state.db).await.expect("flush");
    clock.advance(chrono::Duration::days(1));
    state.key_cache.clear();
    let r = call_from(&app, 12, "GET", "/api/v1/me", Some(&bearer), &[], None).await;
    assert_eq!(r.status, 200);
    state.usage.flush(&state.db).await.expect("flush");

    // A day later the session has ended: sign in again.
    let mut admin = signed_in(&app, "admin@acme.example").await;
    let details = admin.call("keys/details", &[("id", &id)]).await;
    let details: serde_json::Value = serde_json::from_str(&details.body).expect("json");
    let usage = details["usage"]
        .as_array()
        .unwrap_or_else(|| panic!("{details}"));
    assert_eq!(usage.len(), 30);
    let counts: Vec<u64> = usage
        .iter()
        .map(|d| d["requests"].as_u64().expect("n"))
        .collect();
    assert_eq!(&counts[28..], &[3, 1], "{usage:?}");
    assert_eq!(counts.iter().sum::<u64>(), 4);
    let today = clock_today(&app);
    assert_eq!(usage[29]["day"], today);
    let ips: Vec<&str> = details["used_from"]
        .as_array()
        .expect("ips")
        .iter()
        .map(|a| a["ip"].as_str().expect("ip"))
        .collect();
    // Latest first.
    assert_eq!(ips, ["192.0.2.12", "192.0.2.11", "192.0.2.10"]);
    assert_eq!(details["used_from"][2]["requests"], 2);
    // The page shows the chart and the addresses.
    let page = admin
        .get(&format!("/settings/integrations/public-api/keys/{id}"))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("data-testid=\"usage-chart\""), "chart");
    assert!(page.body.contains("192.0.2.10"));
}

fn clock_today(app: &TestApp) -> String {
    app.server
        .state
        .clock
        .now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string()
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

#[tokio::test]
async fn verify_says_rate_limited_for_a_key_over_its_own_limit() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let (id, key) = new_key(&mut admin, "Limited", &[]).await;
    let checker = verifier(&mut admin).await;
    admin
        .call("keys/set-rate-limit", &[("id", &id), ("per_minute", "1")])
        .await;
    assert_eq!(verify(&app, &checker, &key, None).await["valid"], true);
    let v = verify(&app, &checker, &key, None).await;
    assert_eq!(v["valid"], false, "{v}");
    assert_eq!(v["reason"], "rate_limited");
}
