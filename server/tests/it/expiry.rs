//! Expiry signals to the callers: forward-auth names when the key expires
//! (`X-Keyhouse-Key-Expires`, RFC 3339) and, within its last 7 days, says
//! so the RFC 8594 way (`Sunset`, an HTTP-date) for the proxy to pass on;
//! `/me` and verify return `expires_at`.
use crate::common::api::{call, json};
use crate::common::{app_with_clock, as_admin, org};
use chrono::{DateTime, Duration};

#[tokio::test]
async fn forward_auth_names_the_expiry_and_a_sunset_in_the_last_week() {
    let (app, clock) = app_with_clock().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let (_, expiring) = crate::common::api::new_key(&mut admin, "Thirty days", &[]).await;
    let (_, forever) = crate::common::keys::new_key(&mut admin, "Forever").await;
    let auth = |key: String| {
        let app = &app;
        async move { call(app, "GET", "/api/v1/orgs/acme/auth", Some(&key), &[], None).await }
    };

    let r = auth(expiring.clone()).await;
    assert_eq!(r.status, 204);
    let expires = r
        .header("x-keyhouse-key-expires")
        .expect("expiry")
        .to_owned();
    let at = DateTime::parse_from_rfc3339(&expires).expect("RFC 3339");
    let in_days = (at.to_utc() - clock_now(&app)).num_days();
    assert!((29..=30).contains(&in_days), "{expires}");
    assert_eq!(r.header("sunset"), None, "not yet within a week");
    let me = json(&call(&app, "GET", "/api/v1/me", Some(&expiring), &[], None).await);
    assert_eq!(
        DateTime::parse_from_rfc3339(me["expires_at"].as_str().expect("expires_at")).expect("date"),
        at
    );

    clock.advance(Duration::days(24));
    let r = auth(expiring.clone()).await;
    assert_eq!(r.status, 204);
    let sunset = r.header("sunset").expect("a sunset within the last week");
    assert!(sunset.ends_with(" GMT"), "{sunset}");
    // An HTTP-date has whole seconds.
    assert_eq!(
        DateTime::parse_from_rfc2822(sunset)
            .expect("HTTP-date")
            .timestamp(),
        at.timestamp()
    );

    let r = auth(forever).await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("x-keyhouse-key-expires"), None);
    assert_eq!(r.header("sunset"), None);
}

fn clock_now(app: &crate::common::TestApp) -> DateTime<chrono::Utc> {
    app.server.state.clock.now()
}
