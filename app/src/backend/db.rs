//! Opening the database: SQLite (embedded default) or PostgreSQL.
use std::path::Path;
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr,
    TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

use super::advisory::{self, Lock};
use super::migrations::Migrator;

/// Which database a URL names; anything else is refused before connecting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// The URL with any password replaced, fit for logs and error messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

/// The file a SQLite URL points at, if it is a file (not `:memory:`).
fn sqlite_file(url: &str) -> Option<&Path> {
    let path = url
        .trim_start_matches("sqlite:")
        .trim_start_matches("//")
        .split('?')
        .next()?;
    (!path.is_empty() && !path.starts_with(":memory:")).then(|| Path::new(path))
}

/// Connects with the settings Keyhouse relies on. SQLite: WAL (readers do not
/// block the writer), foreign keys on, a busy timeout instead of immediate
/// "database is locked", and `synchronous=FULL` so an acknowledged write
/// survives a power cut, not only a process crash.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let backend = Backend::of(url).ok_or_else(|| {
        DbErr::Custom("the database URL must start with sqlite: or postgres://".into())
    })?;
    if backend == Backend::Sqlite
        && let Some(parent) = sqlite_file(url).and_then(Path::parent)
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|e| {
            DbErr::Custom(format!("cannot create folder {}: {e}", parent.display()))
        })?;
    }

    let mut options = ConnectOptions::new(url);
    options
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        // SQL logging would print parameters; Keyhouse logs requests instead.
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
        });
    if backend == Backend::Sqlite {
        // Each SQLite connection is a thread of its own doing the work:
        // more of them than about two per core only adds switching between
        // them (the Public API page: 4 on 2 cores renders ~10 % more pages
        // a second than 8, `make bench`).
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as u32);
        options
            .max_connections((2 * cores).clamp(2, 8))
            .min_connections(1)
            // An embedded connection cannot have been dropped by a network:
            // no ping (a round trip to its thread) before every statement.
            .test_before_acquire(false);
    } else {
        options.max_connections(16);
    }
    Database::connect(options).await
}

/// Connects and applies every pending migration.
///
/// On PostgreSQL, instances started together would all find the same
/// migrations pending and apply them together (`relation already exists`,
/// a duplicate `seaql_migrations` row): so they take turns. A transaction
/// of its own holds the migrations' advisory lock while the migrator runs
/// beside it as usual (each migration in its own transaction); the next
/// instance gets the lock only after that and finds nothing pending.
pub async fn connect_and_migrate(url: &str) -> Result<DatabaseConnection, DbErr> {
    let db = connect(url).await?;
    if db.get_database_backend() != DbBackend::Postgres {
        Migrator::up(&db, None).await?;
        return Ok(db);
    }
    let turn = db.begin().await?;
    // This transaction sits idle while the migrations run beside it: no
    // server-side timeout may end it (and release the lock) half-way, nor
    // cancel an instance waiting for its turn.
    turn.execute_unprepared(
        "SET LOCAL idle_in_transaction_session_timeout = 0; \
         SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = 0",
    )
    .await?;
    advisory::wait(&turn, Lock::Migrations).await?;
    let migrated = Migrator::up(&db, None).await;
    // Ending the transaction releases the lock, also after a failure (the
    // migration's error is the one worth reporting).
    let released = turn.commit().await;
    migrated?;
    released?;
    Ok(db)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_is_chosen_by_scheme() {
        assert_eq!(Backend::of("sqlite://data/k.db"), Some(Backend::Sqlite));
        assert_eq!(Backend::of("sqlite::memory:"), Some(Backend::Sqlite));
        assert_eq!(Backend::of("postgres://u@h/db"), Some(Backend::Postgres));
        assert_eq!(Backend::of("postgresql://u@h/db"), Some(Backend::Postgres));
        assert_eq!(Backend::of("mysql://u@h/db"), None);
        assert_eq!(Backend::of("nonsense"), None);
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://kh:s3cret@db:5432/keyhouse"),
            "postgres://kh:***@db:5432/keyhouse"
        );
        assert_eq!(
            redact_url("postgres://db/keyhouse"),
            "postgres://db/keyhouse"
        );
        assert_eq!(redact_url("sqlite://data/k.db"), "sqlite://data/k.db");
    }

    #[test]
    fn sqlite_file_is_found() {
        assert_eq!(
            sqlite_file("sqlite://data/k.db?mode=rwc"),
            Some(Path::new("data/k.db"))
        );
        assert_eq!(
            sqlite_file("sqlite:data/k.db"),
            Some(Path::new("data/k.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
    }
}
