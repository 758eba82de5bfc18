//! Verification belongs to one organization and fails closed: a stranger who
//! registers their own organization can never mint a key that opens yours —
//! not on forward-auth, not through /keys/verify, not with an API set named
//! like yours, not 50 times at once. Also the organization's slug, the one
//! rule for X-Keyhouse-User, and the invite-only sign-up policy. On SQLite
//! and PostgreSQL.
mod common;

use app::backend::entities::{audit_event, organization};
use axum::body::Body;
use axum::http::Request;
use common::api::{call, error_code, json, new_key, set_id};
use common::{Client, TestApp, TestResponse, app, as_admin, org, registration};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tower::ServiceExt;

async fn auth_at(app: &TestApp, slug: &str, key: Option<&str>, require: &[&str]) -> TestResponse {
    let extra: Vec<(&str, &str)> = require.iter().map(|r| ("x-keyhouse-require", *r)).collect();
    call(
        app,
        "GET",
        &format!("/api/v1/orgs/{slug}/auth"),
        key,
        &extra,
        None,
    )
    .await
}

/// A never-expiring key of `client`'s organization with the given sets.
async fn key_with(client: &mut Client<'_>, name: &str, slugs: &[&str]) -> String {
    let mut ids = Vec::new();
    for slug in slugs {
        ids.push(set_id(client, slug).await);
    }
    let mut form = vec![("name", name), ("expires", "never")];
    form.extend(ids.iter().map(|id| ("api_sets[]", id.as_str())));
    let r = client.call("keys/create", &form).await;
    assert_eq!(r.status, 200, "{}", r.body);
    json(&r)["key"].as_str().expect("key").to_owned()
}

async fn verify(app: &TestApp, verifier: Option<&str>, key: &str) -> TestResponse {
    let body = serde_json::json!({ "key": key }).to_string();
    call(
        app,
        "POST",
        "/api/v1/keys/verify",
        verifier,
        &[],
        Some(body),
    )
    .await
}

async fn slug_of(app: &TestApp, id: i64) -> String {
    organization::Entity::find_by_id(id)
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("org")
        .slug
}

/// The answer's body with the parts that differ between two refusals of
/// the same kind removed (there are none today; kept explicit).
fn refusal(r: &TestResponse) -> (u16, String, Option<String>) {
    (
        r.status,
        r.body.clone(),
        r.header("www-authenticate").map(str::to_owned),
    )
}

#[tokio::test]
async fn a_strangers_key_never_opens_your_service() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    assert_eq!(slug_of(&app, acme.id).await, "acme");
    let mut acme_admin = as_admin(&app, &acme);
    // Acme's own service API set, which the stranger copies by name.
    let r = acme_admin
        .call(
            "integrations/create-api-set",
            &[
                ("slug", "billing"),
                ("name", "Billing"),
                ("description", ""),
            ],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    let ours = key_with(&mut acme_admin, "Ours", &["billing", "users:write"]).await;

    // The stranger: their own organization, a key with every set and a
    // "billing" of their own.
    let stranger = org(&app, "mallory@evil.example", "Evil").await;
    let mut mallory = as_admin(&app, &stranger);
    let r = mallory
        .call(
            "integrations/create-api-set",
            &[
                ("slug", "billing"),
                ("name", "Billing"),
                ("description", ""),
            ],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    let theirs = key_with(
        &mut mallory,
        "Skeleton key",
        &[
            "billing",
            "keys:read",
            "keys:write",
            "users:read",
            "users:write",
            "audit:read",
            "keys:verify",
        ],
    )
    .await;
    let unknown = app::backend::keys::format::generate().expect("random");

    // Ours passes; theirs is refused exactly like a key nobody has,
    // whatever the proxy requires.
    assert_eq!(
        auth_at(&app, "acme", Some(&ours), &["billing"])
            .await
            .status,
        204
    );
    for require in [&[][..], &["billing"][..], &["users:write"][..]] {
        let stranger = auth_at(&app, "acme", Some(&theirs), require).await;
        let nobody = auth_at(&app, "acme", Some(unknown.expose()), require).await;
        assert_eq!(stranger.status, 401, "{}", stranger.body);
        assert_eq!(error_code(&stranger), "unknown_key");
        assert_eq!(
            refusal(&stranger),
            refusal(&nobody),
            "nothing tells them apart"
        );
        assert!(stranger.header("x-keyhouse-user").is_none());
    }
    // Their key works for their organization only.
    let r = auth_at(&app, "evil", Some(&theirs), &["billing"]).await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("x-keyhouse-org"), Some("evil"));
    assert_eq!(auth_at(&app, "evil", Some(&ours), &[]).await.status, 401);
    // An organization nobody has, and the organization-less form.
    assert_eq!(auth_at(&app, "nobody", Some(&ours), &[]).await.status, 401);
    for key in [Some(ours.as_str()), None] {
        let r = call(&app, "GET", "/api/v1/auth", key, &[], None).await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert_eq!(error_code(&r), "organization_required");
        assert!(r.body.contains("/api/v1/orgs/{org}/auth"), "{}", r.body);
    }

    // The same request 50 times at once: every one refused.
    let answers = in_parallel(&app, 50, |_| {
        api_request(
            "GET",
            "/api/v1/orgs/acme/auth",
            &theirs,
            &[("x-keyhouse-require", "billing")],
            "",
        )
    })
    .await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
    eprintln!(
        "stranger's key on Acme, 50 at once: {} of 50 refused",
        statuses.len()
    );

    // Their usage is not even counted against Acme's check: nothing of
    // Acme's changed.
    let acme_audit = audit_event::Entity::find()
        .filter(audit_event::Column::OrganizationId.eq(acme.id))
        .filter(audit_event::Column::ActorUserId.is_not_null())
        .all(&app.server.state.db)
        .await
        .expect("q");
    assert!(
        acme_audit
            .iter()
            .all(|e| !e.action.starts_with("key.disabled"))
    );
}

/// `n` requests made by `build`, all spawned at once on the runtime's
/// threads (real concurrency), through clones of the real router; their
/// answers in order.
async fn in_parallel(
    app: &TestApp,
    n: usize,
    build: impl Fn(usize) -> Request<Body>,
) -> Vec<TestResponse> {
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let router = app.server.router.clone();
            let mut request = build(i);
            request.extensions_mut().insert(axum::extract::ConnectInfo(
                std::net::SocketAddr::from(([192, 0, 2, 1 + (i % 200) as u8], 40000 + i as u16)),
            ));
            tokio::spawn(async move {
                common::read(router.oneshot(request).await.expect("infallible")).await
            })
        })
        .collect();
    let mut out = Vec::with_capacity(n);
    for handle in handles {
        out.push(handle.await.expect("task"));
    }
    out
}

fn api_request(
    method: &str,
    path: &str,
    key: &str,
    extra: &[(&str, &str)],
    body: &str,
) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "application/json");
    for (k, v) in extra {
        builder = builder.header(*k, *v);
    }
    builder.body(Body::from(body.to_owned())).expect("request")
}

#[tokio::test]
async fn verify_needs_a_verifier_key_of_the_same_organization() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let evil = org(&app, "mallory@evil.example", "Evil").await;
    let mut acme_admin = as_admin(&app, &acme);
    let (_, received) = new_key(&mut acme_admin, "Customer key", &[]).await;
    let acme_checker = key_with(&mut acme_admin, "Checker", &["keys:verify"]).await;
    let acme_plain = key_with(&mut acme_admin, "Plain", &["keys:read"]).await;
    let mut mallory = as_admin(&app, &evil);
    let evil_checker = key_with(&mut mallory, "Checker", &["keys:verify"]).await;
    let (_, evil_key) = new_key(&mut mallory, "Theirs", &[]).await;

    // No verifier: 401; a verifier without keys:verify: 403.
    let r = verify(&app, None, &received).await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(error_code(&r), "missing_key");
    let r = verify(&app, Some(&acme_plain), &received).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(error_code(&r), "missing_api_set");

    // Acme's checker: Acme's key is valid, Evil's is unknown — the same
    // answer, to the byte, as for a key nobody has.
    let r = verify(&app, Some(&acme_checker), &received).await;
    assert_eq!(r.status, 200);
    assert_eq!(json(&r)["valid"], true, "{}", r.body);
    assert_eq!(json(&r)["organization"]["slug"], "acme");
    let unknown = app::backend::keys::format::generate().expect("random");
    let nobody = verify(&app, Some(&acme_checker), unknown.expose()).await;
    let theirs = verify(&app, Some(&acme_checker), &evil_key).await;
    assert_eq!(theirs.status, 200);
    assert_eq!(theirs.body, nobody.body);
    assert_eq!(json(&theirs)["reason"], "unknown");
    assert!(json(&theirs)["key_id"].is_null());

    // Evil's checker learns nothing about Acme's key, 50 times at once.
    let body = serde_json::json!({ "key": received }).to_string();
    let answers = in_parallel(&app, 50, |_| {
        api_request("POST", "/api/v1/keys/verify", &evil_checker, &[], &body)
    })
    .await;
    for r in &answers {
        assert_eq!(r.status, 200);
        assert_eq!(r.body, nobody.body);
    }
}

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
    assert!(app::validation::org_slug(&twin_slug).is_ok());

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
    let (url, dir) = common::fresh_database_url().await;
    let mut config = server::config::Config::for_database(&url);
    config.signup = "invite-only".into();
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
        Request::post("/api/auth/register")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(Body::from(common::form_encode(&registration(
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
        Request::post("/api/auth/register")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(Body::from(common::form_encode(&registration(
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
        slugs.iter().all(|s| app::validation::org_slug(s).is_ok()),
        "{slugs:?}"
    );
    assert!(slugs.contains(&"twin-co".to_owned()), "{slugs:?}");
    slugs.sort();
    slugs.dedup();
    assert_eq!(slugs.len(), 8, "distinct");
}
