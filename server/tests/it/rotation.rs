//! Rotation that finishes itself: a roll asking to "Retire the old secret
//! when it has not been used for 1 hour" ends the old secret's grace once
//! nobody used it for an hour (never while it is in use), the key page shows
//! the requests on the old and the new secret hour by hour and the
//! addresses still on the old one, and every retirement is audited once as
//! `key.secret_retired` (unused, or grace ended), however many rounds run at
//! once; "End grace period now" is not told twice.
use std::sync::Arc;

use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::common::api::{call_from, json, new_key};
use crate::common::{Client, TestApp, app_with_clock, as_admin, org, signed_in};
use app::backend::clock::Clock;
use app::backend::entities::audit_event;
use app::backend::services::rotation;

async fn me(app: &TestApp, key: &str, ip: u8) -> u16 {
    let bearer = format!("Bearer {key}");
    call_from(app, ip, "GET", "/api/v1/me", Some(&bearer), &[], None)
        .await
        .status
}

async fn roll(client: &mut Client<'_>, id: &str, grace: &str, retire: bool) -> String {
    let mut form = vec![("id", id), ("grace_hours", grace)];
    if retire {
        form.push(("retire_unused", "true"));
    }
    let r = client.call("keys/roll", &form).await;
    assert_eq!(r.status, 200, "{}", r.body);
    json(&r)["key"].as_str().expect("key").to_owned()
}

async fn flush(app: &TestApp) {
    let state = &app.server.state;
    state.usage.flush(&state.db).await.expect("flush");
}

/// The reasons of the `key.secret_retired` rows, oldest first.
async fn retired(app: &TestApp) -> Vec<String> {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("key.secret_retired"))
        .order_by_asc(audit_event::Column::Id)
        .all(&app.server.state.db)
        .await
        .expect("audit")
        .into_iter()
        .map(|row| {
            let details: serde_json::Value =
                serde_json::from_str(row.details.as_deref().unwrap_or("null")).expect("json");
            details["reason"].as_str().unwrap_or_default().to_owned()
        })
        .collect()
}

/// Fifty rounds at once; the secrets they retired.
async fn rounds(app: &Arc<TestApp>, now: chrono::DateTime<chrono::Utc>) -> u64 {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let app = app.clone();
        tasks.spawn(async move { rotation::retire(&app.server.state, now).await });
    }
    tasks
        .join_all()
        .await
        .into_iter()
        .map(|r| {
            let r = r.expect("round");
            r.unused + r.grace_ended
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unused_old_secret_retires_after_an_hour_and_the_page_shows_who_still_uses_it() {
    let (app, clock) = app_with_clock().await;
    let app = Arc::new(app);
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let (id, old) = new_key(&mut admin, "Billing", &[]).await;
    assert_eq!(me(&app, &old, 77).await, 200);
    let new = roll(&mut admin, &id, "24", true).await;
    // Two callers still on the old secret, one moved.
    for ip in [77, 78, 77] {
        assert_eq!(me(&app, &old, ip).await, 200);
    }
    for _ in 0..3 {
        assert_eq!(me(&app, &new, 79).await, 200);
    }
    flush(&app).await;
    let details = json(&admin.call("keys/details", &[("id", &id)]).await);
    let progress = &details["rotation"];
    assert_eq!(progress["retire_when_unused"], true);
    let hours = progress["hours"].as_array().expect("hours");
    assert_eq!(hours.len(), 1, "since the roll's hour");
    assert_eq!(
        (hours[0]["old"].as_i64(), hours[0]["new"].as_i64()),
        (Some(4), Some(3))
    );
    let addresses: Vec<(&str, i64)> = progress["addresses"]
        .as_array()
        .expect("addresses")
        .iter()
        .map(|a| {
            (
                a["ip"].as_str().unwrap_or(""),
                a["requests"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(addresses.len(), 2);
    assert!(addresses.contains(&("192.0.2.77", 2)), "{addresses:?}");
    assert!(addresses.contains(&("192.0.2.78", 1)), "{addresses:?}");
    let page = admin
        .get(&format!("/settings/integrations/public-api/keys/{id}"))
        .await;
    assert!(page.body.contains("Rotation progress"), "{}", page.body);
    assert!(page.body.contains("192.0.2.78"));

    // Used 30 minutes later: not retired then, nor an hour after the roll.
    clock.advance(Duration::minutes(30));
    assert_eq!(me(&app, &old, 78).await, 200);
    flush(&app).await;
    clock.advance(Duration::minutes(31));
    assert_eq!(rounds(&app, clock.now()).await, 0);
    assert_eq!(me(&app, &old, 78).await, 200, "used 31 minutes ago");
    flush(&app).await;
    // An hour of silence: retired once, at once.
    clock.advance(Duration::minutes(61));
    assert_eq!(rounds(&app, clock.now()).await, 1);
    assert_eq!(retired(&app).await, ["unused"]);
    assert_eq!(me(&app, &old, 77).await, 401, "no cached answer keeps it");
    assert_eq!(me(&app, &new, 79).await, 200);
    // Two hours on: the session ended; signed in again.
    let mut admin = signed_in(&app, "admin@acme.example").await;
    let details = json(&admin.call("keys/details", &[("id", &id)]).await);
    assert!(details["rotation"].is_null(), "nothing left to move");

    // Without the option, the old secret works its whole grace period,
    // then its end is told once.
    let newer = roll(&mut admin, &id, "1", false).await;
    clock.advance(Duration::minutes(59));
    assert_eq!(rounds(&app, clock.now()).await, 0);
    assert_eq!(me(&app, &new, 79).await, 200, "unused, and still in grace");
    clock.advance(Duration::minutes(2));
    assert_eq!(rounds(&app, clock.now()).await, 1);
    assert_eq!(retired(&app).await, ["unused", "grace_ended"]);
    assert_eq!(me(&app, &new, 79).await, 401);

    // Ended by hand: audited as that, not again by the round.
    let mut admin = signed_in(&app, "admin@acme.example").await;
    roll(&mut admin, &id, "24", true).await;
    let r = admin.call("keys/end-grace", &[("id", &id)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    clock.advance(Duration::hours(25));
    assert_eq!(rounds(&app, clock.now()).await, 0);
    assert_eq!(retired(&app).await.len(), 2);
    assert_eq!(me(&app, &newer, 79).await, 401);
}
