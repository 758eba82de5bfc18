//! `keyhouse backup FILE`: a consistent copy of the database, taken while
//! the server may be running, written to `.FILE.keyhouse-partial-<random>`
//! beside FILE (ours, mode 0600), synced, then linked as FILE, which fails if
//! FILE exists: never overwritten, never seen unfinished. SIGINT, SIGTERM and
//! SIGHUP remove the partial file; SIGKILL or a power cut leave at most it.
//!
//! SQLite: `VACUUM INTO` in one read transaction of its own (all that was
//! committed when it began; in WAL mode the server goes on meanwhile).
//! PostgreSQL: `pg_dump --format=custom --no-password`, the password in
//! `PGPASSWORD`, never on its command line (which every user of the machine
//! can read); without `pg_dump` on `PATH`, the recipe.
//!
//! Exit status: 0 written (one line: the file and its size); 2 refused,
//! nothing written; 1 the copy failed or was interrupted, nothing left.
use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::hash::BuildHasher;
use std::io::ErrorKind;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, ExitCode};
use std::str::FromStr;
use std::time::Duration;

use app::backend::db::Backend;
use sea_orm::sqlx::sqlite::SqliteConnectOptions;
use sea_orm::sqlx::{ConnectOptions, Connection};
use tokio::signal::unix::{SignalKind, signal};

enum Failure {
    /// Nothing was written: the command or its environment must change.
    Refused(String),
    /// The copy was attempted and failed; its partial file is gone.
    Failed(String),
}

pub async fn run(database_url: &str, file: &Path) -> ExitCode {
    // Handlers first (`biased`); on a signal the dropped copy removes its
    // partial file and stops pg_dump.
    let copied = tokio::select! {
        biased;
        signal = interrupted() => Err(Failure::Failed(format!("interrupted by {signal}"))),
        copied = copy(database_url, file) => copied,
    };
    let shown = file.display();
    match copied {
        Ok(bytes) => {
            println!("keyhouse: backup written to {shown} ({bytes} bytes)");
            ExitCode::SUCCESS
        }
        Err(Failure::Refused(why)) => {
            eprintln!("keyhouse: backup refused: {why}");
            ExitCode::from(2)
        }
        Err(Failure::Failed(why)) => {
            eprintln!("keyhouse: backup failed: {why}; {shown} not written");
            ExitCode::FAILURE
        }
    }
}

async fn interrupted() -> &'static str {
    let (Ok(mut int), Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        // Without handlers the signals keep their default: the process
        // ends, and at most the partial file is left.
        return std::future::pending().await;
    };
    tokio::select! {
        _ = int.recv() => "SIGINT",
        _ = term.recv() => "SIGTERM",
        _ = hup.recv() => "SIGHUP",
    }
}

async fn copy(database_url: &str, file: &Path) -> Result<u64, Failure> {
    // Before any work: an existing FILE (even a dangling link) is refused.
    if file.symlink_metadata().is_ok() {
        return Err(exists(file));
    }
    match Backend::of(database_url) {
        Some(Backend::Sqlite) => sqlite(database_url, file).await,
        Some(Backend::Postgres) => postgres(database_url, file).await,
        None => Err(Failure::Refused(
            "KEYHOUSE_DATABASE_URL must start with sqlite: or postgres://".into(),
        )),
    }
}

fn exists(file: &Path) -> Failure {
    let file = file.display();
    Failure::Refused(format!(
        "{file} exists already; a backup never overwrites a file"
    ))
}

fn unusable(file: &Path) -> Failure {
    Failure::Refused(format!("unusable file name {}", file.display()))
}

/// The copy while it is written: a file of ours beside FILE, under a name
/// no one else uses, readable by its owner only (it holds password and key
/// hashes). Removed unless it becomes FILE.
struct Partial {
    path: PathBuf,
    file: File,
}

impl Partial {
    fn create(target: &Path) -> Result<Partial, Failure> {
        let name = target.file_name().ok_or_else(|| unusable(target))?;
        let folder = folder_of(target);
        let random = std::collections::hash_map::RandomState::new();
        let mut attempt = 0u32;
        loop {
            let mut partial = OsString::from(".");
            partial.push(name);
            let tag = random.hash_one((std::process::id(), std::time::SystemTime::now(), attempt));
            partial.push(format!(".keyhouse-partial-{tag:016x}"));
            let path = folder.join(partial);
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
            {
                Ok(file) => return Ok(Partial { path, file }),
                Err(e) if e.kind() == ErrorKind::AlreadyExists && attempt < 8 => attempt += 1,
                Err(e) => {
                    return Err(Failure::Refused(format!(
                        "cannot create a file in {}: {e}",
                        folder.display()
                    )));
                }
            }
        }
    }

    /// Synced, then linked as `target` (never over an existing file), the
    /// partial name removed and the folder synced. Its size.
    fn finish(self, target: &Path) -> Result<u64, Failure> {
        let failed = |what: &str, e: std::io::Error| Failure::Failed(format!("{what}: {e}"));
        let ours = self
            .file
            .metadata()
            .map_err(|e| failed("cannot read the copy", e))?;
        // SQLite wrote it by name: still the file we created?
        let named = self.path.symlink_metadata();
        if !named.is_ok_and(|m| (m.dev(), m.ino()) == (ours.dev(), ours.ino())) {
            let why = format!("{} was replaced meanwhile", self.path.display());
            std::mem::forget(self); // Not ours to remove.
            return Err(Failure::Failed(why));
        }
        self.file
            .sync_all()
            .map_err(|e| failed("cannot sync the copy", e))?;
        match std::fs::hard_link(&self.path, target) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::AlreadyExists => return Err(exists(target)),
            Err(e) => return Err(failed(&format!("cannot create {}", target.display()), e)),
        }
        let _ = std::fs::remove_file(&self.path);
        if let Err(e) = File::open(folder_of(target)).and_then(|f| f.sync_all()) {
            // Not known to be on disk: not a backup to rely on.
            let _ = std::fs::remove_file(target);
            return Err(failed("cannot sync the folder", e));
        }
        Ok(ours.len())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn folder_of(file: &Path) -> &Path {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

async fn sqlite(database_url: &str, file: &Path) -> Result<u64, Failure> {
    if database_url.contains(":memory:") || database_url.contains("mode=memory") {
        let why = "an in-memory database has nothing to back up";
        return Err(Failure::Refused(why.into()));
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
    // VACUUM INTO writes into an empty file (ours, mode 0600 from the start).
    let partial = Partial::create(file)?;
    // Absolute, so SQLite never reads it as a `file:` URI, and UTF-8, to be
    // bound as text.
    let target = std::path::absolute(&partial.path)
        .ok()
        .and_then(|p| p.to_str().map(str::to_owned))
        .ok_or_else(|| unusable(file))?;
    let failed = |e: sea_orm::sqlx::Error| Failure::Failed(e.to_string());
    let mut connection = options.connect().await.map_err(failed)?;
    sea_orm::sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(&mut connection)
        .await
        .map_err(failed)?;
    connection.close().await.map_err(failed)?;
    // SQLite does not sync what VACUUM INTO wrote; `finish` does.
    partial.finish(file)
}

/// A running pg_dump, killed if the copy is dropped (a signal).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        // Both return at once for a child already waited for.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn postgres(database_url: &str, file: &Path) -> Result<u64, Failure> {
    let partial = Partial::create(file)?;
    let (url, password) = split_password(database_url);
    let stdout = partial
        .file
        .try_clone()
        .map_err(|e| Failure::Failed(format!("cannot write the copy: {e}")))?;
    let mut pg_dump = std::process::Command::new("pg_dump");
    pg_dump
        .args(["--format=custom", "--no-password"])
        .arg(format!("--dbname={url}"))
        .stdin(std::process::Stdio::null())
        .stdout(stdout);
    if let Some(password) = password {
        pg_dump.env("PGPASSWORD", password);
    }
    let mut running = match pg_dump.spawn() {
        Ok(child) => Running(child),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(Failure::Refused(recipe(&url, file)));
        }
        Err(e) => return Err(Failure::Failed(format!("cannot run pg_dump: {e}"))),
    };
    // Polled, so that a signal can drop (and kill) it.
    let status = loop {
        match running.0.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => tokio::time::sleep(Duration::from_millis(20)).await,
            Err(e) => return Err(Failure::Failed(format!("cannot wait for pg_dump: {e}"))),
        }
    };
    if !status.success() {
        return Err(Failure::Failed(format!(
            "pg_dump ended with {status} (its message is above)"
        )));
    }
    partial.finish(file)
}

/// What to run instead: the URL without its password, both quoted for the
/// shell, the password left to `~/.pgpass` or `PGPASSWORD`.
fn recipe(url: &str, file: &Path) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let (file, url) = (quote(&file.display().to_string()), quote(url));
    format!(
        "pg_dump is not on PATH. Back up PostgreSQL with the password in ~/.pgpass \
         or in the environment variable PGPASSWORD, never on a command line \
         (which every user of the machine can read):\n  \
         pg_dump --format=custom --no-password --file={file} {url}\n\
         and restore into a new, empty database with\n  \
         pg_restore --no-owner --exit-on-error --no-password --dbname=URL_OF_THE_NEW_DATABASE {file}"
    )
}

/// The URL for pg_dump's command line, without any password, and the
/// password for `PGPASSWORD`, read as the server's driver reads them: the
/// one after `user:` percent-decoded; a `password=` query parameter
/// (form-decoded) overrides it. `sslpassword=` is dropped (the driver does
/// not use it, and libpq has no environment variable for it). The password's
/// bytes are kept as they are, UTF-8 or not.
fn split_password(url: &str) -> (String, Option<OsString>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let rest = rest.split('#').next().unwrap_or_default();
    let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
    let mut password = None;
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, secret)) => {
                password = Some(decode(secret, false));
                format!("{user}@{host}")
            }
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    let mut kept = String::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match decode(key, true).as_slice() {
            b"password" => password = Some(decode(value, true)),
            b"sslpassword" => {}
            _ => {
                kept.push(if kept.is_empty() { '?' } else { '&' });
                kept.push_str(pair);
            }
        }
    }
    (
        format!("{scheme}://{authority}{path}{kept}"),
        password.map(OsString::from_vec),
    )
}

/// Percent-decoded bytes; `form`: `+` is a space (a query parameter).
fn decode(text: &str, form: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let [first, tail @ ..] = rest {
        let hex = tail
            .get(..2)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        let (byte, skip) = match (first, hex) {
            (b'%', Some(byte)) => (byte, 2),
            (b'+', _) if form => (b' ', 0),
            (&byte, _) => (byte, 0),
        };
        out.push(byte);
        rest = &tail[skip..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(url: &str) -> (String, Option<Vec<u8>>) {
        let (url, password) = split_password(url);
        (url, password.map(OsString::into_vec))
    }

    #[test]
    fn every_password_is_taken_out_of_the_url() {
        assert_eq!(
            split("postgres://kh:s%40cr%3At@db:5432/keyhouse?sslmode=require"),
            (
                "postgres://kh@db:5432/keyhouse?sslmode=require".into(),
                Some(b"s@cr:t".to_vec())
            )
        );
        // A query parameter overrides the one after `user:`, as in the
        // driver; `sslpassword` goes too; the fragment is not sent.
        assert_eq!(
            split("postgresql://kh:old@db/kh?password=n%65w+one&sslmode=disable&sslpassword=x#f"),
            (
                "postgresql://kh@db/kh?sslmode=disable".into(),
                Some(b"new one".to_vec())
            )
        );
        assert_eq!(
            split("postgres://kh:%FF%fe+%+f%@db"),
            ("postgres://kh@db".into(), Some(b"\xff\xfe+%+f%".to_vec()))
        );
        assert_eq!(
            split("postgres://db/keyhouse?password=p"),
            ("postgres://db/keyhouse".into(), Some(b"p".to_vec()))
        );
    }

    #[test]
    fn the_recipe_quotes_for_the_shell_and_holds_no_password() {
        let recipe = recipe("postgres://kh@db/a'b", Path::new("/b/it's"));
        let dump =
            r"pg_dump --format=custom --no-password --file='/b/it'\''s' 'postgres://kh@db/a'\''b'";
        assert!(recipe.contains(dump), "{recipe}");
        assert!(recipe.contains("PGPASSWORD"), "{recipe}");
    }
}
