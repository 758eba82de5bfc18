//! One-minute rate windows counted in PostgreSQL, so a limit holds across
//! every instance serving one database: one row per bucket (a key, a client
//! address) in the UNLOGGED table `rate_windows`, counted by one statement
//! per request that also starts a new window once the old one has ended.
//! The window is timed by the database's clock, the same for every
//! instance. (On SQLite one process serves the database: the server counts
//! in memory instead.)
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

/// A window's length, in seconds.
pub const WINDOW_SECONDS: i64 = 60;

/// What one request's count says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Over the limit: the seconds until the window ends (at least 1).
    Denied {
        retry_after: u64,
    },
}

const HIT: &str = "\
INSERT INTO rate_windows AS w (bucket, started, hits) VALUES ($1, now(), 1) \
ON CONFLICT (bucket) DO UPDATE SET \
  started = CASE WHEN w.started <= now() - make_interval(secs => $2) THEN now() ELSE w.started END, \
  hits = CASE WHEN w.started <= now() - make_interval(secs => $2) THEN 1 ELSE w.hits + 1 END \
RETURNING hits, \
  CEIL(EXTRACT(EPOCH FROM (started + make_interval(secs => $2) - now())))::BIGINT AS wait";

/// Counts one request against `bucket` and says whether it is within
/// `per_minute`. Atomic: requests on any number of instances at once are
/// counted one after the other by the row's lock.
pub async fn hit<C: ConnectionTrait>(
    db: &C,
    bucket: &str,
    per_minute: u32,
) -> Result<Verdict, DbErr> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            HIT,
            [bucket.into(), (WINDOW_SECONDS as f64).into()],
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("rate_windows answered no row".into()))?;
    let hits: i64 = row.try_get("", "hits")?;
    let wait: i64 = row.try_get("", "wait")?;
    Ok(if hits > i64::from(per_minute) {
        Verdict::Denied {
            retry_after: u64::try_from(wait).unwrap_or(1).max(1),
        }
    } else {
        Verdict::Allowed
    })
}

/// Deletes the windows that have ended by the database's clock (a bucket
/// not seen for a minute starts a new window anyway). Nothing to do on
/// SQLite.
pub async fn purge_ended<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(0);
    }
    let result = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "DELETE FROM rate_windows WHERE started <= now() - make_interval(secs => $1)",
            [(WINDOW_SECONDS as f64).into()],
        ))
        .await?;
    Ok(result.rows_affected())
}
