//! The key policy's "Disable keys unused for N days": the housekeeping
//! round disables a key nobody used, created, rolled or enabled for that
//! long, once however many rounds run at once, audited by the system; never
//! a young, busy, rolled or re-enabled key, nor another organization's.
use std::sync::Arc;

use crate::common::api::call;
use crate::common::keys::new_key;
use crate::common::{app_with_clock, as_admin, org, signed_in};
use crate::key_policy::{key, save};
use app::backend::clock::Clock;
use app::backend::entities::audit_event;
use app::backend::services::unused_keys;
use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn keys_unused_for_the_policys_days_are_disabled_once_and_young_ones_never() {
    let (app, clock) = app_with_clock().await;
    let app = Arc::new(app);
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let other = org(&app, "admin@other.example", "Other").await;
    let mut admin = as_admin(&app, &acme);
    let (idle, idle_key) = new_key(&mut admin, "Idle").await;
    let (busy, busy_key) = new_key(&mut admin, "Busy").await;
    let (rolled, _) = new_key(&mut admin, "Rolled today").await;
    let (enabled, _) = new_key(&mut admin, "Enabled today").await;
    let (theirs, _) = new_key(&mut as_admin(&app, &other), "Theirs, idle").await;
    assert_eq!(save(&mut admin, "", "never", "30").await, 200);
    let id = enabled.to_string();
    let off = [("id", id.as_str()), ("enabled", "false")];
    assert_eq!(admin.call("keys/set-enabled", &off).await.status, 200);

    clock.advance(Duration::days(31));
    let me = call(&app, "GET", "/api/v1/me", Some(&busy_key), &[], None).await;
    assert_eq!(me.status, 200, "{}", me.body);
    // A month on, the session has ended: signed in again. One idle key is
    // rolled, another enabled again: neither has had its 30 days since.
    let mut admin = signed_in(&app, "admin@acme.example").await;
    let (young, _) = new_key(&mut admin, "Young").await;
    let id = rolled.to_string();
    let roll = [("id", id.as_str()), ("grace_hours", "0")];
    assert_eq!(admin.call("keys/roll", &roll).await.status, 200);
    let id = enabled.to_string();
    let on = [("id", id.as_str()), ("enabled", "true")];
    assert_eq!(admin.call("keys/set-enabled", &on).await.status, 200);
    app.server
        .state
        .usage
        .flush(&app.server.state.db)
        .await
        .expect("flush");

    // The job, fifty rounds at once (as if every instance ran it).
    let now = clock.now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let app = app.clone();
        tasks.spawn(async move { unused_keys::disable_unused(&app.server.state, now).await });
    }
    let disabled: u64 = tasks
        .join_all()
        .await
        .into_iter()
        .map(|r| r.expect("round").unwrap_or(0))
        .sum();
    assert_eq!(disabled, 1);
    assert!(!key(&app, idle).await.enabled);
    assert!(key(&app, busy).await.enabled, "used a moment ago");
    assert!(key(&app, young).await.enabled, "created a moment ago");
    assert!(key(&app, rolled).await.enabled, "rolled a moment ago");
    assert!(key(&app, enabled).await.enabled, "enabled a moment ago");
    assert!(key(&app, theirs).await.enabled, "no such policy there");
    let rows = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("key.disabled"))
        .filter(audit_event::Column::ActorUserId.is_null())
        .all(&app.server.state.db)
        .await
        .expect("audit");
    assert_eq!(rows.len(), 1, "by the system, once");
    assert_eq!(
        rows[0].target.as_deref(),
        Some(format!("key:{idle}").as_str())
    );
    let details = rows[0].details.as_deref().expect("details");
    assert!(details.contains("\"reason\":\"unused\"") && details.contains("\"unused_days\":30"));
    assert!(!details.contains(&idle_key[3..]), "no secret");
    let r = call(&app, "GET", "/api/v1/me", Some(&idle_key), &[], None).await;
    assert_eq!(r.status, 401, "the cache was cleared: {}", r.body);
}
