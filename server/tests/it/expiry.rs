//! Expiry signals to the callers: forward-auth names when the key expires
//! (`X-Keyhouse-Key-Expires`, RFC 3339) and, within its last 7 days, says
//! so the RFC 8594 way (`Sunset`, an HTTP-date) for the proxy to pass on;
//! `/me` and verify return `expires_at`; and to the owner, a banner on
//! the key list and the home page for their keys expiring within a week.
use crate::common::api::{call, json};
use crate::common::keys::{PAGE, new_key};
use crate::common::{Client, app_with_clock, as_admin, create_bot, org, role_id, signed_in};
use app::backend::clock::Clock;
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

/// The expiring-keys banner's own markup, if the page has one.
fn banner_of(html: &str) -> Option<&str> {
    let start = html.find("data-testid=\"expiring-banner\"")?;
    let end = html[start..].find("</section>")? + start;
    Some(&html[start..end])
}

#[tokio::test]
async fn the_key_list_and_home_page_warn_of_ones_own_keys_expiring_within_a_week() {
    let (app, clock) = app_with_clock().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let soon = (clock.now() + Duration::days(3))
        .format("%Y-%m-%d")
        .to_string();
    let r = admin
        .call(
            "keys/create",
            &[
                ("name", "Ends soon"),
                ("expires", "date"),
                ("expires_on", &soon),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    new_key(&mut admin, "Forever").await;
    crate::common::api::new_key(&mut admin, "Thirty days", &[]).await;
    for path in [PAGE, "/"] {
        let page = admin.get(path).await;
        let banner = banner_of(&page.body).expect(path);
        assert!(banner.contains("Ends soon"), "{path}");
        assert!(!banner.contains("Thirty days"), "{path}: not within a week");
        assert!(!banner.contains("Forever"), "{path}");
    }
    // Another member's banner does not name the Admin's key; signed out,
    // the home page has none.
    create_bot(&app, &acme, "dev-bot", role_id(&acme, "Developer")).await;
    let mut dev = signed_in(&app, "dev-bot").await;
    assert!(!dev.get("/").await.body.contains("expiring-banner"));
    assert!(
        !Client::new(&app)
            .get("/")
            .await
            .body
            .contains("expiring-banner")
    );
    // Past its expiry it is no longer "expiring".
    clock.advance(Duration::days(5));
    assert!(!admin.get("/").await.body.contains("expiring-banner"));
}
