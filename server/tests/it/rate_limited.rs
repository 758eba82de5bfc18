//! `key.rate_limited`: a key over its own rate limit is told of at most
//! once an hour (an audit row, and so a webhook event to the endpoints that
//! asked for it), however many requests are refused at once and however
//! many instances refuse them; never to another organization.
use std::sync::Arc;

use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::api::me;
use crate::common::api::new_key;
use crate::common::{TestApp, app_configured, as_admin, org};
use app::backend::entities::{audit_event, webhook_delivery, webhook_endpoint};
use app::backend::keys::format;
use app::backend::services::{key_check, rate_limited};

async fn told(app: &TestApp) -> (u64, u64) {
    let db = &app.server.state.db;
    let rows = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("key.rate_limited"))
        .count(db)
        .await
        .expect("audit");
    let deliveries = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::EventType.eq("key.rate_limited"))
        .count(db)
        .await
        .expect("deliveries");
    (rows, deliveries)
}

/// Waits (bounded: 10 s) for the rows the refusals write off the request
/// path, then a moment longer for any that should not come.
///
/// For a count that must not grow, [`quiet`].
async fn settled(app: &TestApp, rows: u64) -> (u64, u64) {
    for _ in 0..200 {
        if told(app).await.0 >= rows {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    told(app).await
}

/// The counts after the writes in flight had 1.5 s to land.
async fn quiet(app: &TestApp) -> (u64, u64) {
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    told(app).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_over_its_rate_limit_is_told_once_an_hour_to_its_own_organization() {
    let (app, clock) = app_configured(|c| c.webhook_allow_private = true).await;
    let app = Arc::new(app);
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let other = org(&app, "admin@other.example", "Other").await;
    let mut admin = as_admin(&app, &acme);
    let mut stranger = as_admin(&app, &other);
    for (client, url) in [
        (&mut admin, "http://127.0.0.1:9/acme"),
        (&mut stranger, "http://127.0.0.1:9/other"),
    ] {
        let r = client
            .call(
                "webhooks/create",
                &[("url", url), ("events[]", "key.rate_limited")],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let (id, key) = new_key(&mut admin, "Limited", &[]).await;
    let r = admin
        .call("keys/set-rate-limit", &[("id", &id), ("per_minute", "2")])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // Fifty requests at once: two pass, the rest are refused; one row.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (app, key) = (app.clone(), key.clone());
        tasks.spawn(async move { me(&app, Some(&key)).await.status });
    }
    let statuses = tasks.join_all().await;
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 2);
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 48);
    assert_eq!(settled(&app, 1).await, (1, 1), "one row, one delivery");
    let row = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("key.rate_limited"))
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("row");
    assert_eq!(row.target.as_deref(), Some(format!("key:{id}").as_str()));
    assert!(row.actor_user_id.is_none());
    let details: serde_json::Value =
        serde_json::from_str(row.details.as_deref().unwrap_or("null")).expect("json");
    assert_eq!(details["rate_limit_per_minute"], 2);
    assert_eq!(details["name"], "Limited");
    let acme_endpoint = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::Url.eq("http://127.0.0.1:9/acme"))
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("endpoint");
    let delivery = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::EventType.eq("key.rate_limited"))
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("delivery");
    assert_eq!(
        delivery.endpoint_id, acme_endpoint.id,
        "never the stranger's"
    );
    assert!(!delivery.payload.contains(&key[3..]), "never the key");

    // As if fifty other instances refused it too (each with its own memory):
    // the database's hour holds.
    let plain = format::parse(&key).expect("key");
    let (facts, _) = key_check::verify(&app.server.state, &plain)
        .await
        .expect("check")
        .expect("known");
    for _ in 0..50 {
        let mut instance = app.server.state.clone();
        instance.limit_slots = Default::default();
        rate_limited::note(&instance, &facts, 2, Default::default());
    }
    assert_eq!(quiet(&app).await, (1, 1), "still one within the hour");

    // An hour later, fifty instances refuse it at once, none told yet this
    // hour: the row lock lets one write.
    clock.advance(Duration::minutes(61));
    for _ in 0..50 {
        let mut instance = app.server.state.clone();
        instance.limit_slots = Default::default();
        rate_limited::note(&instance, &facts, 2, Default::default());
    }
    assert_eq!(settled(&app, 2).await, (2, 2));
    assert_eq!(quiet(&app).await, (2, 2), "and only one");
    // This instance's own refusal in that hour adds nothing either (the
    // limiter's minute is a real one, still running).
    assert_eq!(me(&app, Some(&key)).await.status, 429);
    assert_eq!(quiet(&app).await, (2, 2));
}
