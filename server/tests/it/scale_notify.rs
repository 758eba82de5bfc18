//! Two instances on one PostgreSQL database, each with its own key cache
//! and its own listener (`app::backend::keys::listener`): a key disabled
//! through one is refused by the other within milliseconds, also after the
//! listener's connection was killed or hung, and a burst of concurrent
//! changes leaves no stale entry behind (the harness: `instances`).
//! PostgreSQL only: on SQLite each test says so and returns
//! (`scripts/with-postgres cargo test -p server --features app/ssr --test it
//! scale_notify`).
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::backend::entities::api_key;
use app::backend::keys::listener::{APPLICATION_NAME, CHANNEL};
use app::backend::unit_of_work::{Invalidate, Work};
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, Statement};

use instances::{
    Frozen, POLL, PROMPTLY, instances, revocations, set_through, until, wait_listening, works,
};

mod instances;

#[tokio::test]
async fn a_key_disabled_on_one_instance_is_refused_on_the_other_within_milliseconds() {
    let Some(inst) = instances("scale_notify::within_milliseconds").await else {
        return;
    };
    let (id, key) = inst.key("Revoked").await;
    revocations(&inst, &id, &key, 20, 18).await;
    inst.stop().await;
}

#[tokio::test]
async fn a_killed_listener_connection_loses_no_revocation_and_comes_back() {
    let Some(inst) = instances("scale_notify::killed_listener").await else {
        return;
    };
    let (id, key) = inst.key("Revoked").await;
    assert!(works(&inst.b, &key).await);
    let killed = inst
        .a
        .server
        .state
        .db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = $1 AND datname = current_database()",
            [APPLICATION_NAME.into()],
        ))
        .await
        .expect("terminate the listeners");
    assert_eq!(killed.len(), 2, "both instances' listeners");
    inst.set(&id, false).await;
    let (delay, _) = until(&inst.b, &key, false)
        .await
        .expect("refused within 1.1 s without the listener");
    println!("revocation while the listener was down: refused after {delay:?}");
    inst.set(&id, true).await;
    until(&inst.b, &key, true).await.expect("enabled again");
    // Listening again (a second session each), and prompt again.
    wait_listening(&inst.listeners, 2).await;
    revocations(&inst, &id, &key, 5, 4).await;
    inst.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_concurrent_changes_leaves_the_other_instance_agreeing() {
    let Some(inst) = instances("scale_notify::burst").await else {
        return;
    };
    const KEYS: usize = 10;
    const CHANGES: usize = 50;
    let mut keys = Vec::new();
    for i in 0..KEYS {
        let (id, key) = inst.key(&format!("Burst {i}")).await;
        assert!(works(&inst.b, &key).await);
        keys.push((id, key));
    }
    let keys = Arc::new(keys);
    let barrier = Arc::new(tokio::sync::Barrier::new(CHANGES + 1));
    let mut changes = Vec::new();
    for i in 0..CHANGES {
        let (a, manager, keys, barrier) = (
            inst.a.clone(),
            inst.manager.clone(),
            keys.clone(),
            barrier.clone(),
        );
        changes.push(tokio::spawn(async move {
            let (id, _) = &keys[i % KEYS];
            barrier.wait().await;
            set_through(&a, &manager, id, (i / KEYS) % 2 == 1).await;
        }));
    }
    // B keeps checking every key while the changes land, so its reloads
    // race the clears the notices cause.
    let (b, checked) = (inst.b.clone(), keys.clone());
    let barrier_b = barrier.clone();
    let checking = tokio::spawn(async move {
        barrier_b.wait().await;
        let started = Instant::now();
        for round in 0..400 {
            if started.elapsed() > Duration::from_secs(10) {
                break;
            }
            works(&b, &checked[round % KEYS].1).await;
        }
    });
    for change in changes {
        change.await.expect("change");
    }
    let done = Instant::now();
    checking.abort();
    // The database's word on each key, then B's, within PROMPTLY.
    let mut disagreeing = Vec::new();
    let mut retries = 0;
    for (id, key) in keys.iter() {
        let row = api_key::Entity::find_by_id(id.parse::<i64>().expect("id"))
            .one(&inst.a.server.state.db)
            .await
            .expect("query")
            .expect("key");
        let remaining = PROMPTLY.saturating_sub(done.elapsed());
        let mut agrees = works(&inst.b, key).await == row.enabled;
        let started = Instant::now();
        while !agrees && started.elapsed() < remaining {
            tokio::time::sleep(POLL).await;
            retries += 1;
            agrees = works(&inst.b, key).await == row.enabled;
        }
        if !agrees {
            disagreeing.push((id.clone(), row.enabled));
        }
    }
    println!(
        "after {CHANGES} concurrent changes: B agreed with the database on {} of {KEYS} keys \
         (all checked {:.1} ms after A's last answer, {retries} asked again)",
        KEYS - disagreeing.len(),
        done.elapsed().as_secs_f64() * 1000.0
    );
    assert!(disagreeing.is_empty(), "B disagrees on {disagreeing:?}");
    inst.stop().await;
}

/// Only a commit that changes key checks is announced, and with no payload.
#[tokio::test]
async fn only_a_key_change_is_announced() {
    let Some(inst) = instances("scale_notify::only_key_changes").await else {
        return;
    };
    let mut raw = PgListener::connect(&inst.a.config.database_url)
        .await
        .expect("connect");
    raw.listen(CHANNEL).await.expect("listen");
    let state = &inst.a.server.state;
    let quiet = Duration::from_millis(300);

    Work::begin(state)
        .await
        .expect("begin")
        .commit(Invalidate::None)
        .await
        .expect("commit");
    Work::begin_bookkeeping(&state.db)
        .await
        .expect("begin")
        .commit(Invalidate::None)
        .await
        .expect("commit");
    let heard = tokio::time::timeout(quiet, raw.try_recv()).await;
    assert!(heard.is_err(), "nothing announced: {heard:?}");

    // The control: a key change is.
    Work::begin(state)
        .await
        .expect("begin")
        .commit(Invalidate::Keys)
        .await
        .expect("commit");
    let heard = tokio::time::timeout(Duration::from_secs(1), raw.try_recv())
        .await
        .expect("announced within a second")
        .expect("received")
        .expect("connected");
    assert_eq!(heard.channel(), CHANNEL);
    // Which instance, and its number there: no rows, no secrets.
    let (instance, seq) = heard.payload().split_once(':').expect("instance:number");
    assert_eq!(instance.len(), 16, "{}", heard.payload());
    assert!(instance.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(seq.parse::<u64>().is_ok(), "{}", heard.payload());
    inst.stop().await;
}

#[tokio::test]
async fn a_hung_listener_connection_is_noticed_by_its_heartbeat_and_replaced() {
    let Some(inst) = instances("scale_notify::hung_listener").await else {
        return;
    };
    let (id, key) = inst.key("Revoked").await;
    let rows = inst
        .a
        .server
        .state
        .db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pid, datname::text AS datname FROM pg_stat_activity \
             WHERE application_name = $1 AND datname = current_database()",
            [APPLICATION_NAME.into()],
        ))
        .await
        .expect("the listeners' backends");
    assert_eq!(rows.len(), 2, "both instances' listeners");
    let database: String = rows[0].try_get("", "datname").expect("datname");
    let pids = rows
        .iter()
        .map(|row| row.try_get::<i32>("", "pid").expect("pid").to_string())
        .collect();
    let Some(frozen) = Frozen::freeze(pids, &database) else {
        eprintln!("scale_notify::hung_listener: cannot stop PostgreSQL's backends here; skipped");
        inst.stop().await;
        return;
    };
    // Bounded: a backend stopped inside a commit could block every notifying
    // commit of the cluster; the guard resumes the backends either way.
    let phase = async {
        let hung = Instant::now();
        // Nothing is heard from a hung connection: the one-second bound holds.
        assert!(works(&inst.b, &key).await);
        inst.set(&id, false).await;
        let (delay, _) = until(&inst.b, &key, false)
            .await
            .expect("refused within 1.1 s while the listener hangs");
        println!("revocation while the listener hung: refused after {delay:?}");
        inst.set(&id, true).await;
        until(&inst.b, &key, true).await.expect("enabled again");
        // No echo within 2 s: each listener reconnects on a new backend.
        wait_listening(&inst.listeners, 2).await;
        println!(
            "hung listeners replaced {:.1} s after their connections hung",
            hung.elapsed().as_secs_f64()
        );
    };
    let finished = tokio::time::timeout(Duration::from_secs(30), phase).await;
    drop(frozen);
    finished.expect("the hung-listener phase ends within 30 s");
    revocations(&inst, &id, &key, 5, 4).await;
    inst.stop().await;
}
