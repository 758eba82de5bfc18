//! The HTTP API's management endpoints (user tokens: api_user_tokens.rs), over the real
//! router, on SQLite and PostgreSQL: every endpoint × (no key, malformed,
//! unknown, disabled, expired, owner inactive, Public API off, missing API
//! set, another organization's key) is refused with the documented status
//! and changes nothing; with a valid key each does what it says, within
//! the key's API sets AND the acting user's authorities.
mod common;

use app::backend::entities::{api_key, audit_event, membership, user_token};
use common::api::{all_sets, call, call_from, error_code, json, new_key};
use common::{
    GOOD_PASSWORD, TestApp, TestResponse, app, app_with_clock, as_admin, create_bot, org, role_id,
    signed_in,
};
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
            .map(|m| (m.user_id, m.status.clone(), m.role_id))
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

#[tokio::test]
async fn keys_users_and_audit_do_what_they_say() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    create_bot(&app, &acme, "dev", role_id(&acme, "Developer")).await;
    let mut admin = as_admin(&app, &acme);
    let sets = all_sets(&mut admin).await;
    let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
    let (_, key) = new_key(&mut admin, "Manager", &sets).await;
    let mut dev = signed_in(&app, "dev").await;
    let dev_sets = all_sets(&mut dev).await;
    let dev_sets: Vec<&str> = dev_sets.iter().map(String::as_str).collect();
    let (dev_key_id, dev_key) = new_key(&mut dev, "Dev tool", &dev_sets).await;
    for i in 0..4 {
        new_key(&mut admin, &format!("Spare {i}"), &[]).await;
    }
    let get = |p: String| {
        let app = &app;
        let key = key.clone();
        async move { call(app, "GET", &p, Some(&key), &[], None).await }
    };

    // Keys: the admin's own five, two per page, by cursor.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let p = match &cursor {
            Some(c) => format!("/api/v1/keys?limit=2&cursor={c}"),
            None => "/api/v1/keys?limit=2".into(),
        };
        let page = json(&get(p).await);
        for k in page["data"].as_array().expect("data") {
            seen.push(k["id"].as_i64().expect("id"));
            assert_eq!(k["owner"], "admin@acme.example");
            assert!(k.get("key").is_none() && k.get("secret_hash").is_none());
        }
        cursor = next_cursor(&page);
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
    let mut sorted = seen.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted, "newest first, no repeats");
    // Everyone's keys: the admin may (Manage All API Keys); the developer
    // may not, even with keys:read.
    let all = json(&get("/api/v1/keys?scope=all&limit=100".into()).await);
    assert_eq!(all["data"].as_array().expect("data").len(), 6);
    let r = call(
        &app,
        "GET",
        "/api/v1/keys?scope=all",
        Some(&dev_key),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(error_code(&r), "forbidden");
    let r = call(&app, "GET", "/api/v1/keys", Some(&dev_key), &[], None).await;
    assert_eq!(json(&r)["data"].as_array().expect("data").len(), 1);
    // Bad paging input is a 400 and names the problem.
    for (p, code) in [
        ("/api/v1/keys?limit=0", "invalid_limit"),
        ("/api/v1/keys?limit=101", "invalid_limit"),
        ("/api/v1/keys?cursor=not-a-number", "bad_request"),
        ("/api/v1/users?status=gone", "bad_request"),
        ("/api/v1/users?kind=robot", "bad_request"),
        ("/api/v1/users?status=", "bad_request"),
        ("/api/v1/keys?scope=", "bad_request"),
        ("/api/v1/audit-events?to=", "bad_request"),
        ("/api/v1/keys?enabled=maybe", "bad_request"),
        ("/api/v1/keys?scope=everything", "bad_request"),
        ("/api/v1/keys/abc", "bad_request"),
        ("/api/v1/audit-events?from=yesterday", "bad_request"),
        ("/api/v1/audit-events?action=made.up", "bad_request"),
    ] {
        let r = get(p.into()).await;
        assert_eq!(r.status, 400, "{p}: {}", r.body);
        assert_eq!(error_code(&r), code, "{p}");
    }

    // Disable the developer's key (Manage All API Keys): refused at once.
    let r = call(
        &app,
        "POST",
        &format!("/api/v1/keys/{dev_key_id}/disable"),
        Some(&key),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r)["status"], "disabled");
    let r = call(&app, "GET", "/api/v1/me", Some(&dev_key), &[], None).await;
    assert_eq!(error_code(&r), "disabled");
    let disabled = json(&get("/api/v1/keys?scope=all&enabled=false".into()).await);
    assert_eq!(disabled["data"][0]["id"].to_string(), dev_key_id);
    let r = call(
        &app,
        "POST",
        &format!("/api/v1/keys/{dev_key_id}/enable"),
        Some(&key),
        &[],
        None,
    )
    .await;
    assert_eq!(json(&r)["status"], "active");
    assert_eq!(
        call(&app, "GET", "/api/v1/me", Some(&dev_key), &[], None)
            .await
            .status,
        200
    );

    // Users: list, one, deactivate (their key stops), activate.
    let users = json(&get("/api/v1/users?limit=1".into()).await);
    assert_eq!(users["data"][0]["username"], "admin@acme.example");
    let next = next_cursor(&users).expect("more");
    let rest = json(&get(format!("/api/v1/users?limit=1&cursor={next}")).await);
    assert_eq!(rest["data"][0]["username"], "dev");
    assert!(rest["next_cursor"].is_null());
    let one = json(&get("/api/v1/users/dev".into()).await);
    assert_eq!(one["role"], "Developer");
    let r = call(
        &app,
        "POST",
        "/api/v1/users/dev/deactivate",
        Some(&key),
        &[],
        None,
    )
    .await;
    assert_eq!(json(&r)["status"], "inactive");
    let r = call(&app, "GET", "/api/v1/me", Some(&dev_key), &[], None).await;
    assert_eq!(error_code(&r), "owner_inactive");
    let r = call(
        &app,
        "POST",
        "/api/v1/users/dev/activate",
        Some(&key),
        &[],
        None,
    )
    .await;
    assert_eq!(json(&r)["status"], "active");
    // The last Admin cannot be deactivated, and nothing changes.
    let r = call(
        &app,
        "POST",
        "/api/v1/users/admin@acme.example/deactivate",
        Some(&key),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(error_code(&r), "last_admin");
    let r = call(
        &app,
        "POST",
        "/api/v1/users/nobody/deactivate",
        Some(&key),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, 404);
    // A Developer's key cannot manage users, whatever its API sets.
    let r = call(&app, "GET", "/api/v1/users", Some(&dev_key), &[], None).await;
    assert_eq!(r.status, 403);
    assert_eq!(error_code(&r), "forbidden");
    let r = call(
        &app,
        "GET",
        "/api/v1/audit-events",
        Some(&dev_key),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, 403);

    // Delete: 204, then gone.
    let r = call(
        &app,
        "DELETE",
        &format!("/api/v1/keys/{dev_key_id}"),
        Some(&key),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(get(format!("/api/v1/keys/{dev_key_id}")).await.status, 404);
    assert_eq!(
        call(&app, "GET", "/api/v1/me", Some(&dev_key), &[], None)
            .await
            .status,
        401
    );

    // The audit log saw it all, newest first, by cursor; filtered by action.
    let deleted = json(&get("/api/v1/audit-events?action=key.deleted".into()).await);
    assert_eq!(deleted["data"][0]["actor"], "admin@acme.example");
    assert_eq!(deleted["data"][0]["target"], format!("key:{dev_key_id}"));
    let total = audit_event::Entity::find()
        .filter(audit_event::Column::OrganizationId.eq(acme.id))
        .count(&app.server.state.db)
        .await
        .expect("count");
    let (mut ids, mut cursor) = (Vec::new(), None::<String>);
    for _ in 0..100 {
        let p = match &cursor {
            Some(c) => format!("/api/v1/audit-events?limit=3&cursor={c}"),
            None => "/api/v1/audit-events?limit=3".into(),
        };
        let page = json(&get(p).await);
        ids.extend(
            page["data"]
                .as_array()
                .expect("data")
                .iter()
                .map(|e| e["id"].as_i64().expect("id")),
        );
        cursor = next_cursor(&page);
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(ids.len() as u64, total);
    assert!(ids.windows(2).all(|w| w[0] > w[1]));
    // No answer holds a secret.
    let everything = get("/api/v1/audit-events?limit=100".into()).await.body;
    assert!(!everything.contains(&key[3..]) && !everything.contains(&dev_key[3..]));

    // Unknown endpoints are JSON 404s, a wrong method a JSON 405.
    let r = get("/api/v1/nothing-here".into()).await;
    assert_eq!(r.status, 404);
    assert_eq!(error_code(&r), "not_found");
    let r = call(&app, "PUT", "/api/v1/keys", Some(&key), &[], None).await;
    assert_eq!(r.status, 405);
    assert_eq!(error_code(&r), "method_not_allowed");
    // A key in the URL is refused on every route, before anything else.
    for p in [
        format!("/api/v1/users?search={key}"),
        format!("/api/v1/keys?owner={}", key.replace('_', "%5F")),
        format!("/api/v1/nothing-here?{key}"),
        "/api/v1/audit-events?api_key=x".to_owned(),
    ] {
        let r = call(&app, "GET", &p, Some(&key), &[], None).await;
        assert_eq!(r.status, 400, "{p}");
        assert_eq!(error_code(&r), "key_in_query");
    }
    // A username that merely starts like a key is an ordinary value.
    let r = get("/api/v1/users?cursor=kh_bot".into()).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// A page's `next_cursor` as a query value (a number or a username).
fn next_cursor(page: &serde_json::Value) -> Option<String> {
    match &page["next_cursor"] {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}
