//! `keyhouse backup FILE` as an operator runs it, beside the running server:
//! a copy taken while keys are being created and checked holds every key
//! acknowledged before it began, passes SQLite's integrity check and serves
//! a fresh instance; an existing FILE is never touched; PostgreSQL goes
//! through `pg_dump` (and `pg_restore` brings it back), or, without it, gets
//! the recipe; no secret is ever printed.
use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::sqlx::{Connection, sqlite::SqliteConnection};

use crate::binary::{http, keyhouse, server_fn, sigterm_and_wait, start_on};
use crate::common::{fresh_database_url, on_postgres};

const PASSWORD: &str = "correct horse battery staple";

/// Signs Ada up (a new organization) and returns her session cookie.
fn sign_up(addr: &str) -> String {
    let (status, head, body) = server_fn(
        addr,
        "auth/register",
        "",
        "name=Ada&email=ada%40example.com&password=correct+horse+battery+staple\
         &password_confirm=correct+horse+battery+staple&location_name=Acme",
    );
    assert!(status < 400, "{status} {body}");
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, v)| {
            k.eq_ignore_ascii_case("set-cookie") && v.trim().starts_with("keyhouse_session=")
        })
        .and_then(|(_, v)| v.trim().split(';').next())
        .expect("session cookie")
        .to_owned()
}

fn create_key(addr: &str, cookie: &str, name: &str) -> String {
    let (status, _, body) = server_fn(
        addr,
        "keys/create",
        cookie,
        &format!("name={name}&expires=never"),
    );
    assert_eq!(status, 200, "{body}");
    let created: serde_json::Value = serde_json::from_str(&body).expect("json");
    created["key"].as_str().expect("key").to_owned()
}

/// Forward-auth for `org` with `key`: its status.
fn check(addr: &str, org: &str, key: &str) -> u16 {
    let bearer = format!("Bearer {key}");
    let path = format!("GET /api/v1/orgs/{org}/auth");
    http(addr, &path, &[("Authorization", &bearer)], "").0
}

fn org_slug(addr: &str, key: &str) -> String {
    let bearer = format!("Bearer {key}");
    let (status, _, body) = http(addr, "GET /api/v1/me", &[("Authorization", &bearer)], "");
    assert_eq!(status, 200, "{body}");
    let me: serde_json::Value = serde_json::from_str(&body).expect("json");
    me["organization"]["slug"]
        .as_str()
        .expect("slug")
        .to_owned()
}

fn backup(database_url: &str, file: &Path) -> Output {
    keyhouse()
        .env("KEYHOUSE_DATABASE_URL", database_url)
        .arg("backup")
        .arg(file)
        .output()
        .expect("run keyhouse backup")
}

/// The one success line names the file and its size; nothing else, and no
/// secret, is printed.
fn assert_written(out: &Output, file: &Path, secrets: &[String]) {
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{out:?}");
    let size = std::fs::metadata(file).expect("backup file").len();
    assert_eq!(
        stdout,
        format!(
            "keyhouse: backup written to {} ({size} bytes)\n",
            file.display()
        )
    );
    assert!(stderr.is_empty(), "{stderr}");
    for secret in secrets {
        assert!(
            !stdout.contains(secret.as_str()),
            "secret printed: {stdout}"
        );
    }
}

fn pg_dump_on_path() -> bool {
    std::process::Command::new("pg_dump")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn backup_taken_under_load_restores_every_acknowledged_key() {
    let test = "backup::backup_taken_under_load_restores_every_acknowledged_key";
    if std::env::var("KEYHOUSE_TEST_POSTGRES").is_ok_and(|url| !url.is_empty()) {
        eprintln!("{test}: SQLite's backup, run by the SQLite pass; skipped");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("kh.db").display());
    let (mut server, addr) = start_on(&url);
    let cookie = sign_up(&addr);
    let first = create_key(&addr, &cookie, "First");
    let org = org_slug(&addr, &first);
    let mut keys = vec![first];
    keys.extend((1..5).map(|i| create_key(&addr, &cookie, &format!("Key{i}"))));
    let acknowledged = Arc::new(Mutex::new(keys));

    // Two clients create and check keys until told to stop (at most 40
    // each, at most 20 s): before, during and after the backup.
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..2)
        .map(|c| {
            let (addr, cookie, org) = (addr.clone(), cookie.clone(), org.clone());
            let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
            std::thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(20);
                for n in 0..40 {
                    if stop.load(Ordering::SeqCst) || Instant::now() > deadline {
                        break;
                    }
                    let key = create_key(&addr, &cookie, &format!("Load{c}x{n}"));
                    acknowledged.lock().expect("lock").push(key.clone());
                    assert_eq!(check(&addr, &org, &key), 204);
                }
            })
        })
        .collect();
    let count = || acknowledged.lock().expect("lock").len();
    let wait_for = |n: usize| {
        let deadline = Instant::now() + Duration::from_secs(10);
        while count() < n && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(count() >= n, "the clients stalled at {} keys", count());
    };
    wait_for(7);

    let before = acknowledged.lock().expect("lock").clone();
    let file = dir.path().join("backup.db");
    let out = backup(&url, &file);
    let after = count();
    // The writers were never held up: they go on after the backup too.
    wait_for(after + 2);
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().expect("client");
    }
    let mut secrets = acknowledged.lock().expect("lock").clone();
    secrets.push(PASSWORD.into());
    assert_written(&out, &file, &secrets);
    eprintln!(
        "{test}: {} keys before the backup, {} during it",
        before.len(),
        after - before.len()
    );

    // A second run never overwrites the first backup, nor anything else.
    let kept = std::fs::read(&file).expect("read backup");
    let again = backup(&url, &file);
    assert_eq!(again.status.code(), Some(2), "{again:?}");
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("exists already"), "{stderr}");
    assert_eq!(std::fs::read(&file).expect("read backup"), kept);
    sigterm_and_wait(&mut server);

    let integrity = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async {
            let url = format!("sqlite://{}?mode=ro", file.display());
            let mut db = SqliteConnection::connect(&url).await.expect("open backup");
            let rows: Vec<String> = sea_orm::sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_all(&mut db)
                .await
                .expect("integrity_check");
            db.close().await.expect("close");
            rows
        });
    assert_eq!(integrity, ["ok"]);

    // Restore: the copy becomes a new instance's database.
    let restored = dir.path().join("restored");
    std::fs::create_dir(&restored).expect("folder");
    std::fs::copy(&file, restored.join("kh.db")).expect("copy");
    let (mut server, addr) = start_on(&format!("sqlite://{}", restored.join("kh.db").display()));
    for key in &before {
        assert_eq!(check(&addr, &org, key), 204, "a key acknowledged before");
    }
    sigterm_and_wait(&mut server);
}

#[test]
fn postgres_without_pg_dump_gets_the_recipe_and_a_failure_leaves_nothing() {
    let test = "backup::postgres_without_pg_dump_gets_the_recipe_and_a_failure_leaves_nothing";
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("kh.dump");
    let url = "postgres://kh:hunter2@127.0.0.1:1/keyhouse";
    let out = keyhouse()
        .env("KEYHOUSE_DATABASE_URL", url)
        .env("PATH", dir.path().join("nothing-here"))
        .arg("backup")
        .arg(&file)
        .output()
        .expect("run keyhouse backup");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    let dump = format!(
        "pg_dump --format=custom --file='{}' \"$KEYHOUSE_DATABASE_URL\"",
        file.display()
    );
    assert!(stderr.contains(&dump), "{stderr}");
    assert!(stderr.contains("pg_restore"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "password printed: {stderr}");
    assert!(!file.exists(), "nothing written");

    if !pg_dump_on_path() {
        eprintln!("{test}: pg_dump is not on PATH; its failure case skipped");
        return;
    }
    // pg_dump on PATH, the server unreachable: failed, no half file left.
    let out = backup(url, &file);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let printed = format!("{out:?}");
    assert!(!printed.contains("hunter2"), "password printed: {printed}");
    assert!(!file.exists(), "the unfinished file is removed");
}

#[test]
fn postgres_backup_restores_with_pg_restore() {
    let test = "backup::postgres_backup_restores_with_pg_restore";
    if !on_postgres(test) {
        return;
    }
    if !pg_dump_on_path() {
        eprintln!("{test}: pg_dump is not on PATH; skipped");
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (url, _) = runtime.block_on(fresh_database_url());
    let (mut server, addr) = start_on(&url);
    let cookie = sign_up(&addr);
    let keys: Vec<String> = (0..3)
        .map(|i| create_key(&addr, &cookie, &format!("Key{i}")))
        .collect();
    let org = org_slug(&addr, &keys[0]);

    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("kh.dump");
    let out = backup(&url, &file);
    let mut secrets = keys.clone();
    secrets.push(PASSWORD.into());
    assert_written(&out, &file, &secrets);
    sigterm_and_wait(&mut server);

    // The documented restore: into a new, empty database.
    let (restored, _) = runtime.block_on(fresh_database_url());
    let status = std::process::Command::new("pg_restore")
        .args(["--no-owner", "--exit-on-error"])
        .arg(format!("--dbname={restored}"))
        .arg(&file)
        .status()
        .expect("run pg_restore");
    assert!(status.success(), "pg_restore: {status}");
    let (mut server, addr) = start_on(&restored);
    for key in &keys {
        assert_eq!(check(&addr, &org, key), 204, "a backed-up key");
    }
    sigterm_and_wait(&mut server);
}
