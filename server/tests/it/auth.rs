//! Sign-up through the real router: what it creates, what it refuses (and
//! then changes nothing), cross-site requests, and the signed-in user in the
//! page's HTML. Sign-in and its throttle: `auth_sign_in.rs`; sessions:
//! `auth_sessions.rs`; both use the helpers here.

use crate::common::{Client, GOOD_PASSWORD, app, registration};
use app::backend::entities::{audit_event, membership, organization, role, role_authority, user};
use app::model::users::UserKind;
use sea_orm::{EntityTrait, PaginatorTrait};

pub(crate) async fn count<E>(app: &crate::common::TestApp) -> u64
where
    E: EntityTrait,
    E::Model: Sync,
{
    E::find().count(&app.server.state.db).await.expect("count")
}

pub(crate) async fn actions(app: &crate::common::TestApp) -> Vec<String> {
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
    assert_eq!(stored.kind, UserKind::Human);
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

pub(crate) async fn registered(app: &crate::common::TestApp) {
    let response = Client::new(app)
        .call("auth/register", &registration("ada@example.com", "Acme"))
        .await;
    assert!(response.status < 400, "{}", response.body);
}

pub(crate) fn login<'a>(login: &'a str, password: &'a str) -> [(&'static str, &'a str); 2] {
    [("login", login), ("password", password)]
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
