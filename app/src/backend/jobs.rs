//! The periodic jobs, one round at a time (the server runs them on a timer).
//!
//! Every instance runs the timers, but on PostgreSQL a round first takes its
//! job's advisory lock inside its own transaction and does the work there;
//! when another instance holds that lock it is doing this very work right
//! now, so the round is skipped rather than queued behind it. On SQLite
//! (one server per database file) a round always runs.
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr, TransactionTrait};

use super::advisory::{self, Lock};
use super::auth::throttle;
use super::keys::handover;
use super::rate_windows;
use super::services::user_tokens;
use super::session_store;

/// What one round did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Round {
    /// This instance did the work: it deleted this many rows.
    Ran { deleted: u64 },
    /// Another instance was running the same job.
    Skipped,
}

/// The round's transaction, holding `lock`; `None` when another instance
/// holds it (the transaction is then rolled back, taking nothing).
async fn begin(db: &DatabaseConnection, lock: Lock) -> Result<Option<DatabaseTransaction>, DbErr> {
    let txn = db.begin().await?;
    if advisory::try_take(&txn, lock).await? {
        Ok(Some(txn))
    } else {
        txn.rollback().await?;
        Ok(None)
    }
}

/// Deletes the sessions expired by now (the database's clock).
pub async fn delete_expired_sessions(db: &DatabaseConnection) -> Result<Round, DbErr> {
    let Some(txn) = begin(db, Lock::SessionCleanup).await? else {
        return Ok(Round::Skipped);
    };
    let deleted = session_store::delete_expired(&txn).await?;
    txn.commit().await?;
    Ok(Round::Ran { deleted })
}

/// Deletes the user tokens expired at `now`.
pub async fn purge_user_tokens(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<Round, DbErr> {
    let Some(txn) = begin(db, Lock::UserTokenPurge).await? else {
        return Ok(Round::Skipped);
    };
    let deleted = user_tokens::purge_expired(&txn, now).await?;
    txn.commit().await?;
    Ok(Round::Ran { deleted })
}

/// Deletes the sign-in attempts past every throttle window at `now`.
pub async fn purge_sign_in_attempts(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<Round, DbErr> {
    let Some(txn) = begin(db, Lock::SignInAttemptPurge).await? else {
        return Ok(Round::Skipped);
    };
    let deleted = throttle::purge_expired(&txn, now).await?;
    txn.commit().await?;
    Ok(Round::Ran { deleted })
}

/// Deletes the key hand-overs nobody came for within their five minutes.
pub async fn purge_handovers(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<Round, DbErr> {
    let Some(txn) = begin(db, Lock::HandoverPurge).await? else {
        return Ok(Round::Skipped);
    };
    let deleted = handover::purge_expired(&txn, now).await?;
    txn.commit().await?;
    Ok(Round::Ran { deleted })
}

/// Deletes the rate windows that have ended (PostgreSQL).
pub async fn purge_rate_windows(db: &DatabaseConnection) -> Result<Round, DbErr> {
    let Some(txn) = begin(db, Lock::RateWindowPurge).await? else {
        return Ok(Round::Skipped);
    };
    let deleted = rate_windows::purge_ended(&txn).await?;
    txn.commit().await?;
    Ok(Round::Ran { deleted })
}
