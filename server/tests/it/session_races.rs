//! A session that ended stays ended: requests still in flight on a session
//! when it is ended (a password change elsewhere, sign-out) must not bring it
//! back when they finish and write the session.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::common::{Client, GOOD_PASSWORD, TestApp, app, registration};
use app::backend::entities::{membership, session, user};
use axum::{Router, body::Body, http::Request};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use tower::ServiceExt;

const IN_FLIGHT: usize = 20;

/// Calls a server function with `cookie` from `peer`, off the test's task.
async fn call(
    router: Router,
    cookie: String,
    peer: SocketAddr,
    endpoint: &str,
    form: &[(&str, &str)],
) -> u16 {
    let mut request = Request::post(format!("/rpc/{endpoint}"))
        .header("host", "keyhouse.test")
        .header("user-agent", "keyhouse-tests/1.0")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .header("cookie", cookie)
        .body(Body::from(crate::common::form_encode(form)))
        .expect("request");
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    let response = router.oneshot(request).await.expect("infallible");
    response.status().as_u16()
}

async fn sign_in(app: &TestApp) -> Client<'_> {
    let mut client = Client::new(app);
    let r = client
        .call(
            "auth/sign-in",
            &[("login", "ada@example.com"), ("password", GOOD_PASSWORD)],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    client
}

/// Ada, a member of Acme and of a second organization (so switching
/// between them changes, and saves, her session every time): her id and
/// the two organizations.
async fn ada_in_two_orgs(app: &TestApp) -> (i64, [i64; 2]) {
    for (email, org) in [("ada@example.com", "Acme"), ("bob@example.com", "Bobs")] {
        let r = Client::new(app)
            .call("auth/register", &registration(email, org))
            .await;
        assert!(r.status < 400, "{}", r.body);
    }
    let db = &app.server.state.db;
    let mut ids = Vec::new();
    for email in ["ada@example.com", "bob@example.com"] {
        let user = user::Entity::find()
            .filter(user::Column::Username.eq(email))
            .one(db)
            .await
            .expect("q")
            .expect("user");
        let m = membership::Entity::find()
            .filter(membership::Column::UserId.eq(user.id))
            .one(db)
            .await
            .expect("q")
            .expect("membership");
        ids.push((user.id, m.organization_id, m.role_id));
    }
    let (ada, acme, _) = ids[0];
    let (_, bobs, bobs_role) = ids[1];
    app::backend::services::memberships::add(db, ada, bobs, bobs_role, chrono::Utc::now())
        .await
        .expect("second membership");
    (ada, [acme, bobs])
}

async fn sessions_of(app: &TestApp, user_id: i64) -> u64 {
    session::Entity::find()
        .filter(session::Column::UserId.eq(user_id))
        .count(&app.server.state.db)
        .await
        .expect("count")
}

/// Requests in flight on one session, started by [`keep_writing`].
struct Writers {
    stop: Arc<AtomicBool>,
    done: Arc<AtomicUsize>,
    tasks: Vec<tokio::task::JoinHandle<Vec<u16>>>,
}

/// `IN_FLIGHT` tasks that keep writing the session behind `cookie` (half
/// switch it to one organization, half to the other, so nearly every
/// request changes and saves it) until told to stop, then send one request
/// more; returned once they are well under way.
async fn keep_writing(app: &TestApp, cookie: &str, orgs: [i64; 2]) -> Writers {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let tasks = (0..IN_FLIGHT)
        .map(|i| {
            let router = app.server.router.clone();
            let cookie = cookie.to_owned();
            let stop = stop.clone();
            let done = done.clone();
            let peer = SocketAddr::from(([203, 0, 113, 66], 41000 + i as u16));
            tokio::spawn(async move {
                let org = orgs[i % 2].to_string();
                let form = [("org_id", org.as_str())];
                let mut seen = Vec::new();
                for _ in 0..500 {
                    let stopping = stop.load(Ordering::SeqCst);
                    let status = call(
                        router.clone(),
                        cookie.clone(),
                        peer,
                        "auth/switch-organization",
                        &form,
                    )
                    .await;
                    seen.push(status);
                    done.fetch_add(1, Ordering::SeqCst);
                    if stopping {
                        break;
                    }
                }
                seen
            })
        })
        .collect();
    while done.load(Ordering::SeqCst) < 2 * IN_FLIGHT {
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    Writers { stop, done, tasks }
}

impl Writers {
    /// Stops the writers; every status each one saw, the last one last.
    async fn finish(self) -> Vec<Vec<u16>> {
        self.stop.store(true, Ordering::SeqCst);
        let mut all = Vec::new();
        for task in self.tasks {
            all.push(task.await.expect("task"));
        }
        all
    }

    fn completed(&self) -> usize {
        self.done.load(Ordering::SeqCst)
    }
}

fn check_statuses(all: &[Vec<u16>], while_ending: usize) {
    let total: usize = all.iter().map(Vec::len).sum();
    let ok = all.iter().flatten().filter(|s| **s < 400).count();
    eprintln!(
        "sessions: {total} requests on the session, {while_ending} of them finished while it \
         was being ended, {ok} answered as signed in"
    );
    for seen in all {
        assert!(seen.iter().all(|s| *s < 500), "no server error: {seen:?}");
        assert_eq!(seen.last(), Some(&401), "after the end: {seen:?}");
    }
}

async fn assert_dead(app: &TestApp, cookie: &str) {
    let id = cookie.trim_start_matches("keyhouse_session=");
    let row = session::Entity::find_by_id(id.to_owned())
        .one(&app.server.state.db)
        .await
        .expect("q");
    assert!(row.is_none(), "the ended session is not stored again");
    for _ in 0..3 {
        let mut replay = Client::new(app);
        replay.cookie = Some(cookie.to_owned());
        assert!(replay.me().await.is_null(), "the cookie signs nobody in");
        let r = replay.call("auth/organizations", &[]).await;
        assert_eq!(r.status, 401, "{}", r.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_password_change_ends_a_stolen_session_despite_requests_in_flight() {
    let app = app().await;
    let (user_id, orgs) = ada_in_two_orgs(&app).await;
    // The thief copied the cookie of Ada's laptop; she changes her
    // password on her phone.
    let stolen = sign_in(&app).await.cookie.expect("cookie");
    let mut phone = sign_in(&app).await;

    let writers = keep_writing(&app, &stolen, orgs).await;
    let before = writers.completed();
    let new = "a much better passphrase";
    let changed = phone
        .call(
            "auth/change-password",
            &[
                ("current_password", GOOD_PASSWORD),
                ("new_password", new),
                ("new_password_confirm", new),
            ],
        )
        .await;
    let while_ending = writers.completed() - before;
    let all = writers.finish().await;
    assert!(changed.status < 400, "{}", changed.body);

    check_statuses(&all, while_ending);
    assert_dead(&app, &stolen).await;
    assert_eq!(
        sessions_of(&app, user_id).await,
        1,
        "only the phone's session is stored"
    );
    assert_eq!(phone.me().await["username"], "ada@example.com");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_signed_out_session_stays_dead_despite_requests_in_flight() {
    let app = app().await;
    let (user_id, orgs) = ada_in_two_orgs(&app).await;
    let mut ada = sign_in(&app).await;
    let cookie = ada.cookie.clone().expect("cookie");

    let writers = keep_writing(&app, &cookie, orgs).await;
    let before = writers.completed();
    let out = ada.call("auth/sign-out", &[]).await;
    let while_ending = writers.completed() - before;
    let all = writers.finish().await;
    assert!(out.status < 400, "{}", out.body);

    check_statuses(&all, while_ending);
    assert_dead(&app, &cookie).await;
    assert_eq!(
        sessions_of(&app, user_id).await,
        1,
        "only the session of the sign-up is left"
    );
}
