//! The HTTP API's limits and usage records, over the real router: verify is
//! rate-limited per client address, a key over its own rate limit gets 429
//! (and `rate_limited` from verify), and each use is recorded off the
//! request path and reaches the key's page as requests per day and
//! addresses.

use crate::api::{auth, me, verifier, verify};
use crate::common::api::{call, call_from, error_code, new_key};
use crate::common::{TestApp, TestResponse, app, app_with_clock, as_admin, org, signed_in};
use app::backend::entities::{api_key, api_key_secret};
use sea_orm::EntityTrait;

#[tokio::test]
async fn use_is_recorded_off_the_request_path() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let (id, key) = new_key(&mut admin, "Used", &[]).await;
    assert_eq!(auth(&app, Some(&key), None).await.status, 204);
    let before = api_key::Entity::find_by_id(id.parse::<i64>().expect("id"))
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("key");
    assert!(
        before.last_used_at.is_none(),
        "nothing written on the request"
    );
    let written = app
        .server
        .state
        .usage
        .flush(&app.server.state.db)
        .await
        .expect("flush");
    assert_eq!(written, 1);
    let after = api_key::Entity::find_by_id(before.id)
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("key");
    assert!(after.last_used_at.is_some());
    assert_eq!(after.last_used_ip.as_deref(), Some("192.0.2.77"));
    let secret = api_key_secret::Entity::find()
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("secret");
    assert_eq!(secret.last_used_ip.as_deref(), Some("192.0.2.77"));
    let list = admin.call("keys/list", &[]).await;
    assert!(list.body.contains("192.0.2.77"), "{}", list.body);
}

#[tokio::test]
async fn verify_is_rate_limited_per_client_ip() {
    let app = app().await;
    let mut limited = None;
    for i in 0..700 {
        let body = serde_json::json!({ "key": "kh_x" }).to_string();
        let r = call(&app, "POST", "/api/v1/keys/verify", None, &[], Some(body)).await;
        if r.status == 429 {
            limited = Some((i, r));
            break;
        }
    }
    let (i, r) = limited.expect("limited");
    assert_eq!(i, 600);
    assert!(r.header("retry-after").is_some());
    assert_eq!(error_code(&r), "too_many_requests");
    let bad = call(
        &app,
        "POST",
        "/api/v1/keys/verify",
        None,
        &[],
        Some("{".into()),
    )
    .await;
    assert_eq!(bad.status, 429, "still limited");
}

#[tokio::test]
async fn a_key_over_its_own_rate_limit_gets_429() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let other = org(&app, "admin@other.example", "Other").await;
    let mut admin = as_admin(&app, &acme);
    let (id, key) = new_key(&mut admin, "Limited", &[]).await;
    let limit_of = |details: &TestResponse| {
        serde_json::from_str::<serde_json::Value>(&details.body).expect("json")["rate_limit_per_minute"]
            .clone()
    };
    // Bad input: a clear 422 and nothing changes; another organization's
    // Admin does not find the key.
    for bad in ["0", "-5", "abc", "1.5", "1000001"] {
        let r = admin
            .call("keys/set-rate-limit", &[("id", &id), ("per_minute", bad)])
            .await;
        assert_eq!(r.status, 422, "{bad}: {}", r.body);
    }
    let r = as_admin(&app, &other)
        .call("keys/set-rate-limit", &[("id", &id), ("per_minute", "1")])
        .await;
    assert_eq!(r.status, 404);
    let details = admin.call("keys/details", &[("id", &id)]).await;
    assert!(limit_of(&details).is_null());

    let r = admin
        .call("keys/set-rate-limit", &[("id", &id), ("per_minute", "3")])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let details = admin.call("keys/details", &[("id", &id)]).await;
    assert_eq!(limit_of(&details), 3);
    for _ in 0..3 {
        assert_eq!(auth(&app, Some(&key), None).await.status, 204);
    }
    let r = auth(&app, Some(&key), None).await;
    assert_eq!(r.status, 429, "{}", r.body);
    assert_eq!(error_code(&r), "too_many_requests");
    let wait: u64 = r
        .header("retry-after")
        .expect("retry-after")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&wait));
    assert_eq!(me(&app, Some(&key)).await.status, 429);
    // Removing the limit puts the key back to work at once.
    admin
        .call("keys/set-rate-limit", &[("id", &id), ("per_minute", "")])
        .await;
    assert_eq!(auth(&app, Some(&key), None).await.status, 204);
    let audit = admin
        .call(
            "audit/list",
            &[
                ("filter[actor]", ""),
                ("filter[action]", "key.rate_limit_changed"),
                ("filter[from]", ""),
                ("filter[to]", ""),
                ("filter[page]", "1"),
            ],
        )
        .await;
    assert!(
        audit.body.contains("key.rate_limit_changed"),
        "{}",
        audit.body
    );
}

#[tokio::test]
async fn usage_per_day_and_addresses_reach_the_detail_page() {
    let (app, clock) = app_with_clock().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let (id, key) = new_key(&mut admin, "Counted", &[]).await;
    let (gone_id, gone) = new_key(&mut admin, "Deleted before the flush", &[]).await;
    let bearer = format!("Bearer {key}");
    for ip in [10, 10, 11] {
        let r = call_from(
            &app,
            ip,
            "GET",
            "/api/v1/orgs/acme/auth",
            Some(&bearer),
            &[],
            None,
        )
        .await;
        assert_eq!(r.status, 204);
        clock.advance(chrono::Duration::seconds(1));
    }
    assert_eq!(auth(&app, Some(&gone), None).await.status, 204);
    admin.call("keys/delete", &[("id", &gone_id)]).await;
    let state = &app.server.state;
    state.usage.flush(&state.db).await.expect("flush");
    clock.advance(chrono::Duration::days(1));
    state.key_cache.clear();
    let r = call_from(&app, 12, "GET", "/api/v1/me", Some(&bearer), &[], None).await;
    assert_eq!(r.status, 200);
    state.usage.flush(&state.db).await.expect("flush");

    // A day later the session has ended: sign in again.
    let mut admin = signed_in(&app, "admin@acme.example").await;
    let details = admin.call("keys/details", &[("id", &id)]).await;
    let details: serde_json::Value = serde_json::from_str(&details.body).expect("json");
    let usage = details["usage"]
        .as_array()
        .unwrap_or_else(|| panic!("{details}"));
    assert_eq!(usage.len(), 30);
    let counts: Vec<u64> = usage
        .iter()
        .map(|d| d["requests"].as_u64().expect("n"))
        .collect();
    assert_eq!(&counts[28..], &[3, 1], "{usage:?}");
    assert_eq!(counts.iter().sum::<u64>(), 4);
    let today = clock_today(&app);
    assert_eq!(usage[29]["day"], today);
    let ips: Vec<&str> = details["used_from"]
        .as_array()
        .expect("ips")
        .iter()
        .map(|a| a["ip"].as_str().expect("ip"))
        .collect();
    // Latest first.
    assert_eq!(ips, ["192.0.2.12", "192.0.2.11", "192.0.2.10"]);
    assert_eq!(details["used_from"][2]["requests"], 2);
    // The page shows the chart and the addresses.
    let page = admin
        .get(&format!("/settings/integrations/public-api/keys/{id}"))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("data-testid=\"usage-chart\""), "chart");
    assert!(page.body.contains("192.0.2.10"));
}

fn clock_today(app: &TestApp) -> String {
    app.server
        .state
        .clock
        .now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string()
}

#[tokio::test]
async fn verify_says_rate_limited_for_a_key_over_its_own_limit() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let (id, key) = new_key(&mut admin, "Limited", &[]).await;
    let checker = verifier(&mut admin).await;
    admin
        .call("keys/set-rate-limit", &[("id", &id), ("per_minute", "1")])
        .await;
    assert_eq!(verify(&app, &checker, &key, None).await["valid"], true);
    let v = verify(&app, &checker, &key, None).await;
    assert_eq!(v["valid"], false, "{v}");
    assert_eq!(v["reason"], "rate_limited");
}
