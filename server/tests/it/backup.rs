//! `keyhouse backup FILE` as an operator runs it, beside the running server:
//! a copy taken while keys are being created and checked holds every key
//! acknowledged before it began, passes SQLite's integrity check and serves
//! a fresh instance; an existing FILE is never touched, and no partial file
//! is left; PostgreSQL in [`postgres`]. No secret is ever printed.
mod postgres;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::sqlx::{Connection, sqlite::SqliteConnection};

use crate::binary::{http, keyhouse, server_fn, sigterm_and_wait, start_on, start_with};

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
/// secret, is printed. The file is its owner's alone, and no partial file is
/// left beside it.
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
    let mode = std::fs::metadata(file)
        .expect("backup file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    assert_eq!(partial_files(file), Vec::<String>::new());
    for secret in secrets {
        assert!(
            !stdout.contains(secret.as_str()),
            "secret printed: {stdout}"
        );
    }
}

/// The partial files of a backup to `file` left in its folder.
fn partial_files(file: &Path) -> Vec<String> {
    let folder = file.parent().expect("folder");
    let prefix = format!(
        ".{}.keyhouse-partial-",
        file.file_name().expect("name").display()
    );
    std::fs::read_dir(folder)
        .expect("list folder")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.starts_with(&prefix))
        .collect()
}

/// A key creation as its client saw it.
struct Write {
    key: String,
    sent: Instant,
    acknowledged: Instant,
}

/// At most this many requests, and this long, per load client.
const LOAD_REQUESTS: usize = 300;
const LOAD_TIME: Duration = Duration::from_secs(20);

/// Two clients create keys, one after the other, and a third checks them,
/// until `stop` (or their bounds): before, during and after the backup.
fn load(
    addr: &str,
    cookie: &str,
    org: &str,
    writes: &Arc<Mutex<Vec<Write>>>,
    stop: &Arc<AtomicBool>,
) -> Vec<std::thread::JoinHandle<()>> {
    let deadline = Instant::now() + LOAD_TIME;
    let go_on = move |stop: &AtomicBool, n: usize| {
        !stop.load(Ordering::SeqCst) && n < LOAD_REQUESTS && Instant::now() < deadline
    };
    let mut clients: Vec<_> = (0..2)
        .map(|c| {
            let (addr, cookie) = (addr.to_owned(), cookie.to_owned());
            let (writes, stop) = (writes.clone(), stop.clone());
            std::thread::spawn(move || {
                for n in (0..).take_while(|&n| go_on(&stop, n)) {
                    let sent = Instant::now();
                    let key = create_key(&addr, &cookie, &format!("Load{c}x{n}"));
                    let acknowledged = Instant::now();
                    let write = Write {
                        key,
                        sent,
                        acknowledged,
                    };
                    writes.lock().expect("lock").push(write);
                }
            })
        })
        .collect();
    let (addr, org) = (addr.to_owned(), org.to_owned());
    let (writes, stop) = (writes.clone(), stop.clone());
    clients.push(std::thread::spawn(move || {
        for n in (0..).take_while(|&n| go_on(&stop, n)) {
            let key = {
                let writes = writes.lock().expect("lock");
                writes[n % writes.len()].key.clone()
            };
            assert_eq!(check(&addr, &org, &key), 204, "an acknowledged key");
            std::thread::sleep(Duration::from_millis(5));
        }
    }));
    clients
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
    // Room for every key the load may create.
    let (mut server, addr) = start_with(&url, &[("KEYHOUSE_MAX_KEYS_PER_USER", "10000")]);
    let cookie = sign_up(&addr);
    let first = create_key(&addr, &cookie, "First");
    let org = org_slug(&addr, &first);
    let keys: Vec<String> = std::iter::once(first)
        .chain((1..5).map(|i| create_key(&addr, &cookie, &format!("Key{i}"))))
        .collect();
    let now = Instant::now();
    let writes: Vec<Write> = keys
        .into_iter()
        .map(|key| Write {
            key,
            sent: now,
            acknowledged: now,
        })
        .collect();
    let writes = Arc::new(Mutex::new(writes));
    let stop = Arc::new(AtomicBool::new(false));
    let clients = load(&addr, &cookie, &org, &writes, &stop);
    let sent_after = |t: Instant| {
        writes
            .lock()
            .expect("lock")
            .iter()
            .filter(|w| w.sent > t)
            .count()
    };
    // Until a write is acknowledged that was sent after `t`, or the writers
    // are done.
    let wait_for_write_after = |t: Instant| {
        let deadline = Instant::now() + Duration::from_secs(10);
        while sent_after(t) == 0 && !clients[..2].iter().all(|c| c.is_finished()) {
            assert!(Instant::now() < deadline, "the writers stalled");
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    wait_for_write_after(now);

    let file = dir.path().join("backup.db");
    let began = Instant::now();
    let out = backup(&url, &file);
    let ended = Instant::now();
    // The writers were not held up: they go on after the backup too (unless
    // they reached their bounds meanwhile).
    wait_for_write_after(ended);
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().expect("client");
    }
    let writes = Arc::into_inner(writes)
        .expect("clients gone")
        .into_inner()
        .expect("lock");
    let mut secrets: Vec<String> = writes.iter().map(|w| w.key.clone()).collect();
    secrets.push(PASSWORD.into());
    assert_written(&out, &file, &secrets);

    // Under load: writes from the load acknowledged before the backup began,
    // and a write in flight while it ran (sent before it ended, acknowledged
    // after it began). By construction: the writers were running before it
    // began, and go on until `stop`, set after it ended (or their bounds).
    let before: Vec<&Write> = writes.iter().filter(|w| w.acknowledged < began).collect();
    let during = |w: &&Write| w.sent < ended && w.acknowledged > began;
    let overlapping = writes.iter().filter(during).count();
    let inside = writes
        .iter()
        .filter(|w| w.acknowledged > began && w.acknowledged < ended)
        .count();
    assert!(before.len() > 5, "no write from the load before the backup");
    assert!(
        overlapping > 0,
        "no write while the backup ran ({:?})",
        ended - began
    );
    eprintln!(
        "{test}: {} keys acknowledged before the backup, {inside} during its {:?}, {} in all",
        before.len(),
        ended - began,
        writes.len()
    );

    // A second run never overwrites the first backup, nor anything else.
    let kept = std::fs::read(&file).expect("read backup");
    let again = backup(&url, &file);
    assert_eq!(again.status.code(), Some(2), "{again:?}");
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("exists already"), "{stderr}");
    assert_eq!(std::fs::read(&file).expect("read backup"), kept);
    assert_eq!(partial_files(&file), Vec::<String>::new());
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
    for write in &before {
        assert_eq!(
            check(&addr, &org, &write.key),
            204,
            "a key acknowledged before"
        );
    }
    sigterm_and_wait(&mut server);
}
