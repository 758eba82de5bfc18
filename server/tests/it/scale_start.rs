//! Several instances starting at once on one PostgreSQL (a rolling deploy, a
//! scaled-out start): each runs the migrations at start, and they take turns
//! (an advisory lock), so every migration is applied exactly once and every
//! instance starts.
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use app::backend::db::connect_and_migrate;
use app::backend::migrations::Migrator;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sea_orm_migration::MigratorTrait;

use crate::common::{fresh_database_url, on_postgres};

const INSTANCES: usize = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_instances_starting_at_once_apply_each_migration_once() {
    if !on_postgres("five_instances_starting_at_once_apply_each_migration_once") {
        return;
    }
    let (url, _) = fresh_database_url().await;
    let barrier = Arc::new(tokio::sync::Barrier::new(INSTANCES));
    let starts: Vec<_> = (0..INSTANCES)
        .map(|_| {
            let (url, barrier) = (url.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                connect_and_migrate(&url).await
            })
        })
        .collect();

    let mut instances = Vec::new();
    for (i, start) in starts.into_iter().enumerate() {
        let started = tokio::time::timeout(Duration::from_secs(60), start)
            .await
            .unwrap_or_else(|_| panic!("instance {i} still starting after 60 s"))
            .expect("task");
        match started {
            Ok(db) => instances.push(db),
            Err(err) => panic!("instance {i} failed to start: {err}"),
        }
    }

    let rows = instances[0]
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT version, COUNT(*) AS n FROM seaql_migrations GROUP BY version",
        ))
        .await
        .expect("seaql_migrations");
    let applied: BTreeMap<String, i64> = rows
        .iter()
        .map(|row| {
            (
                row.try_get("", "version").expect("version"),
                row.try_get("", "n").expect("n"),
            )
        })
        .collect();
    let expected: BTreeMap<String, i64> = Migrator::migrations()
        .iter()
        .map(|m| (m.name().to_owned(), 1))
        .collect();
    assert_eq!(applied, expected, "each migration recorded exactly once");

    // The lock was given back: a later start finds nothing to do, at once.
    tokio::time::timeout(Duration::from_secs(10), connect_and_migrate(&url))
        .await
        .expect("a later start does not wait")
        .expect("a later start");
}
