//! `keyhouse backup FILE`: a consistent copy of the database, taken while
//! the server may be running, never written over an existing file.
//!
//! SQLite: `VACUUM INTO` on a connection of its own. It reads in one
//! transaction, so the copy holds exactly what was committed when it began,
//! and in WAL mode the server goes on reading and writing meanwhile.
//! PostgreSQL: `pg_dump --format=custom` when `pg_dump` is on `PATH`
//! (the password goes to it in `PGPASSWORD`, never on its command line, which
//! every user of the machine can read); without it, the recipe.
//!
//! Exit status: 0 written (one line: the file and its size); 2 refused,
//! nothing written (FILE exists, no database, PostgreSQL without `pg_dump`);
//! 1 the copy failed, and its unfinished file is removed.
use std::fs::{File, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;

use app::backend::db::Backend;
use sea_orm::sqlx::sqlite::SqliteConnectOptions;
use sea_orm::sqlx::{ConnectOptions, Connection};

enum Failure {
    /// Nothing was written: the command or its environment must change.
    Refused(String),
    /// The copy was attempted and failed; its file is gone.
    Failed(String),
}

pub async fn run(database_url: &str, file: &Path) -> ExitCode {
    let copied = match Backend::of(database_url) {
        Some(Backend::Sqlite) => sqlite(database_url, file).await,
        Some(Backend::Postgres) => postgres(database_url, file).await,
        None => Err(Failure::Refused(
            "KEYHOUSE_DATABASE_URL must start with sqlite: or postgres://".into(),
        )),
    };
    match copied {
        Ok(bytes) => {
            println!(
                "keyhouse: backup written to {} ({bytes} bytes)",
                file.display()
            );
            ExitCode::SUCCESS
        }
        Err(Failure::Refused(why)) => {
            eprintln!("keyhouse: backup refused: {why}");
            ExitCode::from(2)
        }
        Err(Failure::Failed(why)) => {
            eprintln!("keyhouse: backup failed: {why}");
            ExitCode::FAILURE
        }
    }
}

/// The backup file, created by us (so never someone else's file, even one
/// made a moment after a check), readable by its owner only (it holds
/// password and key hashes), and removed again unless the copy completes.
struct Output {
    path: PathBuf,
    file: File,
    done: bool,
}

impl Output {
    fn create(path: &Path) -> Result<Output, Failure> {
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| {
                Failure::Refused(match e.kind() {
                    ErrorKind::AlreadyExists => format!(
                        "{} exists already (a backup never overwrites a file)",
                        path.display()
                    ),
                    _ => format!("cannot create {}: {e}", path.display()),
                })
            })?;
        Ok(Output {
            path: path.to_owned(),
            file,
            done: false,
        })
    }

    /// On disk (the file and its name in the folder), and its size.
    fn finish(mut self) -> Result<u64, Failure> {
        let synced = self.file.sync_all().and_then(|()| {
            let folder = match self.path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            File::open(folder)?.sync_all()?;
            self.file.metadata()
        });
        let bytes = synced
            .map_err(|e| Failure::Failed(format!("cannot sync {}: {e}", self.path.display())))?
            .len();
        self.done = true;
        Ok(bytes)
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

async fn sqlite(database_url: &str, file: &Path) -> Result<u64, Failure> {
    if database_url.contains(":memory:") || database_url.contains("mode=memory") {
        return Err(Failure::Refused(
            "an in-memory database has nothing to back up".into(),
        ));
    }
    let options = SqliteConnectOptions::from_str(database_url)
        .map_err(|e| Failure::Refused(format!("KEYHOUSE_DATABASE_URL: {e}")))?
        // A missing database is an error here, not a new empty one.
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(5));
    let database = options.get_filename();
    if !database.is_file() {
        return Err(Failure::Refused(format!(
            "no database at {} (KEYHOUSE_DATABASE_URL)",
            database.display()
        )));
    }
    // Absolute, so SQLite never reads it as a `file:` URI, and UTF-8, to be
    // bound as text.
    let target = std::path::absolute(file)
        .ok()
        .and_then(|p| p.to_str().map(str::to_owned))
        .ok_or_else(|| Failure::Refused(format!("unusable file name {}", file.display())))?;

    // VACUUM INTO accepts an empty file as its target.
    let output = Output::create(file)?;
    let failed = |e: sea_orm::sqlx::Error| Failure::Failed(e.to_string());
    let mut connection = options.connect().await.map_err(failed)?;
    sea_orm::sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(&mut connection)
        .await
        .map_err(failed)?;
    connection.close().await.map_err(failed)?;
    // SQLite does not sync what VACUUM INTO wrote.
    output.finish()
}

async fn postgres(database_url: &str, file: &Path) -> Result<u64, Failure> {
    let output = Output::create(file)?;
    let (url, password) = without_password(database_url);
    let stdout = output
        .file
        .try_clone()
        .map_err(|e| Failure::Failed(format!("cannot write {}: {e}", file.display())))?;
    let mut pg_dump = std::process::Command::new("pg_dump");
    pg_dump
        .arg("--format=custom")
        .arg(format!("--dbname={url}"))
        .stdin(std::process::Stdio::null())
        .stdout(stdout);
    if let Some(password) = password {
        pg_dump.env("PGPASSWORD", password);
    }
    let status = tokio::task::spawn_blocking(move || pg_dump.status())
        .await
        .map_err(|e| Failure::Failed(e.to_string()))?;
    match status {
        Ok(status) if status.success() => output.finish(),
        Ok(status) => Err(Failure::Failed(format!(
            "pg_dump ended with {status} (its message is above)"
        ))),
        Err(e) if e.kind() == ErrorKind::NotFound => Err(Failure::Refused(recipe(file))),
        Err(e) => Err(Failure::Failed(format!("cannot run pg_dump: {e}"))),
    }
}

/// What to run instead, with the file named and the URL left to the shell.
fn recipe(file: &Path) -> String {
    let file = format!("'{}'", file.display().to_string().replace('\'', r"'\''"));
    format!(
        "pg_dump is not on PATH. Back up PostgreSQL with\n  \
         pg_dump --format=custom --file={file} \"$KEYHOUSE_DATABASE_URL\"\n\
         and restore into a new, empty database with\n  \
         pg_restore --no-owner --exit-on-error --dbname=\"$KEYHOUSE_DATABASE_URL\" {file}"
    )
}

/// The URL without its password, and the password (percent-decoded, as
/// libpq would read it from the URL).
fn without_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return (url.to_owned(), None);
    };
    let Some((user, password)) = userinfo.split_once(':') else {
        return (url.to_owned(), None);
    };
    (
        format!("{scheme}://{user}@{host}{tail}"),
        Some(percent_decode(password)),
    )
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_taken_out_of_the_url() {
        assert_eq!(
            without_password("postgres://kh:s%40cr%3At@db:5432/keyhouse?sslmode=require"),
            (
                "postgres://kh@db:5432/keyhouse?sslmode=require".into(),
                Some("s@cr:t".into())
            )
        );
        assert_eq!(
            without_password("postgresql://kh@db/keyhouse"),
            ("postgresql://kh@db/keyhouse".into(), None)
        );
        assert_eq!(
            without_password("postgres://db/keyhouse"),
            ("postgres://db/keyhouse".into(), None)
        );
    }

    #[test]
    fn the_recipe_quotes_the_file_for_the_shell() {
        let recipe = recipe(Path::new("/b/it's.dump"));
        assert!(recipe.contains(r"--file='/b/it'\''s.dump' "), "{recipe}");
        assert!(recipe.contains("\"$KEYHOUSE_DATABASE_URL\""), "{recipe}");
    }
}
