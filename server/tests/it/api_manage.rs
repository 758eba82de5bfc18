//! The HTTP API's management endpoints (user tokens: api_user_tokens.rs), over the real
//! router, on SQLite and PostgreSQL: every endpoint × (no key, malformed,
//! unknown, disabled, expired, owner inactive, Public API off, missing API
//! set, another organization's key) is refused with the documented status
//! and changes nothing. With a valid key: api_manage_effects.rs.

use crate::common::api::{all_sets, call_from, error_code, json, new_key};
use crate::common::{
    GOOD_PASSWORD, TestApp, TestResponse, app_with_clock, as_admin, create_bot, org, role_id,
    signed_in,
};
use app::backend::entities::{api_key, membership, user_token};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

/// Every management endpoint (and the user-token one) with the API set it
/// needs; `{key}` and `{user}` name an Acme key and an Acme member.
const ENDPOINTS: &[(&str, &str, Option<&str>)] = &[
    ("GET", "/api/v1/keys", Some("keys:read")),
    ("GET", "/api/v1/keys/{key}", Some("keys:read")),
    ("POST", "/api/v1/keys/{key}/disable", Some("keys:write")),
    ("POST", "/api/v1/keys/{key}/enable", Some("keys:write")),
    ("DELETE", "/api/v1/keys/{key}", Some("keys:write")),
    ("GET", "/api/v1/users", Some("users:read")),
    ("GET", "/api/v1/users/{user}", Some("users:read")),
    (
        "POST",
        "/api/v1/users/{user}/deactivate",
        Some("users:write"),
    ),
    ("POST", "/api/v1/users/{user}/activate", Some("users:write")),
    ("GET", "/api/v1/audit-events", Some("audit:read")),
    ("POST", "/api/v1/auth/user", None),
];

fn path(template: &str, key: &str, user: &str) -> String {
    template.replace("{key}", key).replace("{user}", user)
}

async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    authorization: Option<&str>,
) -> TestResponse {
    let body = (method == "POST" && path.ends_with("/auth/user"))
        .then(|| serde_json::json!({ "login": "dev", "password": GOOD_PASSWORD }).to_string());
    call_from(app, 90, method, path, authorization, &[], body).await
}

/// What must not change when a call is refused: Acme's keys and members.
async fn acme_state(app: &TestApp, org_id: i64) -> String {
    let db = &app.server.state.db;
    let keys = api_key::Entity::find()
        .filter(api_key::Column::OrganizationId.eq(org_id))
        .all(db)
        .await
        .expect("keys");
    let members = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(org_id))
        .all(db)
        .await
        .expect("members");
    let tokens = user_token::Entity::find().count(db).await.expect("tokens");
    format!(
        "{:?}\n{:?}\ntokens {tokens}",
        keys.iter()
            .map(|k| (k.id, k.enabled, k.rate_limit_per_minute))
            .collect::<Vec<_>>(),
        members
            .iter()
            .map(|m| (m.user_id, m.status, m.role_id))
            .collect::<Vec<_>>()
    )
}

/// Every endpoint refused with `status` and `code` for this credential.
async fn all_refused(
    app: &TestApp,
    authorization: Option<&str>,
    target: (&str, &str),
    status: u16,
    code: &str,
    only_with_sets: bool,
) {
    for (method, template, set) in ENDPOINTS {
        if only_with_sets && set.is_none() {
            continue;
        }
        let p = path(template, target.0, target.1);
        let r = send(app, method, &p, authorization).await;
        assert_eq!(r.status, status, "{method} {p} ({code}): {}", r.body);
        assert_eq!(error_code(&r), code, "{method} {p}");
        if let Some(value) = authorization {
            let secret = value.trim_start_matches("Bearer ");
            if secret.len() == 41 {
                assert!(
                    !r.body.contains(&secret[3..]),
                    "{method} {p} echoes the key"
                );
            }
        }
    }
}

#[tokio::test]
async fn every_management_endpoint_refuses_every_bad_situation() {
    let (app, clock) = app_with_clock().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let other = org(&app, "admin@other.example", "Other").await;
    create_bot(&app, &acme, "dev", role_id(&acme, "Developer")).await;
    create_bot(&app, &acme, "ops", role_id(&acme, "Admin")).await;
    let mut admin = as_admin(&app, &acme);
    let sets = all_sets(&mut admin).await;
    let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
    let (target, _) = new_key(&mut admin, "Target", &[]).await;
    let (_, valid) = new_key(&mut admin, "Valid", &sets).await;
    let (_, no_sets) = new_key(&mut admin, "No sets", &[]).await;
    let (disabled_id, disabled) = new_key(&mut admin, "Disabled", &sets).await;
    admin
        .call(
            "keys/set-enabled",
            &[("id", &disabled_id), ("enabled", "false")],
        )
        .await;
    let mut ops = signed_in(&app, "ops").await;
    let ops_sets = all_sets(&mut ops).await;
    let ops_sets: Vec<&str> = ops_sets.iter().map(String::as_str).collect();
    let (_, of_inactive) = new_key(&mut ops, "Ops", &ops_sets).await;
    admin
        .call(
            "users/set-status",
            &[("username", "ops"), ("active", "false")],
        )
        .await;
    let mut theirs = as_admin(&app, &other);
    let their_sets = all_sets(&mut theirs).await;
    let their_sets: Vec<&str> = their_sets.iter().map(String::as_str).collect();
    let (_, their_key) = new_key(&mut theirs, "Theirs", &their_sets).await;

    let before = acme_state(&app, acme.id).await;
    let t = (target.as_str(), "dev");
    let bearer = |k: &str| format!("Bearer {k}");
    all_refused(&app, None, t, 401, "missing_key", false).await;
    all_refused(
        &app,
        Some("Bearer kh_not-a-key"),
        t,
        401,
        "malformed_key",
        false,
    )
    .await;
    let unknown = app::backend::keys::format::generate().expect("random");
    all_refused(
        &app,
        Some(&bearer(unknown.expose())),
        t,
        401,
        "unknown_key",
        false,
    )
    .await;
    all_refused(&app, Some(&bearer(&disabled)), t, 401, "disabled", false).await;
    all_refused(
        &app,
        Some(&bearer(&of_inactive)),
        t,
        401,
        "owner_inactive",
        false,
    )
    .await;
    all_refused(
        &app,
        Some(&bearer(&no_sets)),
        t,
        403,
        "missing_api_set",
        true,
    )
    .await;
    admin
        .call("integrations/set-public-api", &[("enabled", "false")])
        .await;
    all_refused(&app, Some(&bearer(&valid)), t, 401, "public_api_off", false).await;
    admin
        .call("integrations/set-public-api", &[("enabled", "true")])
        .await;
    // Another organization's key: Acme's key and member are not found.
    for (method, template, _) in &ENDPOINTS[..ENDPOINTS.len() - 1] {
        if !template.contains('{') {
            continue;
        }
        let p = path(template, &target, "dev");
        let r = send(&app, method, &p, Some(&bearer(&their_key))).await;
        assert_eq!(r.status, 404, "{method} {p}: {}", r.body);
        assert_eq!(error_code(&r), "not_found");
    }
    let r = send(
        &app,
        "GET",
        "/api/v1/keys?scope=all&limit=100",
        Some(&bearer(&their_key)),
    )
    .await;
    assert_eq!(r.status, 200);
    let owners: Vec<String> = json(&r)["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|k| k["owner"].as_str().expect("owner").to_owned())
        .collect();
    assert_eq!(owners, vec!["admin@other.example"], "none of Acme's keys");
    let r = send(&app, "GET", "/api/v1/users", Some(&bearer(&their_key))).await;
    assert_eq!(r.status, 200);
    let names: Vec<String> = json(&r)["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|u| u["username"].as_str().expect("username").to_owned())
        .collect();
    assert_eq!(names, vec!["admin@other.example"]);
    let r = send(
        &app,
        "GET",
        "/api/v1/audit-events?limit=100",
        Some(&bearer(&their_key)),
    )
    .await;
    assert!(!r.body.contains("acme"), "{}", r.body);
    // Their key signing in an Acme user: not a member of Other.
    let r = send(&app, "POST", "/api/v1/auth/user", Some(&bearer(&their_key))).await;
    assert_eq!(r.status, 401);
    assert_eq!(error_code(&r), "sign_in_failed");
    // Expired: every key is, 31 days on (they were made for 30).
    clock.advance(chrono::Duration::days(31));
    app.server.state.key_cache.clear();
    all_refused(&app, Some(&bearer(&valid)), t, 401, "expired", false).await;

    assert_eq!(acme_state(&app, acme.id).await, before, "nothing changed");
}
