//! The one way to write: begin, change, audit, commit with the cache
//! invalidation the change implies.
//!
//! ```text
//! let mut work = Work::begin(state).await?;   // SQLite: BEGIN IMMEDIATE
//! row.insert(&work).await?;                    // a `Work` is the connection
//! work.audit(Entry::new(...));
//! work.commit(Invalidate::Keys).await?;
//! ```
//!
//! Audit rows are queued and inserted inside the transaction just before
//! `COMMIT`, with the webhook deliveries they owe (the outbox), so a change,
//! its audit rows and its events commit together or not at all:
//! a `Work` dropped without [`Work::commit`] (an early `?` or `return`) rolls
//! back both. Every commit names what it makes stale.
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    ExecResult, QueryResult, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
};

use super::audit::Entry;
use super::entities::audit_event;
use super::keys::cache::KeyCache;
use super::keys::listener;
use super::webhooks::outbox;

/// What a committed change makes stale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invalidate {
    /// Nothing a key check reads changed.
    None,
    /// A key check may answer differently now: a key or its secrets, its
    /// owner's status, membership or role, the organization (Public API,
    /// slug), or the API sets a key has. Clears the key cache after commit,
    /// and on PostgreSQL tells the other instances to clear theirs.
    Keys,
}

/// A write transaction with its queued audit rows. Reads and writes go
/// through it like through any connection (`&work`); [`Work::txn`] gives the
/// transaction itself, for savepoints.
/// What a unit of work needs of the application: its database and the key
/// cache a commit may clear. `AppState` is one (this module does not name
/// it: the state holds parts that write through units of work).
pub trait Workplace {
    fn database(&self) -> &DatabaseConnection;
    fn key_cache(&self) -> &KeyCache;
}

#[must_use = "dropping a Work rolls its change back: commit it"]
pub struct Work {
    txn: DatabaseTransaction,
    audit: Vec<audit_event::ActiveModel>,
    /// `None` for bookkeeping, which never invalidates keys.
    keys: Option<KeyCache>,
}

impl Work {
    /// Starts a write of the application.
    pub async fn begin(state: &impl Workplace) -> Result<Work, DbErr> {
        Work::start(state.database(), Some(state.key_cache().clone())).await
    }

    /// Starts a write of bookkeeping that no key check reads and nobody
    /// audits (sign-in throttle reservations, key usage counts), for code
    /// that runs without the application state. Committing it with
    /// [`Invalidate::Keys`] is refused.
    pub async fn begin_bookkeeping(db: &DatabaseConnection) -> Result<Work, DbErr> {
        Work::start(db, None).await
    }

    /// On SQLite the write lock is taken at `BEGIN` (`BEGIN IMMEDIATE`),
    /// waiting for it under the busy timeout: a deferred transaction that
    /// reads first and writes later fails with "database is locked" when
    /// another connection wrote in between. PostgreSQL ignores the option.
    async fn start(db: &DatabaseConnection, keys: Option<KeyCache>) -> Result<Work, DbErr> {
        let txn = db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?;
        Ok(Work {
            txn,
            audit: Vec::new(),
            keys,
        })
    }

    /// The transaction itself, where a concrete one is needed (savepoints).
    pub fn txn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    /// Queues an audit row; it is written in this transaction at commit.
    pub fn audit(&mut self, entry: Entry<'_>) {
        self.audit.push(entry.into_row());
    }

    /// Writes the queued audit rows, commits, then clears what `invalidate`
    /// names. An error before `COMMIT` rolls everything back.
    pub async fn commit(self, invalidate: Invalidate) -> Result<(), DbErr> {
        let Work { txn, audit, keys } = self;
        if invalidate == Invalidate::Keys && keys.is_none() {
            return Err(DbErr::Custom(
                "bookkeeping work cannot invalidate keys".into(),
            ));
        }
        let mut written = Vec::with_capacity(audit.len());
        for row in audit {
            written.push(row.insert(&txn).await?);
        }
        // The webhook deliveries these changes owe, in the same
        // transaction: sent exactly when the change commits.
        outbox::enqueue_audited(&txn, &written).await?;
        let mut notice = None;
        if let (Invalidate::Keys, Some(keys)) = (invalidate, &keys)
            && txn.get_database_backend() == DbBackend::Postgres
        {
            // Tells the other instances (see `keys::listener`): inside the
            // transaction, so the notice is sent only if the change commits,
            // and never before it is visible. Its payload names this
            // instance and a number (see `keys::echo`); every instance
            // clears its whole cache.
            let (seq, payload) = keys.echo.next();
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [listener::CHANNEL.into(), payload.into()],
            ))
            .await?;
            notice = Some(seq);
        }
        txn.commit().await?;
        let metrics = super::metrics::get();
        for row in &written {
            metrics.audited(&row.action);
        }
        if let (Invalidate::Keys, Some(keys)) = (invalidate, keys) {
            keys.clear();
            if let Some(seq) = notice {
                keys.echo.wait(seq).await;
            }
        }
        Ok(())
    }

    /// An audit row that records no change of its own (a failed or
    /// throttled sign-in), in a transaction of its own.
    pub async fn audit_alone(state: &impl Workplace, entry: Entry<'_>) -> Result<(), DbErr> {
        let mut work = Work::begin(state).await?;
        work.audit(entry);
        work.commit(Invalidate::None).await
    }

    /// Gives up the change and the queued audit rows (dropping does the
    /// same; this waits for the rollback and reports its error).
    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Work {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }
}
