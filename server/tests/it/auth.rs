//! Sign-up, sign-in, sign-out and sessions through the real router, with a
//! manual clock for the timeouts and the throttle window.
mod common;

use app::backend::entities::{audit_event, membership, organization, role, role_authority, user};
use common::{Client, GOOD_PASSWORD, app, app_with_clock, registration};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

async fn count<E>(app: &common::TestApp) -> u64
where
    E: EntityTrait,
    E::Model: Sync,
{
    E::find().count(&app.server.state.db).await.expect("count")
}

async fn actions(app: &common::TestApp) -> Vec<String> {
    audit_event::Entity::find()
        .all(&app.server.state.db)
        .await
        .expect("audit")
        .into_iter()
        .map(|e| e.action)
        .collect()
}

#[tokio::test]
async fn sign_up_creates_organization_admin_and_signs_in() {
    let app = app().await;
    let mut client = Client::new(&app);
    let response = client
        .call(
            "auth/register",
            &registration("Ada@Example.com", "Acme Warsaw"),
        )
        .await;
    assert!(
        response.status < 400,
        "{} {}",
        response.status,
        response.body
    );
    assert!(client.cookie.is_some(), "signed in");

    let me = client.me().await;
    assert_eq!(me["name"], "Ada Lovelace");
    assert_eq!(me["username"], "ada@example.com");
    assert_eq!(me["organization"], "Acme Warsaw");
    assert_eq!(me["role"], "Admin");
    assert_eq!(me["authorities"].as_array().map(Vec::len), Some(6));

    assert_eq!(count::<organization::Entity>(&app).await, 1);
    assert_eq!(
        count::<role::Entity>(&app).await,
        3,
        "Admin, Developer, Member"
    );
    assert_eq!(
        count::<role_authority::Entity>(&app).await,
        7,
        "6 for Admin, 1 for Developer"
    );
    assert_eq!(count::<membership::Entity>(&app).await, 1);
    let stored = user::Entity::find()
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("user");
    assert!(stored.password_hash.starts_with("$argon2id$"));
    assert_eq!(stored.kind, "human");
    let actions = actions(&app).await;
    for expected in ["organization.created", "user.created", "sign_in.success"] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} in {actions:?}"
        );
    }
}

#[tokio::test]
async fn bad_sign_up_input_is_refused_and_changes_nothing() {
    let app = app().await;
    let long = "x".repeat(101);
    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (vec![("name", "")], "Name", "Required"),
        (vec![("name", &long)], "Name", "TooLong"),
        (vec![("name", "Ada\u{7}")], "Name", "ControlCharacters"),
        (vec![("email", "not-an-email")], "Email", "InvalidEmail"),
        (
            vec![("password", "short"), ("password_confirm", "short")],
            "Password",
            "PasswordTooShort",
        ),
        (
            vec![
                ("password", "QWERTY123456"),
                ("password_confirm", "QWERTY123456"),
            ],
            "Password",
            "PasswordTooCommon",
        ),
        (
            vec![("password_confirm", "correct horse battery stable")],
            "PasswordConfirm",
            "PasswordMismatch",
        ),
        (vec![("location_name", "   ")], "LocationName", "Required"),
    ];
    for (overrides, field, problem) in cases {
        let mut form = registration("ada@example.com", "Acme");
        for (k, v) in &overrides {
            form.retain(|(key, _)| key != k);
            form.push((*k, *v));
        }
        let mut client = Client::new(&app);
        let response = client.call("auth/register", &form).await;
        assert_eq!(response.status, 422, "{overrides:?}: {}", response.body);
        let body: serde_json::Value = serde_json::from_str(&response.body).expect("json");
        let errors = body["Invalid"].as_array().expect("field errors");
        assert!(
            errors
                .iter()
                .any(|e| e["field"] == field && e["problem"] == problem),
            "{overrides:?} → {errors:?}"
        );
        assert!(client.cookie.is_none(), "not signed in");
        assert!(!response.body.contains(GOOD_PASSWORD));
    }
    assert_eq!(count::<user::Entity>(&app).await, 0);
    assert_eq!(count::<organization::Entity>(&app).await, 0);
    assert_eq!(count::<audit_event::Entity>(&app).await, 0);
}

#[tokio::test]
async fn duplicate_email_is_refused() {
    let app = app().await;
    let first = Client::new(&app)
        .call("auth/register", &registration("ada@example.com", "A"))
        .await;
    assert!(first.status < 400);
    let again = Client::new(&app)
        .call("auth/register", &registration("ADA@example.com", "B"))
        .await;
    assert_eq!(again.status, 422);
    assert!(again.body.contains("EmailTaken"), "{}", again.body);
    assert_eq!(count::<user::Entity>(&app).await, 1);
    assert_eq!(count::<organization::Entity>(&app).await, 1);
}

async fn registered(app: &common::TestApp) {
    let response = Client::new(app)
        .call("auth/register", &registration("ada@example.com", "Acme"))
        .await;
    assert!(response.status < 400, "{}", response.body);
}

fn login<'a>(login: &'a str, password: &'a str) -> [(&'static str, &'a str); 2] {
    [("login", login), ("password", password)]
}

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
async fn sign_in_rotates_the_session_id() {
    let app = app().await;
    registered(&app).await;
    let mut client = Client::new(&app);
    assert!(
        client
            .call("auth/sign-in", &login("ada@example.com", GOOD_PASSWORD))
            .await
            .status
            < 400
    );
    let first = client.cookie.clone().expect("cookie");
    assert!(
        client
            .call("auth/sign-in", &login("ADA@example.com", GOOD_PASSWORD))
            .await
            .status
            < 400
    );
    let second = client.cookie.clone().expect("cookie");
    assert_ne!(first, second, "new id at sign-in");
    let mut stale = Client::new(&app);
    stale.cookie = Some(first);
    assert!(stale.me().await.is_null(), "the old id no longer signs in");
    assert_eq!(client.me().await["name"], "Ada Lovelace");
}

#[tokio::test]
async fn signed_out_session_cannot_be_replayed() {
    let app = app().await;
    registered(&app).await;
    let mut client = Client::new(&app);
    client
        .call("auth/sign-in", &login("ada@example.com", GOOD_PASSWORD))
        .await;
    let cookie = client.cookie.clone().expect("cookie");
    let out = client.call("auth/sign-out", &[]).await;
    assert!(out.status < 400, "{}", out.body);
    let mut replay = Client::new(&app);
    replay.cookie = Some(cookie);
    assert!(replay.me().await.is_null());
    assert!(actions(&app).await.iter().any(|a| a == "sign_out"));
}

#[tokio::test]
async fn idle_timeout_ends_the_session() {
    let (app, clock) = app_with_clock().await;
    registered(&app).await;
    let mut client = Client::new(&app);
    client
        .call("auth/sign-in", &login("ada@example.com", GOOD_PASSWORD))
        .await;
    clock.advance(chrono::Duration::minutes(29));
    assert!(
        !client.me().await.is_null(),
        "29 idle minutes: still signed in"
    );
    clock.advance(chrono::Duration::minutes(29));
    assert!(
        !client.me().await.is_null(),
        "activity resets the idle timer"
    );
    clock.advance(chrono::Duration::minutes(31));
    assert!(client.me().await.is_null(), "31 idle minutes: signed out");
}

#[tokio::test]
async fn absolute_timeout_ends_even_an_active_session() {
    let (app, clock) = app_with_clock().await;
    registered(&app).await;
    let mut client = Client::new(&app);
    client
        .call("auth/sign-in", &login("ada@example.com", GOOD_PASSWORD))
        .await;
    for _ in 0..35 {
        clock.advance(chrono::Duration::minutes(20));
        assert!(!client.me().await.is_null());
    }
    clock.advance(chrono::Duration::minutes(21));
    assert!(
        client.me().await.is_null(),
        "12 h after sign-in: signed out"
    );
}

#[tokio::test]
async fn deactivated_user_is_signed_out_on_the_next_request() {
    use sea_orm::{ActiveModelTrait, Set};
    let app = app().await;
    let mut client = Client::new(&app);
    client
        .call("auth/register", &registration("ada@example.com", "Acme"))
        .await;
    let stored = user::Entity::find()
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("user");
    let mut active: user::ActiveModel = stored.into();
    active.status = Set("inactive".into());
    active
        .update(&app.server.state.db)
        .await
        .expect("deactivate");
    assert!(client.me().await.is_null());
    let again = Client::new(&app)
        .call("auth/sign-in", &login("ada@example.com", GOOD_PASSWORD))
        .await;
    assert_eq!(again.status, 401, "an inactive user cannot sign in");
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
async fn cross_site_requests_are_refused_and_change_nothing() {
    let app = app().await;
    for (header, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let mut client = Client::new(&app);
        client.headers.push((header.into(), value.into()));
        let response = client
            .call("auth/register", &registration("ada@example.com", "Acme"))
            .await;
        assert_eq!(response.status, 403, "{header}");
        assert!(client.cookie.is_none());
    }
    assert_eq!(count::<user::Entity>(&app).await, 0);
    let mut same_origin = Client::new(&app);
    same_origin
        .headers
        .push(("origin".into(), "http://keyhouse.test".into()));
    let ok = same_origin
        .call("auth/register", &registration("ada@example.com", "Acme"))
        .await;
    assert!(ok.status < 400, "{}", ok.body);
}

#[tokio::test]
async fn plain_form_post_signs_in_and_redirects_without_javascript() {
    let app = app().await;
    registered(&app).await;
    let mut client = Client::new(&app);
    let builder = axum::http::Request::post("/api/auth/sign-in")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html,application/xhtml+xml")
        .header("referer", "http://keyhouse.test/login");
    let body = common::form_encode(&login("ada@example.com", GOOD_PASSWORD));
    let response = client.request(builder, body).await;
    assert!((300..400).contains(&response.status), "{}", response.status);
    assert_eq!(response.header("location"), Some("/"));
    assert!(client.cookie.is_some());

    let mut failing = Client::new(&app);
    let builder = axum::http::Request::post("/api/auth/sign-in")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html")
        .header("referer", "http://keyhouse.test/login");
    let body = common::form_encode(&login("ada@example.com", "not the password"));
    let response = failing.request(builder, body).await;
    assert!((300..400).contains(&response.status));
    let location = response.header("location").expect("back to the form");
    assert!(
        location.contains("/login") && location.contains("__err"),
        "{location}"
    );
    assert!(!location.contains("not%20the%20password") && !location.contains("not the password"));
}

#[tokio::test]
async fn a_taken_email_is_reported_with_the_other_problems() {
    let app = app().await;
    registered(&app).await;
    let mut form = registration("ada@example.com", "Acme");
    form.retain(|(k, _)| *k != "password_confirm");
    form.push(("password_confirm", "not the same password"));
    let response = Client::new(&app).call("auth/register", &form).await;
    assert_eq!(response.status, 422);
    assert!(response.body.contains("EmailTaken") && response.body.contains("PasswordMismatch"));
}

#[tokio::test]
async fn pages_show_the_signed_in_user_in_the_html_itself() {
    let app = app().await;
    let mut client = Client::new(&app);
    client
        .call(
            "auth/register",
            &registration("ada@example.com", "Acme Warsaw"),
        )
        .await;
    let page = client.get("/").await;
    assert_eq!(page.status, 200);
    let menu = page
        .body
        .find("data-testid=\"user-name\"")
        .expect("user in the menu");
    assert!(page.body[menu..].contains("Ada Lovelace"));
    assert!(
        !page.body.contains("<template"),
        "no out-of-order chunk that needs JavaScript"
    );
    let visitor = Client::new(&app).get("/").await;
    assert!(
        visitor.body.contains("href=\"/login\"") && visitor.body.contains("href=\"/register\"")
    );
}

#[tokio::test]
async fn changing_the_password_ends_other_sessions_only() {
    let app = app().await;
    registered(&app).await;
    let mut here = Client::new(&app);
    here.call("auth/sign-in", &login("ada@example.com", GOOD_PASSWORD))
        .await;
    let mut elsewhere = Client::new(&app);
    elsewhere
        .call("auth/sign-in", &login("ada@example.com", GOOD_PASSWORD))
        .await;
    let new = "a much better passphrase";

    let wrong = here
        .call(
            "auth/change-password",
            &[
                ("current_password", "not my password"),
                ("new_password", new),
                ("new_password_confirm", new),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("WrongPassword"));
    assert!(
        !elsewhere.me().await.is_null(),
        "a refused change ends nothing"
    );

    let ok = here
        .call(
            "auth/change-password",
            &[
                ("current_password", GOOD_PASSWORD),
                ("new_password", new),
                ("new_password_confirm", new),
            ],
        )
        .await;
    assert!(ok.status < 400, "{}", ok.body);
    assert!(!here.me().await.is_null(), "this session stays");
    assert!(elsewhere.me().await.is_null(), "other sessions end");
    let old = Client::new(&app)
        .call("auth/sign-in", &login("ada@example.com", GOOD_PASSWORD))
        .await;
    assert_eq!(old.status, 401);
    let fresh = Client::new(&app)
        .call("auth/sign-in", &login("ada@example.com", new))
        .await;
    assert!(fresh.status < 400);
    assert!(actions(&app).await.iter().any(|a| a == "password.changed"));
    let anonymous = Client::new(&app)
        .call(
            "auth/change-password",
            &[
                ("current_password", new),
                ("new_password", new),
                ("new_password_confirm", new),
            ],
        )
        .await;
    assert_eq!(anonymous.status, 401);
}
