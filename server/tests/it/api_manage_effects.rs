//! The HTTP API's management endpoints with a valid key, over the real
//! router, on SQLite and PostgreSQL: each does what it says (keys, users
//! and the audit log, paged by cursor), within the key's API sets AND the
//! acting user's authorities. Refusals: api_manage.rs.

use crate::common::api::{all_sets, call, error_code, json, new_key};
use crate::common::{app, as_admin, create_bot, org, role_id, signed_in};
use app::backend::entities::audit_event;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

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
