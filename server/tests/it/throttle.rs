//! Throttles that hold under parallel load: attempts are counted before the
//! password is checked, so a burst of parallel guesses gets no more through
//! to argon2 than a patient attacker would.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::common::{Client, GOOD_PASSWORD, TestApp, app, registration};
use app::backend::entities::audit_event;
use axum::{Router, body::Body, http::Request};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use tower::ServiceExt;

/// Signs in with `login` and `password` from `peer`, off the test's task,
/// once every request of the burst is ready to go.
async fn sign_in_at_once(
    router: Router,
    peer: SocketAddr,
    login: String,
    password: &'static str,
    start: Arc<tokio::sync::Barrier>,
) -> (u16, Option<String>) {
    let body = crate::common::form_encode(&[("login", &login), ("password", password)]);
    let mut request = Request::post("/rpc/auth/sign-in")
        .header("host", "keyhouse.test")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(Body::from(body))
        .expect("request");
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    start.wait().await;
    let response = router.oneshot(request).await.expect("infallible");
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (response.status().as_u16(), retry_after)
}

/// Runs every `(peer, login)` sign-in with a wrong password at once.
async fn burst(app: &TestApp, attempts: Vec<(SocketAddr, String)>) -> Vec<(u16, Option<String>)> {
    let start = Arc::new(tokio::sync::Barrier::new(attempts.len()));
    let tasks: Vec<_> = attempts
        .into_iter()
        .map(|(peer, login)| {
            let router = app.server.router.clone();
            let start = start.clone();
            tokio::spawn(sign_in_at_once(
                router,
                peer,
                login,
                "not the password",
                start,
            ))
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("task"));
    }
    results
}

/// Failed password checks recorded in the audit log: each one ran argon2.
async fn failures(app: &TestApp, column: audit_event::Column, value: &str) -> u64 {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("sign_in.failure"))
        .filter(column.eq(value))
        .count(&app.server.state.db)
        .await
        .expect("count")
}

async fn registered(app: &TestApp) {
    let r = Client::new(app)
        .call("auth/register", &registration("ada@example.com", "Acme"))
        .await;
    assert!(r.status < 400, "{}", r.body);
}

fn tally(results: &[(u16, Option<String>)]) -> (u64, u64) {
    let failed = results.iter().filter(|(s, _)| *s == 401).count() as u64;
    let throttled = results.iter().filter(|(s, _)| *s == 429).count() as u64;
    assert_eq!(
        (failed + throttled) as usize,
        results.len(),
        "only 401 and 429: {results:?}"
    );
    for (status, retry_after) in results {
        if *status == 429 {
            let seconds: u64 = retry_after
                .as_deref()
                .expect("Retry-After")
                .parse()
                .expect("seconds");
            assert!((1..=900).contains(&seconds), "{seconds}");
        }
    }
    (failed, throttled)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_parallel_guesses_at_one_account_reach_argon2_at_most_five_times() {
    let app = app().await;
    registered(&app).await;
    // From sixty addresses, so only the per-account limit applies.
    let attempts = (0..60u16)
        .map(|i| {
            let peer = SocketAddr::from(([198, 18, 0, i as u8 + 1], 40000));
            (peer, "ada@example.com".to_owned())
        })
        .collect();
    let results = burst(&app, attempts).await;
    let n = failures(&app, audit_event::Column::Target, "login:ada@example.com").await;
    eprintln!("throttle: {n} of 60 reached argon2");
    let (failed, throttled) = tally(&results);
    assert!((1..=5).contains(&n), "{n} reached argon2");
    assert_eq!(failed, n, "every check that ran failed and was logged");
    assert_eq!(throttled, 60 - n);
    let later = Client::new(&app)
        .with_ip([203, 0, 113, 5])
        .call(
            "auth/sign-in",
            &[("login", "ada@example.com"), ("password", GOOD_PASSWORD)],
        )
        .await;
    assert_eq!(later.status, 429, "the account is still locked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_guesses_from_one_address_reach_argon2_at_most_twenty_times() {
    let app = app().await;
    let peer = SocketAddr::from(([198, 51, 100, 7], 40000));
    let attempts = (0..25)
        .map(|i| (peer, format!("user{i}@example.com")))
        .collect();
    let results = burst(&app, attempts).await;
    let n = failures(&app, audit_event::Column::ClientIp, "198.51.100.7").await;
    eprintln!("throttle: {n} of 25 from one address reached argon2");
    let (failed, throttled) = tally(&results);
    assert!((1..=20).contains(&n), "{n} reached argon2");
    assert_eq!(failed, n);
    assert_eq!(throttled, 25 - n);
}

#[tokio::test]
async fn a_successful_sign_in_does_not_count_as_a_failure() {
    let app = app().await;
    registered(&app).await;
    let sign_in = |password: &'static str| {
        let app = &app;
        async move {
            Client::new(app)
                .call(
                    "auth/sign-in",
                    &[("login", "ada@example.com"), ("password", password)],
                )
                .await
                .status
        }
    };
    for _ in 0..4 {
        assert_eq!(sign_in("not the password").await, 401);
    }
    for _ in 0..3 {
        assert!(sign_in(GOOD_PASSWORD).await < 400);
    }
    assert_eq!(sign_in("not the password").await, 401, "the fifth failure");
    assert_eq!(sign_in(GOOD_PASSWORD).await, 429);
}

#[tokio::test]
async fn wrong_current_passwords_on_change_password_count_like_sign_in_failures() {
    let app = app().await;
    let mut ada = Client::new(&app);
    let r = ada
        .call("auth/register", &registration("ada@example.com", "Acme"))
        .await;
    assert!(r.status < 400, "{}", r.body);
    let new = "a much better passphrase";
    let change = |current: &'static str| {
        [
            ("current_password", current),
            ("new_password", new),
            ("new_password_confirm", new),
        ]
    };
    for _ in 0..5 {
        let r = ada
            .call("auth/change-password", &change("a guess at the password"))
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains("WrongPassword"));
    }
    let right = ada
        .call("auth/change-password", &change(GOOD_PASSWORD))
        .await;
    assert_eq!(right.status, 429, "{}", right.body);
    assert!(right.header("retry-after").is_some());
    let sign_in = Client::new(&app)
        .with_ip([203, 0, 113, 5])
        .call(
            "auth/sign-in",
            &[("login", "ada@example.com"), ("password", GOOD_PASSWORD)],
        )
        .await;
    assert_eq!(sign_in.status, 429, "the same throttle as sign-in");
    assert_eq!(
        failures(&app, audit_event::Column::Target, "login:ada@example.com").await,
        5,
        "each wrong guess is in the audit log"
    );
}

#[tokio::test]
async fn the_eleventh_sign_up_from_one_address_within_an_hour_waits() {
    let (app, clock) = crate::common::app_with_clock().await;
    for i in 0..10 {
        let email = format!("owner{i}@example.com");
        let org = format!("Acme {i}");
        let r = Client::new(&app)
            .call("auth/register", &registration(&email, &org))
            .await;
        assert!(r.status < 400, "sign-up {i}: {}", r.body);
    }
    let eleventh = Client::new(&app)
        .call("auth/register", &registration("late@example.com", "Acme"))
        .await;
    assert_eq!(eleventh.status, 429, "{}", eleventh.body);
    let wait: u64 = eleventh
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=3600).contains(&wait), "{wait}");
    let elsewhere = Client::new(&app)
        .with_ip([203, 0, 113, 5])
        .call("auth/register", &registration("late@example.com", "Late"))
        .await;
    assert!(elsewhere.status < 400, "{}", elsewhere.body);
    clock.advance(chrono::Duration::minutes(60));
    let next_hour = Client::new(&app)
        .call("auth/register", &registration("later@example.com", "Later"))
        .await;
    assert!(next_hour.status < 400, "{}", next_hour.body);
}

#[tokio::test]
async fn a_taken_email_counts_as_a_sign_up_too() {
    let app = app().await;
    registered(&app).await;
    for i in 0..9 {
        let r = Client::new(&app)
            .call("auth/register", &registration("ada@example.com", "Again"))
            .await;
        assert_eq!(r.status, 422, "attempt {i}: {}", r.body);
        assert!(r.body.contains("EmailTaken"));
    }
    let r = Client::new(&app)
        .call("auth/register", &registration("new@example.com", "New"))
        .await;
    assert_eq!(r.status, 429, "{}", r.body);
}
