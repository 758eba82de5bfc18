//! The two grant rules that need a lock, under real concurrency (every
//! request in flight at once, each from its own task, released together):
//! an organization always keeps an active Admin, and nobody passes the
//! per-user key limit.

use crate::common::grants::put_in_role;
use crate::common::{
    Org, TestApp, TestResponse, app, as_admin, create_bot, custom_role, form_encode, org, role_id,
};
use app::backend::entities::{api_key, membership};
use app::model::authz::Authority;
use axum::body::Body;
use axum::http::Request;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use tower::ServiceExt;

/// A server-function call as the browser makes it, for sending from a task
/// of its own.
fn call_request(endpoint: &str, form: &[(&str, &str)], cookie: &str) -> Request<Body> {
    let mut request = Request::post(format!("/rpc/{endpoint}"))
        .header("host", "keyhouse.test")
        .header("user-agent", "keyhouse-tests/1.0")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .header("cookie", cookie)
        .body(Body::from(form_encode(form)))
        .expect("request");
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [192, 0, 2, 77],
            40000,
        ))));
    request
}

/// Sends every request at once, each from its own task; the answers in order.
async fn all_at_once(app: &TestApp, requests: Vec<Request<Body>>) -> Vec<TestResponse> {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(requests.len()));
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|request| {
            let router = app.server.router.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let response = router.oneshot(request).await.expect("infallible");
                crate::common::read(response).await
            })
        })
        .collect();
    let mut out = Vec::with_capacity(tasks.len());
    for task in tasks {
        out.push(task.await.expect("task"));
    }
    out
}

async fn active_admins(app: &TestApp, org: &Org) -> u64 {
    membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(org.id))
        .filter(membership::Column::RoleId.eq(role_id(org, "Admin")))
        .filter(membership::Column::Status.eq("active"))
        .count(&app.server.state.db)
        .await
        .expect("count")
}

/// Exactly two Admins; both demoted or deactivated at the same moment, 50
/// times over from the same start: every time, exactly one Admin remains.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_admins_removed_at_once_always_leave_one() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    create_bot(&app, &acme, "second-admin", role_id(&acme, "Admin")).await;
    // The one removing them holds every authority without being an Admin,
    // so only the last-Admin rule stands between the two requests.
    let owner = custom_role(&app, &acme, "Owner", &Authority::ALL).await;
    create_bot(&app, &acme, "owner-bot", owner).await;
    let owner = crate::common::signed_in(&app, "owner-bot").await;
    let cookie = owner.cookie.clone().expect("cookie");
    let member = role_id(&acme, "Member").to_string();
    let admins = ["admin@acme.example", "second-admin"];

    const TRIES: usize = 50;
    let mut left_one = 0;
    let mut outcomes = Vec::new();
    for attempt in 0..TRIES {
        for username in admins {
            put_in_role(&app, &acme, username, role_id(&acme, "Admin")).await;
        }
        assert_eq!(active_admins(&app, &acme).await, 2);
        let remove = |username: &'static str, demote: bool| {
            if demote {
                call_request(
                    "users/set-role",
                    &[("username", username), ("role_id", &member)],
                    &cookie,
                )
            } else {
                call_request(
                    "users/set-status",
                    &[("username", username), ("active", "false")],
                    &cookie,
                )
            }
        };
        let (demote_first, demote_second) = match attempt % 3 {
            0 => (false, false),
            1 => (true, true),
            _ => (true, false),
        };
        let answers = all_at_once(
            &app,
            vec![
                remove(admins[0], demote_first),
                remove(admins[1], demote_second),
            ],
        )
        .await;
        // A form post's success may answer with a redirect.
        let mut statuses: Vec<u16> = answers
            .iter()
            .map(|a| {
                if (300..400).contains(&a.status) {
                    200
                } else {
                    a.status
                }
            })
            .collect();
        statuses.sort_unstable();
        let remaining = active_admins(&app, &acme).await;
        if remaining == 1 {
            left_one += 1;
        }
        outcomes.push((attempt, remaining, statuses, answers[0].body.clone()));
    }
    eprintln!("demotion races: {left_one} of {TRIES} left an Admin");
    for (attempt, remaining, statuses, body) in &outcomes {
        assert_eq!(*remaining, 1, "try {attempt}: {statuses:?} {body}");
        assert_eq!(
            statuses,
            &[200, 409],
            "try {attempt}: one removal succeeds, the other is the last Admin"
        );
    }
    assert_eq!(left_one, TRIES);
}

/// 20 key creations at once by one user near the limit: exactly as many
/// succeed as the limit leaves room for; the others are told why. Then
/// re-enablings and creations at once, with room for one: one succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_key_creations_never_pass_the_limit() {
    let (url, dir) = crate::common::fresh_database_url().await;
    let mut config = server::config::Config::for_database(&url);
    config.max_keys_per_user = 5;
    let server = server::build(&config).await.expect("server");
    let app = TestApp::from_server(server, config);
    let _dir = dir;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let mut first = Vec::new();
    for name in ["one", "two", "three"] {
        first.push(crate::common::keys::new_key(&mut admin, name).await.0);
    }
    const AT_ONCE: usize = 20;
    let names: Vec<String> = (0..AT_ONCE).map(|i| format!("racer-{i}")).collect();
    let requests = names
        .iter()
        .map(|name| {
            call_request(
                "keys/create",
                &[("name", name.as_str()), ("expires", "never")],
                &acme.admin_cookie,
            )
        })
        .collect();
    let answers = all_at_once(&app, requests).await;
    let created = answers.iter().filter(|a| a.status == 200).count();
    let over = answers
        .iter()
        .filter(|a| a.status == 409 && a.body.contains("too_many_keys"))
        .count();
    let keys = api_key::Entity::find()
        .filter(api_key::Column::OrganizationId.eq(acme.id))
        .count(&app.server.state.db)
        .await
        .expect("count");
    eprintln!("key limit race: {created} of {AT_ONCE} created, {over} refused, {keys} keys");
    assert_eq!(keys, 5, "never more than the limit");
    assert_eq!(
        (created, over),
        (2, AT_ONCE - 2),
        "{answers:?}",
        answers = answers
            .iter()
            .map(|a| (a.status, a.body.chars().take(80).collect::<String>()))
            .collect::<Vec<_>>()
    );

    // Room for one: two active of the five after three are disabled, two
    // more created. Then three re-enablings and three creations at once.
    for id in &first {
        let r = admin
            .call(
                "keys/set-enabled",
                &[("id", &id.to_string()), ("enabled", "false")],
            )
            .await;
        assert!(r.status < 400, "{}", r.body);
    }
    for name in ["four", "five"] {
        crate::common::keys::new_key(&mut admin, name).await;
    }
    let ids: Vec<String> = first.iter().map(i64::to_string).collect();
    let late: Vec<String> = (0..3).map(|i| format!("late-{i}")).collect();
    let mut requests: Vec<Request<Body>> = ids
        .iter()
        .map(|id| {
            call_request(
                "keys/set-enabled",
                &[("id", id.as_str()), ("enabled", "true")],
                &acme.admin_cookie,
            )
        })
        .collect();
    requests.extend(late.iter().map(|name| {
        call_request(
            "keys/create",
            &[("name", name.as_str()), ("expires", "never")],
            &acme.admin_cookie,
        )
    }));
    let answers = all_at_once(&app, requests).await;
    let succeeded = answers.iter().filter(|a| a.status < 400).count();
    let active = api_key::Entity::find()
        .filter(api_key::Column::OrganizationId.eq(acme.id))
        .filter(api_key::Column::Enabled.eq(true))
        .count(&app.server.state.db)
        .await
        .expect("count");
    eprintln!("key limit race (enable + create): {succeeded} of 6 succeeded, {active} active");
    assert_eq!(active, 5, "never more than the limit");
    assert_eq!(succeeded, 1);
    assert!(
        answers
            .iter()
            .filter(|a| a.status >= 400)
            .all(|a| a.status == 409 && a.body.contains("too_many_keys")),
        "the others are told why"
    );
}
