//! Verification belongs to one organization and fails closed: a stranger who
//! registers their own organization can never mint a key that opens yours —
//! not on forward-auth, not through /keys/verify, not with an API set named
//! like yours, not 50 times at once. On SQLite and PostgreSQL. The
//! organization's slug, the one rule for X-Keyhouse-User, and the
//! invite-only sign-up policy: `trust_orgs.rs`.

use crate::common::api::{call, error_code, json, new_key, set_id};
use crate::common::{Client, TestApp, TestResponse, app, as_admin, org};
use app::backend::entities::{audit_event, organization};
use axum::body::Body;
use axum::http::Request;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tower::ServiceExt;

pub(crate) async fn auth_at(
    app: &TestApp,
    slug: &str,
    key: Option<&str>,
    require: &[&str],
) -> TestResponse {
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

pub(crate) async fn slug_of(app: &TestApp, id: i64) -> String {
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
pub(crate) async fn in_parallel(
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
                crate::common::read(router.oneshot(request).await.expect("infallible")).await
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
