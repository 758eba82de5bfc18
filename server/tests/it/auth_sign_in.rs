//! Sign-in through the real router, with a manual clock for the throttle
//! window: unknown user and wrong password look the same, failures lock the
//! account and block the address, and a plain form post works without
//! JavaScript.

use crate::auth::{login, registered};
use crate::common::{Client, GOOD_PASSWORD, app, app_with_clock};
use app::backend::entities::audit_event;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

#[tokio::test]
async fn unknown_user_and_wrong_password_look_the_same() {
    let app = app().await;
    registered(&app).await;
    let wrong = Client::new(&app)
        .call(
            "auth/sign-in",
            &login("ada@example.com", "wrong password 123"),
        )
        .await;
    let unknown = Client::new(&app)
        .call(
            "auth/sign-in",
            &login("nobody@example.com", "wrong password 123"),
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!((wrong.status, &wrong.body), (unknown.status, &unknown.body));
    let failures = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("sign_in.failure"))
        .all(&app.server.state.db)
        .await
        .expect("audit");
    assert_eq!(failures.len(), 2);
    for failure in failures {
        assert_eq!(failure.client_ip.as_deref(), Some("192.0.2.10"));
        assert_eq!(failure.user_agent.as_deref(), Some("keyhouse-tests/1.0"));
        assert!(
            !format!("{failure:?}").contains("wrong password"),
            "no secret in audit"
        );
    }
}

#[tokio::test]
async fn five_failures_lock_the_account_for_fifteen_minutes() {
    let (app, clock) = app_with_clock().await;
    registered(&app).await;
    for _ in 0..5 {
        let r = Client::new(&app)
            .call(
                "auth/sign-in",
                &login("ada@example.com", "not the password"),
            )
            .await;
        assert_eq!(r.status, 401);
    }
    let locked = Client::new(&app)
        .call("auth/sign-in", &login("ada@example.com", GOOD_PASSWORD))
        .await;
    assert_eq!(locked.status, 429, "even the right password waits");
    let retry: u64 = locked
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=900).contains(&retry), "{retry}");
    clock.advance(chrono::Duration::minutes(15));
    let later = Client::new(&app)
        .call("auth/sign-in", &login("ada@example.com", GOOD_PASSWORD))
        .await;
    assert!(later.status < 400, "window passed: {}", later.body);
}

#[tokio::test]
async fn twenty_failures_from_one_ip_block_it_whatever_x_forwarded_for_says() {
    let app = app().await;
    registered(&app).await;
    for i in 0..20 {
        let mut client = Client::new(&app).with_ip([198, 51, 100, 7]);
        client
            .headers
            .push(("x-forwarded-for".into(), format!("10.9.8.{i}")));
        let user = format!("user{i}@example.com");
        let r = client
            .call("auth/sign-in", &login(&user, "not the password"))
            .await;
        assert_eq!(r.status, 401, "attempt {i}");
    }
    let mut client = Client::new(&app).with_ip([198, 51, 100, 7]);
    client
        .headers
        .push(("x-forwarded-for".into(), "10.0.0.99".into()));
    let blocked = client
        .call("auth/sign-in", &login("ada@example.com", GOOD_PASSWORD))
        .await;
    assert_eq!(
        blocked.status, 429,
        "spoofed header does not reset the count"
    );
    let other_ip = Client::new(&app).with_ip([203, 0, 113, 5]);
    let mut other_ip = other_ip;
    let ok = other_ip
        .call("auth/sign-in", &login("ada@example.com", GOOD_PASSWORD))
        .await;
    assert!(
        ok.status < 400,
        "another client is not blocked: {}",
        ok.body
    );
}

#[tokio::test]
async fn plain_form_post_signs_in_and_redirects_without_javascript() {
    let app = app().await;
    registered(&app).await;
    let mut client = Client::new(&app);
    let builder = axum::http::Request::post("/rpc/auth/sign-in")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html,application/xhtml+xml")
        .header("referer", "http://keyhouse.test/login");
    let body = crate::common::form_encode(&login("ada@example.com", GOOD_PASSWORD));
    let response = client.request(builder, body).await;
    assert!((300..400).contains(&response.status), "{}", response.status);
    assert_eq!(response.header("location"), Some("/"));
    assert!(client.cookie.is_some());

    let mut failing = Client::new(&app);
    let builder = axum::http::Request::post("/rpc/auth/sign-in")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html")
        .header("referer", "http://keyhouse.test/login");
    let body = crate::common::form_encode(&login("ada@example.com", "not the password"));
    let response = failing.request(builder, body).await;
    assert!((300..400).contains(&response.status));
    let location = response.header("location").expect("back to the form");
    assert!(
        location.contains("/login") && location.contains("__err"),
        "{location}"
    );
    assert!(!location.contains("not%20the%20password") && !location.contains("not the password"));
}
