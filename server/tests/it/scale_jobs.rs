//! The periodic jobs with several instances on one PostgreSQL: a round runs
//! on one instance at a time, and an instance whose round finds the job
//! running elsewhere skips it rather than doing it a second time.
use std::time::Duration;

use app::backend::advisory::{self, Lock};
use app::backend::db::connect_and_migrate;
use app::backend::entities::session;
use app::backend::jobs::{self, Round};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, Set, Statement,
    TransactionTrait,
};

use crate::common::{fresh_database_url, on_postgres};

/// Two instances (each its own pool) over one fresh PostgreSQL database.
async fn two_instances() -> (DatabaseConnection, DatabaseConnection) {
    let (url, _) = fresh_database_url().await;
    let a = connect_and_migrate(&url).await.expect("instance A");
    let b = connect_and_migrate(&url).await.expect("instance B");
    (a, b)
}

async fn add_session(db: &DatabaseConnection, id: &str, expires_in_secs: i64) {
    session::ActiveModel {
        id: Set(id.to_owned()),
        data: Set("{}".to_owned()),
        expires_at: Set(time::OffsetDateTime::now_utc().unix_timestamp() + expires_in_secs),
        user_id: Set(None),
    }
    .insert(db)
    .await
    .expect("session");
}

/// Whether some session holds `lock` right now.
async fn held(db: &DatabaseConnection, lock: Lock) -> bool {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted \
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
             AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = $1",
            [lock.key().into()],
        ))
        .await
        .expect("pg_locks")
        .expect("a row");
    row.try_get::<i64>("", "n").expect("n") > 0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_cleanup_runs_on_one_instance_the_other_skips() {
    if !on_postgres("session_cleanup_runs_on_one_instance_the_other_skips") {
        return;
    }
    let (a, b) = two_instances().await;
    for id in ["expired-1", "expired-2", "expired-3"] {
        add_session(&a, id, -60).await;
    }
    add_session(&a, "live", 3600).await;

    // Someone holds the expired rows (a request refreshing them, say), so
    // A's round, once it has the job's lock, stays in the middle of its work.
    let rows = a.begin().await.expect("begin");
    rows.execute_unprepared("SELECT id FROM sessions WHERE id LIKE 'expired-%' FOR UPDATE")
        .await
        .expect("lock rows");
    let round_a = tokio::spawn({
        let a = a.clone();
        async move { jobs::delete_expired_sessions(&a).await }
    });
    tokio::time::timeout(Duration::from_secs(10), async {
        while !held(&b, Lock::SessionCleanup).await {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("A's round takes the job's lock");

    // B's round meanwhile: skipped at once, not waiting behind A's work.
    let round_b = tokio::time::timeout(Duration::from_secs(10), jobs::delete_expired_sessions(&b))
        .await
        .expect("B's round waited for A's instead of skipping it")
        .expect("B's round");
    assert_eq!(round_b, Round::Skipped);

    rows.commit().await.expect("release rows");
    let round_a = round_a.await.expect("task").expect("A's round");
    assert_eq!(round_a, Round::Ran { deleted: 3 });
    let left: Vec<String> = session::Entity::find()
        .all(&b)
        .await
        .expect("sessions")
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(left, ["live"]);

    // A's round over, the job is free again: B's next round runs.
    assert_eq!(
        jobs::delete_expired_sessions(&b).await.expect("B again"),
        Round::Ran { deleted: 0 }
    );
}

#[tokio::test]
async fn each_job_has_its_own_lock() {
    if !on_postgres("each_job_has_its_own_lock") {
        return;
    }
    let (a, b) = two_instances().await;
    let now = chrono::Utc::now();

    // Instance A in the middle of purging user tokens.
    let a_purging = a.begin().await.expect("begin");
    assert!(
        advisory::try_take(&a_purging, Lock::UserTokenPurge)
            .await
            .expect("take")
    );
    let round = tokio::time::timeout(Duration::from_secs(10), jobs::purge_user_tokens(&b, now))
        .await
        .expect("B's round waited for A's instead of skipping it");
    assert_eq!(round.expect("tokens"), Round::Skipped);
    // The other jobs are not held up by it.
    assert!(matches!(
        jobs::purge_sign_in_attempts(&b, now).await,
        Ok(Round::Ran { .. })
    ));
    assert!(matches!(
        jobs::delete_expired_sessions(&b).await,
        Ok(Round::Ran { .. })
    ));

    // A's transaction over (here: given up), the purge is B's to run.
    a_purging.rollback().await.expect("rollback");
    assert!(matches!(
        jobs::purge_user_tokens(&b, now).await,
        Ok(Round::Ran { .. })
    ));
}
