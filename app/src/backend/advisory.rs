//! PostgreSQL advisory locks: how instances sharing one database take turns.
//! Migrations run on one instance after the other, and each periodic job on
//! one instance at a time. Every lock here is transaction-scoped
//! (`pg_advisory_xact_lock`): it lives on the transaction's one connection
//! and ends with it (commit, rollback, or the connection dropping with a
//! crashed instance), so taking and releasing can never land on two
//! different connections of a pool, and no lock outlives its holder.
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Statement};

/// What the instances take turns at. Each has a fixed 64-bit key, the same
/// in every instance and every release (advisory locks are per database, so
/// the keys only have to be unique within Keyhouse).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lock {
    Migrations,
    SessionCleanup,
    UserTokenPurge,
    SignInAttemptPurge,
    HandoverPurge,
    RateWindowPurge,
    UnusedKeyDisabling,
}

impl Lock {
    /// Eight ASCII characters read as one big-endian number: stable, and
    /// recognisable in `pg_locks` (`classid`/`objid` hold its two halves).
    pub fn key(self) -> i64 {
        i64::from_be_bytes(*match self {
            Lock::Migrations => b"kh:migra",
            Lock::SessionCleanup => b"kh:sessn",
            Lock::UserTokenPurge => b"kh:utokn",
            Lock::SignInAttemptPurge => b"kh:signa",
            Lock::HandoverPurge => b"kh:hando",
            Lock::RateWindowPurge => b"kh:ratew",
            Lock::UnusedKeyDisabling => b"kh:unusd",
        })
    }
}

fn call(function: &str, lock: Lock) -> Statement {
    Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!("SELECT {function}($1) AS taken"),
        [lock.key().into()],
    )
}

/// Waits until `lock` is this transaction's (PostgreSQL). Says so in the log
/// when another instance holds it, so a start waiting on another instance's
/// migrations does not look like a hang.
pub async fn wait(txn: &DatabaseTransaction, lock: Lock) -> Result<(), DbErr> {
    if try_take(txn, lock).await? {
        return Ok(());
    }
    tracing::info!(lock = ?lock, "another instance holds the lock; waiting for it");
    txn.execute_raw(call("pg_advisory_xact_lock", lock)).await?;
    Ok(())
}

/// Takes `lock` for this transaction if nobody holds it: `false` when
/// another instance does. On SQLite (one server per database file) there is
/// nobody to take turns with: always `true`.
pub async fn try_take(txn: &DatabaseTransaction, lock: Lock) -> Result<bool, DbErr> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(true);
    }
    let row = txn
        .query_one_raw(call("pg_try_advisory_xact_lock", lock))
        .await?
        .ok_or_else(|| DbErr::Custom("pg_try_advisory_xact_lock answered no row".into()))?;
    row.try_get("", "taken")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lock_has_its_own_fixed_key() {
        let all = [
            Lock::Migrations,
            Lock::SessionCleanup,
            Lock::UserTokenPurge,
            Lock::SignInAttemptPurge,
            Lock::HandoverPurge,
            Lock::RateWindowPurge,
        ];
        let keys: std::collections::HashSet<i64> = all.iter().map(|l| l.key()).collect();
        assert_eq!(keys.len(), all.len());
        // Changing a key would let an old and a new release run side by side.
        assert_eq!(Lock::Migrations.key(), 0x6b68_3a6d_6967_7261);
    }
}
