//! An organization's identity over the real router, on SQLite and
//! PostgreSQL: its slug (changed by Manage Integrations, effective at once,
//! distinct for sign-ups at once with one name), the one rule for
//! X-Keyhouse-User, and the invite-only sign-up policy.

use crate::common::api::{call, json, new_key};
use crate::common::{Client, TestApp, app, as_admin, org, registration};
use crate::trust::{auth_at, in_parallel, slug_of};
use app::backend::entities::{audit_event, organization};
use axum::body::Body;
use axum::http::Request;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

#[tokio::test]
async fn the_slug_is_changed_by_manage_integrations_and_takes_effect_at_once() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let _other = org(&app, "admin@other.example", "Other").await;
    // Two organizations with one name get two slugs.
    let twin = org(&app, "admin@acme2.example", "Acme").await;
    let twin_slug = slug_of(&app, twin.id).await;
    assert_ne!(twin_slug, "acme");
    assert!(twin_slug.starts_with("acme-"), "{twin_slug}");
    assert!(app::model::validation::org_slug(&twin_slug).is_ok());

    let mut admin = as_admin(&app, &acme);
    let (_, key) = new_key(&mut admin, "Service", &[]).await;
    assert_eq!(auth_at(&app, "acme", Some(&key), &[]).await.status, 204);

    // Bad input and a taken slug: a clear 422, nothing changes.
    for (bad, problem) in [
        ("A", "InvalidSlug"),
        ("has space", "InvalidSlug"),
        ("other", "SlugTaken"),
        ("", "Required"),
    ] {
        let r = admin.call("integrations/set-slug", &[("slug", bad)]).await;
        assert_eq!(r.status, 422, "{bad}: {}", r.body);
        assert!(r.body.contains(problem), "{bad}: {}", r.body);
    }
    assert_eq!(slug_of(&app, acme.id).await, "acme");

    // The page shows the slug and a ready configuration naming it.
    let page = admin
        .get("/settings/integrations/public-api?require=keys:read")
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("data-testid=\"org-slug\">acme<"),
        "slug shown"
    );
    assert!(
        page.body.contains("/api/v1/orgs/acme/auth;"),
        "nginx snippet"
    );
    assert!(
        page.body
            .contains("X-Keyhouse-Require &quot;keys:read&quot;;")
            || page.body.contains("X-Keyhouse-Require \"keys:read\";")
    );

    let r = admin
        .call("integrations/set-slug", &[("slug", "acme-eu")])
        .await;
    assert!(r.status < 400, "{}", r.body);
    // The very next request: the old name refuses, the new one works.
    assert_eq!(auth_at(&app, "acme", Some(&key), &[]).await.status, 401);
    let r = auth_at(&app, "acme-eu", Some(&key), &[]).await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("x-keyhouse-org"), Some("acme-eu"));
    // The slug Acme gave up is never handed to anyone else: a proxy still
    // configured with it refuses a newcomer's keys too.
    let newcomer = org(&app, "mallory@evil.example", "Acme").await;
    let newcomer_slug = slug_of(&app, newcomer.id).await;
    assert_ne!(newcomer_slug, "acme");
    let mut mallory = as_admin(&app, &newcomer);
    let r = mallory
        .call("integrations/set-slug", &[("slug", "acme")])
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("SlugTaken"), "{}", r.body);
    let (_, theirs) = new_key(&mut mallory, "Theirs", &[]).await;
    assert_eq!(auth_at(&app, "acme", Some(&theirs), &[]).await.status, 401);
    // Acme itself may take it back (and then gives up acme-eu).
    let r = admin
        .call("integrations/set-slug", &[("slug", "acme")])
        .await;
    assert!(r.status < 400, "{}", r.body);
    assert_eq!(auth_at(&app, "acme", Some(&key), &[]).await.status, 204);
    let r = mallory
        .call("integrations/set-slug", &[("slug", "acme-eu")])
        .await;
    assert_eq!(r.status, 422, "{}", r.body);

    let audit = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("organization.slug_changed"))
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("audited");
    assert_eq!(audit.organization_id, Some(acme.id));
    assert!(audit.details.unwrap_or_default().contains("acme-eu"));
}

#[tokio::test]
async fn x_keyhouse_user_is_percent_encoded_by_one_rule() {
    assert_eq!(server::api::header_text("dev"), "dev");
    assert_eq!(server::api::header_text("a.b-c_d~e"), "a.b-c_d~e");
    assert_eq!(
        server::api::header_text("ada@example.com"),
        "ada%40example.com"
    );
    assert_eq!(server::api::header_text("a,b%c d"), "a%2Cb%25c%20d");
    assert_eq!(server::api::header_text("żółw"), "%C5%BC%C3%B3%C5%82w");

    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let (_, key) = new_key(&mut as_admin(&app, &acme), "Mine", &[]).await;
    let r = auth_at(&app, "acme", Some(&key), &[]).await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("x-keyhouse-user"), Some("admin%40acme.example"));
    let me = call(&app, "GET", "/api/v1/me", Some(&key), &[], None).await;
    assert_eq!(
        r.header("x-keyhouse-user-id"),
        Some(json(&me)["owner"]["id"].to_string().as_str())
    );
    assert_eq!(
        r.header("x-keyhouse-org-id"),
        Some(acme.id.to_string().as_str())
    );
}

#[tokio::test]
async fn invite_only_sign_up_lets_in_the_first_account_only() {
    let (url, dir) = crate::common::fresh_database_url().await;
    let mut config = server::config::Config::for_database(&url);
    config.signup = server::config::Signup::InviteOnly;
    let server = server::build(&config).await.expect("server builds");
    let app = TestApp::from_server(server, config);
    let _keep = dir;

    // An empty instance: the form is there and the first account is made.
    let page = Client::new(&app).get("/register").await;
    assert!(page.body.contains("name=\"location_name\""), "the form");
    let mut first = Client::new(&app);
    let r = first
        .call("auth/register", &registration("admin@acme.example", "Acme"))
        .await;
    assert!(r.status < 400, "{}", r.body);

    // Then: the page explains, and the server refuses — also 10 at once.
    let page = Client::new(&app).get("/register").await;
    assert!(page.body.contains("data-testid=\"sign-up-invite-only\""));
    assert!(!page.body.contains("name=\"location_name\""));
    let r = Client::new(&app)
        .call("auth/register", &registration("x@evil.example", "Evil"))
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let answers = in_parallel(&app, 10, |i| {
        let email = format!("x{i}@evil.example");
        Request::post("/rpc/auth/register")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(Body::from(crate::common::form_encode(&registration(
                &email, "Evil",
            ))))
            .expect("request")
    })
    .await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
    assert!(statuses.iter().all(|s| *s == 403), "{statuses:?}");
    let orgs = organization::Entity::find()
        .all(&app.server.state.db)
        .await
        .expect("q");
    assert_eq!(orgs.len(), 1, "only the first organization exists");
}

#[tokio::test]
async fn sign_ups_at_once_with_one_name_get_distinct_slugs() {
    let app = app().await;
    let answers = in_parallel(&app, 8, |i| {
        let email = format!("founder{i}@twin.example");
        Request::post("/rpc/auth/register")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(Body::from(crate::common::form_encode(&registration(
                &email, "Twin Co",
            ))))
            .expect("request")
    })
    .await;
    for r in &answers {
        assert!(r.status < 400, "{} {}", r.status, r.body);
    }
    let mut slugs: Vec<String> = organization::Entity::find()
        .all(&app.server.state.db)
        .await
        .expect("q")
        .into_iter()
        .map(|o| o.slug)
        .collect();
    assert_eq!(slugs.len(), 8);
    assert!(
        slugs
            .iter()
            .all(|s| app::model::validation::org_slug(s).is_ok()),
        "{slugs:?}"
    );
    assert!(slugs.contains(&"twin-co".to_owned()), "{slugs:?}");
    slugs.sort();
    slugs.dedup();
    assert_eq!(slugs.len(), 8, "distinct");
}
