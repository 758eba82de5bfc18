//! The webhook outbox: an event is written in the transaction of its change
//! (rolled back with it), the time-based key events once per key, endpoint
//! and expiry, and the same Add endpoint form or Send test event sent fifty
//! times at once adds one endpoint, one test delivery.
use std::sync::Arc;

use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::common::hooks::receiver;
use crate::common::{Client, TestApp, app_configured, as_admin, org};
use app::backend::audit::{Action, Entry};
use app::backend::clock::Clock;
use app::backend::entities::{webhook_delivery, webhook_endpoint};
use app::backend::request_meta::RequestMeta;
use app::backend::unit_of_work::{Invalidate, Work};
use app::backend::webhooks::outbox;

async fn deliveries_of(app: &TestApp, event: &str) -> u64 {
    webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::EventType.eq(event))
        .count(&app.server.state.db)
        .await
        .expect("count")
}

async fn add(client: &mut Client<'_>, url: &str, events: &[&str], token: &str) -> u16 {
    let mut form = vec![("url", url), ("request_token", token)];
    form.extend(events.iter().map(|e| ("events[]", *e)));
    client.call("webhooks/create", &form).await.status
}

#[tokio::test]
async fn an_event_is_written_with_its_change_or_not_at_all() {
    let (app, _clock) = app_configured(|c| c.webhook_allow_private = true).await;
    let hook = receiver(false).await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    assert_eq!(
        add(&mut as_admin(&app, &acme), &hook.url, &["key.created"], "").await,
        200
    );
    let meta = RequestMeta::default();
    let entry = || {
        let at = app.server.state.clock.now();
        Entry::new(Action::KeyCreated, acme.id, 1, "key:1".into(), &meta, at)
    };
    let mut work = Work::begin(&app.server.state).await.expect("begin");
    work.audit(entry());
    work.rollback().await.expect("rollback");
    assert_eq!(
        deliveries_of(&app, "key.created").await,
        0,
        "rolled back with it"
    );
    let mut work = Work::begin(&app.server.state).await.expect("begin");
    work.audit(entry());
    work.commit(Invalidate::None).await.expect("commit");
    assert_eq!(
        deliveries_of(&app, "key.created").await,
        1,
        "committed with it"
    );
}

#[tokio::test]
async fn expiry_events_are_written_once_per_key_endpoint_and_stage() {
    let (app, clock) = app_configured(|c| c.webhook_allow_private = true).await;
    let hook = receiver(false).await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let other = org(&app, "admin@other.example", "Other").await;
    let mut admin = as_admin(&app, &acme);
    assert_eq!(
        add(&mut admin, &hook.url, &["key.expiring", "key.expired"], "").await,
        200
    );
    assert_eq!(add(&mut admin, &hook.url, &["key.created"], "").await, 200);
    let soon = (clock.now() + Duration::days(3))
        .format("%Y-%m-%d")
        .to_string();
    let form = [
        ("name", "Ends soon"),
        ("expires", "date"),
        ("expires_on", soon.as_str()),
    ];
    assert_eq!(admin.call("keys/create", &form).await.status, 200);
    crate::common::keys::new_key(&mut admin, "Forever").await;
    let mut stranger = as_admin(&app, &other);
    assert_eq!(stranger.call("keys/create", &form).await.status, 200);

    let db = &app.server.state.db;
    assert_eq!(
        outbox::enqueue_expiry(db, clock.now())
            .await
            .expect("round"),
        1
    );
    assert_eq!(
        outbox::enqueue_expiry(db, clock.now())
            .await
            .expect("again"),
        0,
        "once"
    );
    clock.advance(Duration::days(3));
    assert_eq!(
        outbox::enqueue_expiry(db, clock.now()).await.expect("day"),
        1,
        "within a day"
    );
    clock.advance(Duration::days(1));
    assert_eq!(
        outbox::enqueue_expiry(db, clock.now())
            .await
            .expect("after"),
        1,
        "expired"
    );
    assert_eq!(
        outbox::enqueue_expiry(db, clock.now())
            .await
            .expect("again"),
        0
    );
    assert_eq!(deliveries_of(&app, "key.expiring").await, 2);
    assert_eq!(deliveries_of(&app, "key.expired").await, 1);
    let bodies: Vec<String> = webhook_delivery::Entity::find()
        .all(db)
        .await
        .expect("rows")
        .into_iter()
        .filter(|d| d.event_type.starts_with("key.expir"))
        .map(|d| d.payload)
        .collect();
    assert!(
        bodies.iter().all(|b| b.contains("Ends soon")),
        "only Acme's expiring key"
    );
    assert!(bodies.iter().any(|b| b.contains("\"within_days\":7")));
    assert!(bodies.iter().any(|b| b.contains("\"within_days\":1")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_form_or_test_fifty_times_at_once_adds_one() {
    let (app, _clock) = app_configured(|c| c.webhook_allow_private = true).await;
    let app = Arc::new(app);
    let hook = receiver(false).await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let admin = as_admin(&app, &acme);
    let spawn = |call: &'static str, form: Vec<(&'static str, String)>| {
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..50 {
            let (app, form) = (app.clone(), form.clone());
            let (cookie, jar) = (admin.cookie.clone(), admin.jar.clone());
            tasks.spawn(async move {
                let mut client = Client::new(&app);
                client.cookie = cookie;
                client.jar = jar;
                let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                client.call(call, &form).await
            });
        }
        tasks
    };
    let form = vec![
        ("url", hook.url.clone()),
        ("events[]", "key.created".to_owned()),
        ("request_token", "once-0123456789abcdef".to_owned()),
    ];
    let answers = spawn("webhooks/create", form).join_all().await;
    assert_eq!(answers.iter().filter(|r| r.status == 200).count(), 1);
    assert!(
        answers
            .iter()
            .all(|r| r.status == 200 || r.body.contains("already_created"))
    );
    let endpoints = webhook_endpoint::Entity::find()
        .all(&app.server.state.db)
        .await
        .expect("endpoints");
    assert_eq!(endpoints.len(), 1);

    let id = endpoints[0].id.to_string();
    let answers = spawn("webhooks/send-test", vec![("id", id)])
        .join_all()
        .await;
    assert!(answers.iter().all(|r| r.status == 200));
    assert_eq!(deliveries_of(&app, "webhook.test").await, 1);
}
