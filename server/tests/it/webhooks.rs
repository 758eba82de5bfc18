//! Webhooks: an endpoint gets the events it asked for, each written to the
//! outbox in the transaction of its change, signed the Standard Webhooks
//! way and delivered once however many senders run at once; a failing
//! endpoint is retried with backoff and given up after about a day; "Send
//! again" and "Send test event"; endpoints on private addresses refused
//! (at creation and at delivery) unless the operator allows them; only
//! Manage Integrations, and never another organization's.
use std::sync::Arc;
use std::sync::atomic::Ordering;

use chrono::Duration;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use crate::common::api::json;
use crate::common::hooks::receiver;
use crate::common::keys::new_key;
use crate::common::{
    Client, TestApp, app_configured, as_admin, create_bot, custom_role, org, role_id, signed_in,
};
use app::backend::clock::Clock;
use app::backend::entities::{webhook_delivery, webhook_endpoint};
use app::backend::webhooks::{sender, signing};
use app::model::authz::Authority;

async fn allowing_private() -> (TestApp, Arc<app::backend::clock::ManualClock>) {
    app_configured(|c| c.webhook_allow_private = true).await
}

/// Adds an endpoint; returns (id, secret).
async fn add(client: &mut Client<'_>, url: &str, events: &[&str]) -> (i64, String) {
    let mut form = vec![("url", url)];
    form.extend(events.iter().map(|e| ("events[]", *e)));
    let r = client.call("webhooks/create", &form).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let new = json(&r);
    (
        new["id"].as_i64().expect("id"),
        new["secret"].as_str().expect("secret").to_owned(),
    )
}

async fn deliveries(app: &TestApp) -> Vec<webhook_delivery::Model> {
    webhook_delivery::Entity::find()
        .all(&app.server.state.db)
        .await
        .expect("deliveries")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn key_events_reach_the_endpoint_signed_and_exactly_once() {
    let (app, clock) = allowing_private().await;
    let app = Arc::new(app);
    let hook = receiver(false).await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let other = org(&app, "admin@other.example", "Other").await;
    let mut admin = as_admin(&app, &acme);
    let events = ["key.created", "key.disabled", "key.deleted"];
    let (_, secret) = add(&mut admin, &hook.url, &events).await;
    assert!(secret.starts_with("whsec_"));
    let page = json(&admin.call("webhooks/list", &[]).await);
    assert!(
        !page.to_string().contains(&secret),
        "the secret is shown once"
    );

    let (id, key) = new_key(&mut admin, "Billing").await;
    let id = id.to_string();
    for enabled in ["false", "true"] {
        let r = admin
            .call("keys/set-enabled", &[("id", &id), ("enabled", enabled)])
            .await;
        assert_eq!(r.status, 200);
    }
    // A refused change owes nothing; the stranger's keys are not Acme's.
    let r = admin
        .call("keys/create", &[("name", " "), ("expires", "never")])
        .await;
    assert_eq!(r.status, 422);
    new_key(&mut as_admin(&app, &other), "Theirs").await;
    assert_eq!(admin.call("keys/delete", &[("id", &id)]).await.status, 200);
    // Written with their changes, before anything is sent.
    let written = deliveries(&app).await;
    let types: Vec<&str> = written.iter().map(|d| d.event_type.as_str()).collect();
    assert_eq!(types, events, "key.enabled was not asked for");
    assert!(written.iter().all(|d| d.state == "pending"));

    // Fifty senders at once (as if every instance ran): each event once.
    let now = clock.now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let app = app.clone();
        tasks.spawn(async move { sender::deliver_due(&app.server.state, now).await });
    }
    let delivered: u32 = tasks
        .join_all()
        .await
        .into_iter()
        .map(|r| r.expect("round").delivered)
        .sum();
    let seen = hook.seen();
    let mut ids: Vec<&str> = seen.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    eprintln!(
        "webhook figures: events {}, attempts {}, delivered {delivered}, duplicates {}",
        written.len(),
        seen.len(),
        seen.len() - ids.len()
    );
    assert_eq!(delivered, 3);
    assert_eq!(seen.len(), 3, "no duplicates");
    assert_eq!(ids.len(), 3);
    // Sent at once, they may arrive in any order: each by its message id.
    let event_of = |id: &str| {
        written
            .iter()
            .find(|d| d.message_id == id)
            .map(|d| d.event_type.clone())
            .expect("a written event")
    };
    for got in &seen {
        let event = event_of(&got.id);
        let timestamp: i64 = got.timestamp.parse().expect("unix seconds");
        assert_eq!(timestamp, now.timestamp());
        let expected = signing::sign(&secret, &got.id, timestamp, &got.body).expect("sign");
        assert_eq!(got.signature, expected, "signed with the endpoint's secret");
        let body: serde_json::Value = serde_json::from_str(&got.body).expect("json");
        assert_eq!(body["type"], event);
        assert_eq!(body["data"]["target"], format!("key:{id}"));
        assert!(!got.body.contains(&key[3..]), "never the key");
    }
    assert!(
        deliveries(&app)
            .await
            .iter()
            .all(|d| d.state == "delivered" && d.attempts == 1 && d.response_status == Some(204))
    );
}

#[tokio::test]
async fn a_failing_endpoint_is_retried_with_backoff_and_given_up_after_a_day() {
    let (app, clock) = allowing_private().await;
    let hook = receiver(true).await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let (endpoint, _) = add(&mut admin, &hook.url, &["key.created"]).await;
    let id = endpoint.to_string();
    assert_eq!(
        admin
            .call("webhooks/send-test", &[("id", &id)])
            .await
            .status,
        200
    );

    let state = &app.server.state;
    let mut waited = Duration::zero();
    let first = sender::deliver_due(state, clock.now())
        .await
        .expect("round");
    assert_eq!(first.retrying, 1);
    for (n, wait) in sender::RETRY_AFTER.iter().enumerate() {
        // Not before its time.
        let early = sender::deliver_due(state, clock.now())
            .await
            .expect("round");
        assert_eq!(early, sender::Round::default(), "attempt {n} waits");
        clock.advance(Duration::seconds(*wait));
        waited += Duration::seconds(*wait);
        sender::deliver_due(state, clock.now())
            .await
            .expect("round");
    }
    let seen = hook.seen();
    assert_eq!(seen.len(), 8, "eight attempts");
    assert!(seen.iter().all(|r| r.id == seen[0].id), "one message id");
    let d = &deliveries(&app).await[0];
    assert_eq!((d.state.as_str(), d.attempts), ("failed", 8));
    assert_eq!(d.response_status, Some(500));
    assert!(
        waited > Duration::hours(23) && waited < Duration::hours(25),
        "{waited}"
    );
    // The log shows it; "Send again" tries once more, with the same id.
    let mut admin = signed_in(&app, "admin@acme.example").await;
    let page = json(&admin.call("webhooks/endpoint", &[("id", &id)]).await);
    assert_eq!(page["deliveries"][0]["state"], "failed");
    assert_eq!(page["endpoint"]["failed"], 1);
    hook.failing.store(false, Ordering::SeqCst);
    let delivery = d.id.to_string();
    let r = admin
        .call("webhooks/resend", &[("delivery", &delivery)])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let round = sender::deliver_due(state, clock.now())
        .await
        .expect("round");
    assert_eq!(round.delivered, 1);
    let seen = hook.seen();
    assert_eq!(seen.len(), 9);
    assert_eq!(seen[8].id, seen[0].id);
    let body: serde_json::Value = serde_json::from_str(&seen[8].body).expect("json");
    assert_eq!(body["type"], "webhook.test");
}

#[tokio::test]
async fn endpoints_on_private_addresses_are_refused_unless_the_operator_allows_them() {
    let app = crate::common::app().await;
    let hook = receiver(false).await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    for (url, event, problem) in [
        (hook.url.as_str(), "key.created", "PrivateAddress"),
        (
            "http://169.254.169.254/latest/meta-data",
            "key.created",
            "PrivateAddress",
        ),
        ("http://[::1]:8080/h", "key.created", "PrivateAddress"),
        ("http://localhost/h", "key.created", "PrivateAddress"),
        ("ftp://hooks.example.com/", "key.created", "InvalidUrl"),
        (
            "https://user:pw@hooks.example.com/",
            "key.created",
            "InvalidUrl",
        ),
        ("https://93.184.215.14/hook", "", "Required"),
    ] {
        let mut form = vec![("url", url)];
        if !event.is_empty() {
            form.push(("events[]", event));
        }
        let r = admin.call("webhooks/create", &form).await;
        assert_eq!(r.status, 422, "{url}: {}", r.body);
        assert!(r.body.contains(problem), "{url}: {}", r.body);
    }
    let r = admin
        .call(
            "webhooks/create",
            &[("url", "https://93.184.215.14/h"), ("events[]", "no.such")],
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let stored = webhook_endpoint::Entity::find()
        .count(&app.server.state.db)
        .await
        .expect("count");
    assert_eq!(stored, 0);

    // An endpoint that came to point inside (its name now resolving
    // there) is refused at delivery too: the receiver is never reached.
    let endpoint = webhook_endpoint::ActiveModel {
        organization_id: Set(acme.id),
        url: Set(hook.url.clone()),
        description: Set(String::new()),
        events: Set("key.created".into()),
        secret: Set(signing::new_secret().expect("secret")),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.server.state.db)
    .await
    .expect("endpoint");
    new_key(&mut admin, "Billing").await;
    let round = sender::deliver_due(&app.server.state, app.server.state.clock.now())
        .await
        .expect("round");
    assert_eq!(round.retrying, 1);
    assert!(hook.seen().is_empty(), "never contacted");
    let d = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint.id))
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("delivery");
    assert_eq!(d.last_error.as_deref(), Some("address_not_allowed"));
}

#[tokio::test]
async fn only_manage_integrations_sees_and_changes_webhooks_of_its_own_organization() {
    let (app, _clock) = allowing_private().await;
    let hook = receiver(false).await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let other = org(&app, "admin@other.example", "Other").await;
    let mut admin = as_admin(&app, &acme);
    let (endpoint, _) = add(&mut admin, &hook.url, &["key.created"]).await;
    new_key(&mut admin, "Billing").await;
    let delivery = deliveries(&app).await[0].id.to_string();
    let id = endpoint.to_string();

    create_bot(&app, &acme, "dev-bot", role_id(&acme, "Developer")).await;
    let mut dev = signed_in(&app, "dev-bot").await;
    assert_eq!(dev.call("webhooks/list", &[]).await.status, 403);
    assert_eq!(
        dev.call(
            "webhooks/create",
            &[("url", &hook.url), ("events[]", "key.created")]
        )
        .await
        .status,
        403
    );
    assert_eq!(
        dev.call("webhooks/endpoint", &[("id", &id)]).await.status,
        403
    );

    let mut stranger = as_admin(&app, &other);
    assert_eq!(
        json(&stranger.call("webhooks/list", &[]).await)["endpoints"],
        serde_json::json!([])
    );
    for (call, form) in [
        ("webhooks/endpoint", [("id", id.as_str())]),
        ("webhooks/send-test", [("id", id.as_str())]),
        ("webhooks/delete", [("id", id.as_str())]),
        ("webhooks/resend", [("delivery", delivery.as_str())]),
    ] {
        assert_eq!(stranger.call(call, &form).await.status, 404, "{call}");
    }
    assert_eq!(
        deliveries(&app).await.len(),
        1,
        "the stranger added nothing"
    );

    // A delegated admin holding exactly Manage Integrations may; at most
    // ten endpoints.
    let role = custom_role(
        &app,
        &acme,
        "Integrations",
        &[Authority::ManageIntegrations],
    )
    .await;
    create_bot(&app, &acme, "integrator", role).await;
    let mut integrator = signed_in(&app, "integrator").await;
    for _ in 2..=10 {
        add(&mut integrator, &hook.url, &["key.deleted"]).await;
    }
    let r = integrator
        .call(
            "webhooks/create",
            &[("url", &hook.url), ("events[]", "key.created")],
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("too_many_webhooks"), "{}", r.body);
    assert_eq!(
        integrator
            .call("webhooks/delete", &[("id", &id)])
            .await
            .status,
        200
    );
    assert!(deliveries(&app).await.is_empty(), "its log went with it");
}
