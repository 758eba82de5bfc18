//! What instances on one database share, so that nothing depends on which
//! one answers: a key generated without JavaScript is handed over by
//! whichever instance serves the next page (sealed in the database, opened
//! only with that browser's cookie, once), and, on PostgreSQL, a key's rate
//! limit and the per-address verify limit hold across instances.
use std::sync::Arc;

use app::backend::entities::key_handover;
use app::backend::keys::handover;
use app::model::keys::GeneratedKey;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, Statement};

use crate::api::auth;
use crate::common::api::{call, new_key};
use crate::common::keys::PAGE;
use crate::common::{Client, TestApp, as_admin, form_encode, on_postgres, org};

/// Two servers over one fresh database (SQLite or PostgreSQL), as two
/// processes behind a load balancer; the folder of a SQLite file with them.
async fn two_servers() -> (Arc<TestApp>, Arc<TestApp>, Option<tempfile::TempDir>) {
    let (url, dir) = crate::common::fresh_database_url().await;
    let config = server::config::Config::for_database(&url);
    let a = server::build(&config).await.expect("instance A");
    let b = server::build(&config).await.expect("instance B");
    (
        Arc::new(TestApp::from_server(a, config.clone())),
        Arc::new(TestApp::from_server(b, config)),
        dir,
    )
}

/// A browser's client moved to another instance: the same cookies.
fn on<'a>(app: &'a TestApp, browser: &Client<'_>) -> Client<'a> {
    let mut moved = Client::new(app);
    moved.cookie = browser.cookie.clone();
    moved.jar = browser.jar.clone();
    moved
}

/// Creates a key with a plain form post (no JavaScript): answered with a
/// redirect to the Public API page, the key left in the hand-over.
async fn create_without_js(browser: &mut Client<'_>, name: &str) {
    let builder = axum::http::Request::post("/rpc/keys/create")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html,application/xhtml+xml");
    let body = form_encode(&[("name", name), ("back", PAGE)]);
    let r = browser.request(builder, body).await;
    assert!((302..=303).contains(&r.status), "{} {}", r.status, r.body);
    assert!(!r.body.contains("kh_"));
    let set: Vec<&str> = r
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter(|v| v.starts_with("keyhouse_handover="))
        .collect();
    assert_eq!(set.len(), 1, "one hand-over cookie");
    for part in ["HttpOnly", "SameSite=Strict", "Max-Age=300", "Path=/"] {
        assert!(set[0].contains(part), "{}", set[0]);
    }
}

async fn waiting(app: &TestApp) -> Vec<key_handover::Model> {
    key_handover::Entity::find()
        .all(&app.server.state.db)
        .await
        .expect("hand-overs")
}

/// The key a page shows in its Save generated key dialog, if any.
fn shown(page: &str) -> Option<String> {
    let start = page.find("value=\"kh_")? + 7;
    Some(page[start..start + app::backend::keys::format::KEY_LEN].to_owned())
}

#[tokio::test]
async fn a_key_made_without_javascript_is_shown_by_the_other_instance_once() {
    let (a, b, _dir) = two_servers().await;
    let acme = org(&a, "admin@acme.example", "Acme").await;
    let other = org(&a, "admin@other.example", "Other").await;
    let mut browser = as_admin(&a, &acme);
    create_without_js(&mut browser, "No JS key").await;

    // Waiting sealed: the database holds no key.
    let rows = waiting(&a).await;
    assert_eq!(rows.len(), 1);
    let ticket = browser.jar.iter().find(|(n, _)| n == handover::COOKIE);
    let ticket = ticket.map(|(_, v)| v.clone()).expect("ticket");
    assert!(!rows[0].sealed.windows(3).any(|w| w == b"kh_"));

    // Another organization's Admin holding the stolen ticket gets nothing,
    // and takes nothing away from its owner.
    let mut thief = as_admin(&b, &other);
    thief.jar = browser.jar.clone();
    let page = thief.get(PAGE).await;
    assert!(shown(&page.body).is_none());
    assert!(!page.body.contains("Save generated key"));
    assert_eq!(waiting(&a).await.len(), 1);

    // The next page, served by B, shows it once (a planted cookie of the
    // same name in front does not hide it); the key works.
    let mut browser = on(&b, &browser);
    let planted = (handover::COOKIE.to_owned(), "A".repeat(43));
    browser.jar.insert(0, planted);
    let page = browser.get(PAGE).await;
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let key = shown(&page.body).expect("the key on B's page");
    let me = call(&b, "GET", "/api/v1/me", Some(&key), &[], None).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert!(
        browser.jar.iter().all(|(n, _)| n != handover::COOKIE),
        "removed once used"
    );
    assert!(waiting(&a).await.is_empty());
    // Gone, on either instance, even with the old ticket.
    for app in [&a, &b] {
        let mut replay = on(app, &browser);
        replay.jar.push((handover::COOKIE.into(), ticket.clone()));
        let again = replay.get(PAGE).await;
        assert!(shown(&again.body).is_none(), "shown once");
    }
}

#[tokio::test]
async fn fifty_pages_at_once_with_one_ticket_show_the_key_once() {
    let (a, b, _dir) = two_servers().await;
    let acme = org(&a, "admin@acme.example", "Acme").await;
    let mut browser = as_admin(&a, &acme);
    create_without_js(&mut browser, "Raced").await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50 {
        let app = if i % 2 == 0 { a.clone() } else { b.clone() };
        let (cookie, jar) = (browser.cookie.clone(), browser.jar.clone());
        tasks.spawn(async move {
            let mut client = Client::new(&app);
            client.cookie = cookie;
            client.jar = jar;
            let r = client.call("keys/take-generated", &[]).await;
            assert_eq!(r.status, 200, "{}", r.body);
            serde_json::from_str::<Option<GeneratedKey>>(&r.body).expect("json")
        });
    }
    let taken: Vec<GeneratedKey> = tasks.join_all().await.into_iter().flatten().collect();
    assert_eq!(taken.len(), 1, "exactly one of 50 got the key");
    assert_eq!(taken[0].name, "Raced");
}

#[tokio::test]
async fn a_hand_over_is_only_good_for_five_minutes() {
    let (a, _b, _dir) = two_servers().await;
    let db = &a.server.state.db;
    let key = GeneratedKey {
        webhook: false,
        id: 1,
        name: "Late".into(),
        key: "kh_not_a_real_key".into(),
        organization: "Acme".into(),
        api_sets: vec![],
        created_at: String::new(),
    };
    let then = chrono::Utc::now();
    let late = then + chrono::Duration::seconds(handover::TTL_SECONDS);
    let ticket = handover::put(db, 7, 70, &key, then).await.expect("put");
    assert!(
        handover::take(db, 7, 70, ticket.as_str(), late)
            .await
            .expect("take")
            .is_none()
    );
    let ticket = handover::put(db, 7, 70, &key, then).await.expect("put");
    // Not someone else's, not with a made-up ticket; then its owner's.
    assert!(
        handover::take(db, 8, 70, ticket.as_str(), then)
            .await
            .expect("take")
            .is_none()
    );
    assert!(
        handover::take(db, 7, 70, "forged", then)
            .await
            .expect("take")
            .is_none()
    );
    let taken = handover::take(db, 7, 70, ticket.as_str(), then)
        .await
        .expect("take");
    assert_eq!(taken, Some(key));
    // Those nobody came for are purged.
    handover::put(db, 7, 70, &taken.expect("key"), then)
        .await
        .expect("put");
    assert_eq!(handover::purge_expired(db, then).await.expect("purge"), 0);
    assert_eq!(handover::purge_expired(db, late).await.expect("purge"), 1);
    assert_eq!(
        key_handover::Entity::find().count(db).await.expect("count"),
        0
    );
}

#[tokio::test]
async fn a_key_rate_limit_holds_across_instances() {
    if !on_postgres("a_key_rate_limit_holds_across_instances") {
        return;
    }
    let (a, b, _dir) = two_servers().await;
    let acme = org(&a, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&a, &acme);
    let (id, key) = new_key(&mut admin, "Limited", &[]).await;
    let r = admin
        .call("keys/set-rate-limit", &[("id", &id), ("per_minute", "5")])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // 50 requests at once, half on each instance: 5 let through in all.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50 {
        let app = if i % 2 == 0 { a.clone() } else { b.clone() };
        let key = key.clone();
        tasks.spawn(async move { auth(&app, Some(&key), None).await.status });
    }
    let statuses = tasks.join_all().await;
    let through = statuses.iter().filter(|s| **s == 204).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((through, refused), (5, 45), "{statuses:?}");
    // Refused clients are remembered until their window ends: hammering
    // on costs the database nothing.
    let hits = || async {
        let row = a
            .server
            .state
            .db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT hits FROM rate_windows WHERE bucket = $1",
                [format!("key:{id}").into()],
            ))
            .await
            .expect("query")
            .expect("the key's window");
        row.try_get::<i64>("", "hits").expect("hits")
    };
    let counted = hits().await;
    for app in [&a, &b, &a, &b] {
        assert_eq!(auth(app, Some(&key), None).await.status, 429);
    }
    assert_eq!(
        hits().await,
        counted,
        "no database write for a known refusal"
    );
    // Every request counted, the refused too: the window holds 50 now. A
    // limit raised past that lets the key through again at once on the
    // instance that changed it, and on the other one within its cache's
    // one-second bound (no listener runs here; 3 s for a loaded machine).
    admin
        .call("keys/set-rate-limit", &[("id", &id), ("per_minute", "100")])
        .await;
    let r = auth(&a, Some(&key), None).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    while auth(&b, Some(&key), None).await.status != 204 {
        assert!(std::time::Instant::now() < deadline, "B still refuses");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_verify_limit_per_address_holds_across_instances() {
    if !on_postgres("the_verify_limit_per_address_holds_across_instances") {
        return;
    }
    let (a, b, _dir) = two_servers().await;
    let body = serde_json::json!({ "key": "kh_x" }).to_string();
    let mut through = 0;
    for i in 0..700 {
        let app = if i % 2 == 0 { &a } else { &b };
        let r = call(
            app,
            "POST",
            "/api/v1/keys/verify",
            None,
            &[],
            Some(body.clone()),
        )
        .await;
        if r.status != 429 {
            through += 1;
        }
    }
    assert_eq!(
        through, 600,
        "the limit (600 a minute) once, not once per instance"
    );
}
