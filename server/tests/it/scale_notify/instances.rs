//! Two instances of Keyhouse on one PostgreSQL database, each with its own
//! state, key cache and listener, as two processes behind a load balancer
//! would be; and how to ask them about a key.
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::backend::keys::listener::{self, KeyListener};

use crate::common::api::{all_sets, call, error_code, new_key};
use crate::common::{TestApp, as_admin, on_postgres, org};

/// Within this long of A's answer, B refuses the key (in most rounds).
pub const PROMPTLY: Duration = Duration::from_millis(250);
/// The cache's own bound (one second) and some room: B refuses by then
/// whatever happened to the listener.
pub const AT_THE_LATEST: Duration = Duration::from_millis(1100);
pub const POLL: Duration = Duration::from_millis(5);

pub struct Instances {
    pub a: Arc<TestApp>,
    pub b: Arc<TestApp>,
    pub listeners: [KeyListener; 2],
    /// A key of A's admin with every API set: it disables and enables.
    pub manager: String,
    admin_cookie: String,
}

/// Two servers over one fresh PostgreSQL database, both listening; `None`
/// (after saying why) on SQLite.
pub async fn instances(test: &str) -> Option<Instances> {
    if !on_postgres(test) {
        return None;
    }
    let (url, _) = crate::common::fresh_database_url().await;
    let config = server::config::Config::for_database(&url);
    // One after the other: each runs the migrations at start.
    let a = server::build(&config).await.expect("instance A");
    let b = server::build(&config).await.expect("instance B");
    let listeners = [
        listener::spawn(a.state.key_cache.clone(), &url),
        listener::spawn(b.state.key_cache.clone(), &url),
    ];
    let a = Arc::new(TestApp::from_server(a, config.clone()));
    let b = Arc::new(TestApp::from_server(b, config));
    wait_listening(&listeners, 1).await;
    let acme = org(&a, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&a, &acme);
    let sets = all_sets(&mut admin).await;
    let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
    let (_, manager) = new_key(&mut admin, "Manager", &sets).await;
    Some(Instances {
        a,
        b,
        listeners,
        manager,
        admin_cookie: acme.admin_cookie,
    })
}

/// Until both listeners have started listening `sessions` times (10 s at
/// most: a hung connection takes two to three seconds to notice).
pub async fn wait_listening(listeners: &[KeyListener; 2], sessions: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while listeners.iter().any(|l| l.sessions() < sessions) {
        assert!(
            Instant::now() < deadline,
            "listeners not listening (session {sessions}) within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl Instances {
    pub async fn stop(self) {
        for listener in self.listeners {
            listener.stop().await;
        }
    }

    /// A new key of A's admin (no API sets: `/api/v1/me` needs none).
    pub async fn key(&self, name: &str) -> (String, String) {
        let mut admin = crate::common::Client::new(&self.a);
        admin.cookie = Some(self.admin_cookie.clone());
        new_key(&mut admin, name, &[]).await
    }

    /// Disables or enables key `id` through A's HTTP API.
    pub async fn set(&self, id: &str, enabled: bool) {
        set_through(&self.a, &self.manager, id, enabled).await;
    }
}

pub async fn set_through(a: &TestApp, manager: &str, id: &str, enabled: bool) {
    let verb = if enabled { "enable" } else { "disable" };
    let r = call(
        a,
        "POST",
        &format!("/api/v1/keys/{id}/{verb}"),
        Some(manager),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{verb} {id}: {}", r.body);
}

/// Whether `app` lets `key` through (`/api/v1/me`), and refuses it only as
/// disabled otherwise.
pub async fn works(app: &TestApp, key: &str) -> bool {
    let r = call(app, "GET", "/api/v1/me", Some(key), &[], None).await;
    match r.status {
        200 => true,
        401 => {
            assert_eq!(error_code(&r), "disabled", "{}", r.body);
            false
        }
        other => panic!("/api/v1/me answered {other}: {}", r.body),
    }
}

/// Asks `app` every 5 ms until it answers `expected` for `key`: how long
/// that took and how many requests, or `None` after [`AT_THE_LATEST`].
pub async fn until(app: &TestApp, key: &str, expected: bool) -> Option<(Duration, u32)> {
    let started = Instant::now();
    let mut requests = 0;
    while started.elapsed() < AT_THE_LATEST {
        requests += 1;
        if works(app, key).await == expected {
            return Some((started.elapsed(), requests));
        }
        tokio::time::sleep(POLL).await;
    }
    None
}

/// One revocation: `key` checked on B (remembered there, fresh), disabled
/// through A, then B asked until it refuses. How long after A's answer B
/// refused, and after how many requests; enabled again (and seen so by B)
/// before returning.
pub async fn revocation(inst: &Instances, id: &str, key: &str) -> (Duration, u32) {
    assert!(works(&inst.b, key).await, "the key works on B");
    inst.set(id, false).await;
    let delay = until(&inst.b, key, false)
        .await
        .expect("B refuses a disabled key within 1.1 s");
    inst.set(id, true).await;
    until(&inst.b, key, true)
        .await
        .expect("B lets an enabled key through within 1.1 s");
    delay
}

/// `rounds` revocations; panics unless at least `promptly` were refused
/// within [`PROMPTLY`]; prints the delays seen.
pub async fn revocations(inst: &Instances, id: &str, key: &str, rounds: usize, promptly: usize) {
    let mut delays = Vec::with_capacity(rounds);
    let mut at_once = 0;
    for _ in 0..rounds {
        let (delay, requests) = revocation(inst, id, key).await;
        delays.push(delay);
        at_once += usize::from(requests == 1);
    }
    delays.sort();
    let prompt = delays.iter().filter(|d| **d <= PROMPTLY).count();
    let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
    println!(
        "revocation seen on the other instance: {prompt}/{rounds} within {} ms, {at_once}/{rounds} on the first request; p50 {:.1} ms, max {:.1} ms",
        PROMPTLY.as_millis(),
        ms(&delays[rounds / 2]),
        ms(&delays[rounds - 1]),
    );
    assert!(
        prompt >= promptly,
        "only {prompt} of {rounds} revocations seen within {PROMPTLY:?}: {delays:?}"
    );
}

/// The listeners' backends, stopped (SIGSTOP) so their connections hang
/// without closing; resumed when dropped, whatever the test's outcome.
pub struct Frozen(Vec<String>);

impl Frozen {
    /// Stops `pids` if each is a local PostgreSQL backend serving
    /// `database`; `None` when one is not (PostgreSQL on another host or in
    /// a container) or cannot be signalled (another user's).
    pub fn freeze(pids: Vec<String>, database: &str) -> Option<Frozen> {
        let ours = |pid: &String| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmdline| {
                let cmdline = String::from_utf8_lossy(&cmdline);
                cmdline.starts_with("postgres:") && cmdline.contains(database)
            })
        };
        if pids.is_empty() || !pids.iter().all(ours) {
            return None;
        }
        let stopped = std::process::Command::new("kill")
            .arg("-STOP")
            .args(&pids)
            .status()
            .is_ok_and(|s| s.success());
        let frozen = Frozen(pids);
        stopped.then_some(frozen)
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .arg("-CONT")
            .args(&self.0)
            .status();
    }
}
