//! Leak reports (`POST /api/v1/leaks`): a signed report disables every key
//! whose reported secret still works, at once, audited, with a banner on
//! the key's page; the answer tells only which tokens are ours. Unsigned or
//! wrongly signed reports change nothing; fifty copies of one report at
//! once disable and audit once; the key works again only once rolled.
use std::sync::Arc;

use crate::common::api::{call, call_from, error_code, json};
use crate::common::keys::{PAGE, new_key, status_of};
use crate::common::{TestApp, app_configured, as_admin, org};
use app::backend::auth::leak_reporters::{LeakReporters, testing::Reporter};
use app::backend::entities::audit_event;
use app::backend::keys::format;
use app::model::keys::KeyStatus;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};

async fn reported_app(reporter: &Reporter) -> TestApp {
    let pem = reporter.public_pem();
    app_configured(|config| {
        config.leak_report_keys = Some(LeakReporters::from_pem(&pem).expect("pem"));
    })
    .await
    .0
}

fn report_body(tokens: &[&str]) -> String {
    let reports: Vec<serde_json::Value> = tokens
        .iter()
        .map(|t| {
            serde_json::json!({
                "token": t, "type": "keyhouse_api_key",
                "url": "https://github.com/acme/site/blob/main/.env", "source": "commit",
            })
        })
        .collect();
    serde_json::Value::Array(reports).to_string()
}

async fn send(app: &TestApp, body: &str, signature: Option<&str>) -> crate::common::TestResponse {
    let headers: Vec<(&str, &str)> = signature
        .map(|s| vec![("keyhouse-signature", s)])
        .unwrap_or_default();
    call_from(
        app,
        9,
        "POST",
        "/api/v1/leaks",
        None,
        &headers,
        Some(body.to_owned()),
    )
    .await
}

async fn leaked_rows(app: &TestApp) -> Vec<audit_event::Model> {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("key.leaked"))
        .all(&app.server.state.db)
        .await
        .expect("audit")
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn a_signed_report_disables_the_keys_found_and_says_only_which_are_ours() {
    let reporter = Reporter::generate();
    let app = reported_app(&reporter).await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let other = org(&app, "admin@other.example", "Other").await;
    let mut admin = as_admin(&app, &acme);
    let (leaky_id, leaky) = new_key(&mut admin, "Leaky").await;
    let (_, safe) = new_key(&mut admin, "Safe").await;
    let (_, theirs) = new_key(&mut as_admin(&app, &other), "Theirs").await;
    let unknown = format::generate().expect("key").into_exposed();

    let body = report_body(&[&leaky, &unknown, "not a key at all", &theirs]);
    let r = send(&app, &body, Some(&reporter.sign(body.as_bytes()))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    for secret in [&leaky, &theirs, &unknown] {
        assert!(
            !r.body.contains(secret.as_str()),
            "a token sent back: {}",
            r.body
        );
    }
    let verdicts = json(&r);
    let labels: Vec<&str> = verdicts
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v["label"].as_str().expect("label"))
        .collect();
    assert_eq!(
        labels,
        [
            "true_positive",
            "false_positive",
            "false_positive",
            "true_positive"
        ]
    );
    assert_eq!(verdicts[0]["token_hash"], sha256_hex(&leaky));
    assert_eq!(verdicts[1]["token_type"], "keyhouse_api_key");

    // At once: the cache is cleared by the same commit.
    assert_eq!(status_of(&app, &leaky).await, Some(KeyStatus::Leaked));
    assert_eq!(status_of(&app, &theirs).await, Some(KeyStatus::Leaked));
    assert_eq!(status_of(&app, &safe).await, Some(KeyStatus::Active));
    let me = call(&app, "GET", "/api/v1/me", Some(&leaky), &[], None).await;
    assert_eq!((me.status, error_code(&me).as_str()), (401, "leaked"));

    // One audit row per key, each in the key's own organization, by no user.
    let rows = leaked_rows(&app).await;
    assert_eq!(rows.len(), 2);
    let ours = rows
        .iter()
        .find(|r| r.organization_id == Some(acme.id))
        .expect("Acme's row");
    assert_eq!(
        ours.target.as_deref(),
        Some(format!("key:{leaky_id}").as_str())
    );
    assert_eq!(ours.actor_user_id, None);
    let details = ours.details.as_deref().expect("details");
    assert!(
        details.contains("https://github.com/acme/site/blob/main/.env"),
        "{details}"
    );
    assert!(
        details.contains("commit") && !details.contains(&leaky[4..]),
        "{details}"
    );
    assert!(rows.iter().any(|r| r.organization_id == Some(other.id)));

    // The key's page: a red banner saying when, where, by whom; Leaked in
    // the list, without an Enable button.
    let page = admin.get(&format!("{PAGE}/keys/{leaky_id}")).await;
    assert!(page.body.contains("data-testid=\"leak-banner\""), "banner");
    assert!(page.body.contains("role=\"alert\""));
    assert!(page.body.contains("Reported as leaked at "));
    assert!(
        page.body
            .contains("https://github.com/acme/site/blob/main/.env")
    );
    let list = admin.get(PAGE).await;
    assert!(
        list.body.contains("key-status-leaked"),
        "Leaked in the list"
    );
    assert!(!list.body.contains("aria-label=\"Enable Leaky\""));
    // Another organization's page shows nothing of it.
    let stranger = as_admin(&app, &other)
        .get(&format!("{PAGE}/keys/{leaky_id}"))
        .await;
    assert!(!stranger.body.contains("leak-banner"));

    // Enable is refused until the key is rolled, by the page and the API.
    let id = leaky_id.to_string();
    let enable = admin
        .call("keys/set-enabled", &[("id", &id), ("enabled", "true")])
        .await;
    assert_eq!(enable.status, 409, "{}", enable.body);
    assert!(enable.body.contains("key_leaked"), "{}", enable.body);
    assert_eq!(status_of(&app, &leaky).await, Some(KeyStatus::Leaked));

    // Rolled, even with a grace period asked for, the leaked secret ends
    // at once; the new one works once the key is enabled.
    let rolled = admin
        .call("keys/roll", &[("id", &id), ("grace_hours", "24")])
        .await;
    assert_eq!(rolled.status, 200, "{}", rolled.body);
    let fresh = json(&rolled)["key"].as_str().expect("key").to_owned();
    assert_eq!(status_of(&app, &leaky).await, Some(KeyStatus::Expired));
    assert_eq!(status_of(&app, &fresh).await, Some(KeyStatus::Disabled));
    let enable = admin
        .call("keys/set-enabled", &[("id", &id), ("enabled", "true")])
        .await;
    assert_eq!(enable.status, 200, "{}", enable.body);
    assert_eq!(status_of(&app, &fresh).await, Some(KeyStatus::Active));
    assert_eq!(status_of(&app, &leaky).await, Some(KeyStatus::Expired));
    let page = admin.get(&format!("{PAGE}/keys/{leaky_id}")).await;
    assert!(
        !page.body.contains("leak-banner"),
        "the banner goes with the roll"
    );

    // The old secret reported again: ours, but it opens nothing, so the
    // key is left alone.
    let body = report_body(&[&leaky]);
    let r = send(&app, &body, Some(&reporter.sign(body.as_bytes()))).await;
    assert_eq!(json(&r)[0]["label"], "true_positive");
    assert_eq!(status_of(&app, &fresh).await, Some(KeyStatus::Active));
    assert_eq!(leaked_rows(&app).await.len(), 2);
}

#[tokio::test]
async fn reports_without_a_good_signature_change_nothing() {
    let reporter = Reporter::generate();
    let app = reported_app(&reporter).await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let (_, key) = new_key(&mut as_admin(&app, &acme), "Target").await;
    let body = report_body(&[&key]);
    let stranger = Reporter::generate();
    let other_body = report_body(&[]);
    let refused = [
        ("no signature", None),
        ("not base64", Some("%%%".to_owned())),
        (
            "a key nobody configured",
            Some(stranger.sign(body.as_bytes())),
        ),
        (
            "over another body",
            Some(reporter.sign(other_body.as_bytes())),
        ),
    ];
    for (case, signature) in refused {
        let r = send(&app, &body, signature.as_deref()).await;
        assert_eq!(r.status, 401, "{case}: {}", r.body);
        assert_eq!(error_code(&r), "invalid_signature", "{case}");
        assert!(!r.body.contains(&key), "{case}");
    }
    // GitHub's header name works as well; a signed body of the wrong shape
    // or size is a clear 400.
    let r = call_from(
        &app,
        9,
        "POST",
        "/api/v1/leaks",
        None,
        &[(
            "github-public-key-signature",
            &reporter.sign(other_body.as_bytes()),
        )],
        Some(other_body.clone()),
    )
    .await;
    assert_eq!((r.status, r.body.as_str()), (200, "[]"));
    for bad in ["{\"token\": \"x\"}".to_owned(), report_body(&["x"; 1001])] {
        let r = send(&app, &bad, Some(&reporter.sign(bad.as_bytes()))).await;
        assert_eq!(r.status, 400, "{}", r.body);
    }
    assert_eq!(status_of(&app, &key).await, Some(KeyStatus::Active));
    assert!(leaked_rows(&app).await.is_empty());

    // An instance with no reporter configured refuses every report.
    let bare = crate::common::app().await;
    let r = send(&bare, &body, Some(&reporter.sign(body.as_bytes()))).await;
    assert_eq!(r.status, 401, "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_copies_of_a_report_at_once_disable_and_audit_once() {
    let reporter = Reporter::generate();
    let app = Arc::new(reported_app(&reporter).await);
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let (_, first) = new_key(&mut admin, "First").await;
    let (_, second) = new_key(&mut admin, "Second").await;
    let body = report_body(&[&first, &second]);
    let signature = reporter.sign(body.as_bytes());
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (app, body, signature) = (app.clone(), body.clone(), signature.clone());
        tasks.spawn(async move { send(&app, &body, Some(&signature)).await });
    }
    for r in tasks.join_all().await {
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(json(&r)[1]["label"], "true_positive");
    }
    assert_eq!(leaked_rows(&app).await.len(), 2, "one row per key");
    assert_eq!(status_of(&app, &first).await, Some(KeyStatus::Leaked));
    assert_eq!(status_of(&app, &second).await, Some(KeyStatus::Leaked));
}
