//! Decoy keys: made like keys, never listed with them, never working; any
//! use is answered exactly as an unknown key's and recorded as a
//! high-severity alarm with the address and user agent (bounded per
//! minute); only Manage Integrations sees, makes and deletes them.
use std::sync::Arc;
use std::time::Duration;

use crate::common::api::{all_sets, call, call_from, json, new_key, set_id};
use crate::common::{Client, TestApp, TestResponse, as_admin, create_bot, org, role_id, signed_in};
use app::backend::entities::audit_event;
use app::backend::keys::format;
use app::backend::services::decoys::ALARMS_PER_MINUTE;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

async fn create_decoy(client: &mut Client<'_>, name: &str) -> (String, String) {
    let r = client.call("decoys/create", &[("name", name)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let json: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    (
        json["id"].as_i64().expect("id").to_string(),
        json["key"].as_str().expect("key").to_owned(),
    )
}

async fn alarms(app: &TestApp) -> Vec<audit_event::Model> {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("key.decoy_used"))
        .all(&app.server.state.db)
        .await
        .expect("audit")
}

/// Waits (bounded) until `n` alarms are recorded: they are written by a
/// task of their own, after the answer.
async fn wait_for_alarms(app: &TestApp, n: usize) -> Vec<audit_event::Model> {
    for _ in 0..200 {
        let rows = alarms(app).await;
        if rows.len() >= n {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    alarms(app).await
}

/// An answer without what differs between any two answers (the date).
fn shape(r: &TestResponse) -> (u16, String, Option<String>) {
    (
        r.status,
        r.body.clone(),
        r.header("www-authenticate").map(str::to_owned),
    )
}

#[tokio::test]
async fn a_decoy_answers_as_an_unknown_key_and_sounds_an_alarm() {
    let app = crate::common::app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let other = org(&app, "admin@other.example", "Other").await;
    let mut admin = as_admin(&app, &acme);
    let (decoy_id, decoy) = create_decoy(&mut admin, "Old deploy key").await;
    assert!(format::parse(&decoy).is_ok(), "well-formed, like any key");
    let unknown = format::generate().expect("key").into_exposed();
    let mut sets = all_sets(&mut admin).await;
    sets.push(set_id(&mut admin, "keys:verify").await);
    let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
    let (_, service) = new_key(&mut admin, "Service", &sets).await;

    // Every door answers the decoy exactly as a key nobody has.
    for path in ["/api/v1/me", "/api/v1/orgs/acme/auth", "/api/v1/keys"] {
        let with_decoy = call(&app, "GET", path, Some(&decoy), &[], None).await;
        let with_unknown = call(&app, "GET", path, Some(&unknown), &[], None).await;
        assert_eq!(shape(&with_decoy), shape(&with_unknown), "{path}");
        assert_eq!(with_decoy.status, 401, "{path}");
    }
    let verify =
        |key: &str| serde_json::json!({ "key": key, "client_ip": "203.0.113.9" }).to_string();
    let v_decoy = call(
        &app,
        "POST",
        "/api/v1/keys/verify",
        Some(&service),
        &[],
        Some(verify(&decoy)),
    )
    .await;
    let v_unknown = call(
        &app,
        "POST",
        "/api/v1/keys/verify",
        Some(&service),
        &[],
        Some(verify(&unknown)),
    )
    .await;
    assert_eq!(shape(&v_decoy), shape(&v_unknown));
    assert_eq!(json(&v_decoy)["reason"], "unknown");

    // Four alarms: high severity, with address and user agent, by nobody.
    let rows = wait_for_alarms(&app, 4).await;
    assert_eq!(rows.len(), 4);
    for row in &rows {
        assert_eq!(row.organization_id, Some(acme.id));
        assert_eq!(
            row.target.as_deref(),
            Some(format!("key:{decoy_id}").as_str())
        );
        assert_eq!(row.actor_user_id, None);
        assert!(
            row.details
                .as_deref()
                .is_some_and(|d| d.contains("\"severity\":\"high\""))
        );
        assert!(
            row.details
                .as_deref()
                .is_some_and(|d| !d.contains(&decoy[3..]))
        );
    }
    // Every row has the request's own address; what a verifying service
    // claims is kept apart, with who claimed it.
    assert!(
        rows.iter()
            .all(|r| r.client_ip.as_deref() == Some("192.0.2.77"))
    );
    let claimed: Vec<&audit_event::Model> = rows
        .iter()
        .filter(|r| {
            r.details
                .as_deref()
                .is_some_and(|d| d.contains("\"claimed_client_ip\":\"203.0.113.9\""))
        })
        .collect();
    assert_eq!(claimed.len(), 1, "verify's claim");
    assert!(
        claimed[0]
            .details
            .as_deref()
            .is_some_and(|d| d.contains("verified_by"))
    );

    // Listed apart, with its count; never among the keys.
    let listed = json(&admin.call("decoys/list", &[]).await);
    assert_eq!(listed[0]["name"], "Old deploy key");
    assert_eq!(listed[0]["triggers"], 4);
    let page = admin.get("/settings/integrations/public-api").await;
    assert!(page.body.contains("Decoys") && page.body.contains("Old deploy key"));
    assert!(
        !page.body.contains(&format!("data-key-id=\"{decoy_id}\"")),
        "not in the key list"
    );
    let api_list = call(
        &app,
        "GET",
        "/api/v1/keys?scope=all",
        Some(&service),
        &[],
        None,
    )
    .await;
    assert!(
        !api_list.body.contains("Old deploy key"),
        "{}",
        api_list.body
    );
    // Key actions do not find it.
    let toggled = admin
        .call(
            "keys/set-enabled",
            &[("id", &decoy_id), ("enabled", "false")],
        )
        .await;
    assert_eq!(toggled.status, 404, "{}", toggled.body);

    // Another organization's decoy presented at Acme's door alarms ITS org.
    let (_, theirs) = create_decoy(&mut as_admin(&app, &other), "Theirs").await;
    call(
        &app,
        "GET",
        "/api/v1/orgs/acme/auth",
        Some(&theirs),
        &[],
        None,
    )
    .await;
    let rows = wait_for_alarms(&app, 5).await;
    let theirs_rows: Vec<&audit_event::Model> = rows
        .iter()
        .filter(|r| r.organization_id == Some(other.id))
        .collect();
    assert_eq!(theirs_rows.len(), 1);
    // They learn it was tried elsewhere, and nothing about Acme's door.
    assert_eq!(theirs_rows[0].client_ip, None);
    assert_eq!(theirs_rows[0].user_agent, None);
    assert!(
        theirs_rows[0]
            .details
            .as_deref()
            .is_some_and(|d| d.contains("another organization")),
        "{:?}",
        theirs_rows[0].details
    );

    // Deleted: audited; it stays unknown.
    let r = admin.call("decoys/delete", &[("id", &decoy_id)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        json(&admin.call("decoys/list", &[]).await),
        serde_json::json!([])
    );
    let deleted = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("decoy.deleted"))
        .count(&app.server.state.db)
        .await
        .expect("audit");
    assert_eq!(deleted, 1);
    assert_eq!(
        call(&app, "GET", "/api/v1/me", Some(&decoy), &[], None)
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn only_manage_integrations_sees_makes_and_deletes_decoys() {
    let app = crate::common::app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let other = org(&app, "admin@other.example", "Other").await;
    let (id, _) = create_decoy(&mut as_admin(&app, &acme), "Bait").await;
    create_bot(&app, &acme, "dev-bot", role_id(&acme, "Developer")).await;
    let mut dev = signed_in(&app, "dev-bot").await;
    assert_eq!(dev.call("decoys/list", &[]).await.status, 403);
    assert_eq!(
        dev.call("decoys/create", &[("name", "x")]).await.status,
        403
    );
    assert_eq!(dev.call("decoys/delete", &[("id", &id)]).await.status, 403);
    let page = dev.get("/settings/integrations/public-api").await;
    assert!(!page.body.contains("decoys-title"), "no Decoys section");
    // A stranger's Admin neither sees nor deletes Acme's decoy.
    let mut stranger = as_admin(&app, &other);
    assert_eq!(
        json(&stranger.call("decoys/list", &[]).await),
        serde_json::json!([])
    );
    assert_eq!(
        stranger.call("decoys/delete", &[("id", &id)]).await.status,
        404
    );
    // At most twenty decoys per organization.
    let mut admin = as_admin(&app, &acme);
    for n in 2..=20 {
        create_decoy(&mut admin, &format!("Bait {n}")).await;
    }
    let r = admin
        .call("decoys/create", &[("name", "One too many")])
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("too_many_decoys"), "{}", r.body);
    // Bad input: a clear problem, nothing made.
    let r = as_admin(&app, &acme)
        .call("decoys/create", &[("name", "   ")])
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        json(&as_admin(&app, &acme).call("decoys/list", &[]).await)
            .as_array()
            .map(Vec::len),
        Some(20)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_uses_at_once_are_all_unknown_and_alarms_stay_within_their_bound() {
    // A clock that does not move: every alarm falls in one minute.
    let app = Arc::new(crate::common::app_with_clock().await.0);
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let (_, decoy) = create_decoy(&mut as_admin(&app, &acme), "Bait").await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50u8 {
        let (app, decoy) = (app.clone(), decoy.clone());
        tasks.spawn(async move {
            call_from(
                &app,
                100 + i,
                "GET",
                "/api/v1/me",
                Some(&format!("Bearer {decoy}")),
                &[],
                None,
            )
            .await
        });
    }
    for r in tasks.join_all().await {
        assert_eq!(r.status, 401);
        assert!(r.body.contains("unknown_key"), "{}", r.body);
    }
    let first = wait_for_alarms(&app, 1).await.len();
    assert!((1..=50).contains(&first), "{first} alarms");
    // One after another until past the bound: at most ALARMS_PER_MINUTE in
    // the minute.
    let mut expected = first;
    for _ in first..(ALARMS_PER_MINUTE as usize + 10) {
        call(&app, "GET", "/api/v1/me", Some(&decoy), &[], None).await;
        expected = (expected + 1).min(ALARMS_PER_MINUTE as usize);
        wait_for_alarms(&app, expected).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(alarms(&app).await.len(), ALARMS_PER_MINUTE as usize);
}
