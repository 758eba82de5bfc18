//! `/metrics`: served by its own router (its own address in the binary),
//! never by the public one; key checks by outcome, the cache, sign-ins and
//! the database pool are counted. The registry is the process's, shared by
//! the tests running beside this one, so each count is checked to have
//! grown at least by what this test did.
use axum::body::Body;
use axum::http::Request;
use tower::ServiceExt;

use crate::common::api::call;
use crate::common::keys::new_key;
use crate::common::{Client, TestApp, as_admin, org, read};
use app::backend::keys::format;

async fn scrape(app: &TestApp) -> String {
    let router = server::metrics::router(app.server.state.clone());
    let request = Request::get("/metrics")
        .body(Body::empty())
        .expect("request");
    let response = read(router.oneshot(request).await.expect("infallible")).await;
    assert_eq!(response.status, 200);
    assert!(
        response
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/openmetrics-text"))
    );
    response.body
}

/// The value of the sample named exactly `name` (with its labels), or 0.
fn value(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn key_checks_sign_ins_and_the_pool_are_counted_on_their_own_router() {
    let app = crate::common::app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let (id, key) = new_key(&mut admin, "Counted").await;
    let before = scrape(&app).await;

    let unknown = format::generate().expect("key").into_exposed();
    assert_eq!(
        call(&app, "GET", "/api/v1/me", Some(&key), &[], None)
            .await
            .status,
        200
    );
    assert_eq!(
        call(&app, "GET", "/api/v1/me", Some(&key), &[], None)
            .await
            .status,
        200
    );
    assert_eq!(
        call(&app, "GET", "/api/v1/me", Some(&unknown), &[], None)
            .await
            .status,
        401
    );
    let id = id.to_string();
    let off = [("id", id.as_str()), ("enabled", "false")];
    assert_eq!(admin.call("keys/set-enabled", &off).await.status, 200);
    assert_eq!(
        call(&app, "GET", "/api/v1/me", Some(&key), &[], None)
            .await
            .status,
        401
    );
    let wrong = [
        ("login", "admin@acme.example"),
        ("password", "not the password at all"),
    ];
    assert!(Client::new(&app).call("auth/sign-in", &wrong).await.status >= 400);

    let after = scrape(&app).await;
    let grew = |name: &str| value(&after, name) - value(&before, name);
    assert!(
        grew("keyhouse_key_checks_total{outcome=\"ok\"}") >= 2.0,
        "{after}"
    );
    assert!(grew("keyhouse_key_checks_total{outcome=\"unknown\"}") >= 1.0);
    assert!(grew("keyhouse_key_checks_total{outcome=\"disabled\"}") >= 1.0);
    assert!(grew("keyhouse_key_check_duration_seconds_count") >= 4.0);
    assert!(grew("keyhouse_key_cache_lookups_total{result=\"hit\"}") >= 1.0);
    assert!(grew("keyhouse_key_cache_lookups_total{result=\"miss\"}") >= 2.0);
    assert!(grew("keyhouse_sign_ins_total{result=\"failure\"}") >= 1.0);
    assert!(after.contains("keyhouse_db_connections{state=\"idle\"}"));
    assert!(!after.contains(&key[3..]), "never a key");

    // Not on the public router.
    assert_eq!(app.get("/metrics").await.status, 404);
}
