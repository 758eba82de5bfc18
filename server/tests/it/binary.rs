//! The `keyhouse` binary as an operator meets it: bad settings are one line,
//! a good start serves, SIGTERM stops it cleanly.
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

pub(crate) fn keyhouse() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_keyhouse"));
    for (key, _) in std::env::vars() {
        if key.starts_with("KEYHOUSE_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

fn one_line_failure(cmd: &mut Command, expected_code: i32) -> String {
    let output = cmd.output().expect("run keyhouse");
    assert_eq!(output.status.code(), Some(expected_code), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one line, got: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn bad_address_is_refused_in_one_line() {
    let stderr = one_line_failure(keyhouse().env("KEYHOUSE_ADDR", "nonsense"), 2);
    assert!(stderr.starts_with("keyhouse: "), "{stderr}");
    assert!(
        stderr.contains("KEYHOUSE_ADDR") && stderr.contains("nonsense"),
        "{stderr}"
    );
}

#[test]
fn unknown_database_scheme_is_refused_in_one_line() {
    let stderr = one_line_failure(keyhouse().env("KEYHOUSE_DATABASE_URL", "mysql://x/y"), 2);
    assert!(stderr.contains("KEYHOUSE_DATABASE_URL"), "{stderr}");
}

#[test]
fn unreachable_database_is_refused_in_one_line() {
    let stderr = one_line_failure(
        keyhouse().env("KEYHOUSE_ADDR", "127.0.0.1:0").env(
            "KEYHOUSE_DATABASE_URL",
            "postgres://kh:hunter2@127.0.0.1:1/keyhouse",
        ),
        1,
    );
    assert!(stderr.contains("cannot open database"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "password leaked: {stderr}");
}

#[test]
fn help_lists_the_environment_variables() {
    let output = keyhouse().arg("--help").output().expect("run keyhouse");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for var in [
        "KEYHOUSE_ADDR",
        "KEYHOUSE_DATABASE_URL",
        "KEYHOUSE_LOG",
        "KEYHOUSE_SECURE_COOKIES",
    ] {
        assert!(help.contains(var), "{var} missing from --help");
    }
}

#[test]
fn serves_then_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = keyhouse()
        .env("KEYHOUSE_ADDR", "127.0.0.1:0")
        .env(
            "KEYHOUSE_DATABASE_URL",
            format!("sqlite://{}/kh.db", dir.path().display()),
        )
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start keyhouse");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("server printed a listening line")
            .expect("read line");
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split_whitespace().next().expect("address").to_owned();
        }
    };

    let mut stream = TcpStream::connect(&addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    write!(
        stream,
        "GET /readyz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(dir.path().join("kh.db").exists(), "database file created");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("send SIGTERM");
    assert!(status.success());
    let exit = child.wait().expect("wait");
    assert!(exit.success(), "clean exit on SIGTERM: {exit:?}");
}

/// A started `keyhouse` on a loopback port over `db`, and its address.
fn start(db: &std::path::Path) -> (std::process::Child, String) {
    start_on(&format!("sqlite://{}", db.display()))
}

/// A started `keyhouse` on a loopback port over `database_url`, and its address.
pub(crate) fn start_on(database_url: &str) -> (std::process::Child, String) {
    start_with(database_url, &[])
}

/// [`start_on`] with more settings in its environment.
pub(crate) fn start_with(
    database_url: &str,
    settings: &[(&str, &str)],
) -> (std::process::Child, String) {
    let mut child = keyhouse()
        .env("KEYHOUSE_ADDR", "127.0.0.1:0")
        .env("KEYHOUSE_DATABASE_URL", database_url)
        .env("NO_COLOR", "1")
        .envs(settings.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start keyhouse");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("server printed a listening line")
            .expect("read line");
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split_whitespace().next().expect("address").to_owned();
        }
    };
    // Keep reading its output, so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, addr)
}

/// One HTTP/1.0 exchange (no chunked answer): status, head, body.
pub(crate) fn http(
    addr: &str,
    request_line: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut head = format!(
        "{request_line} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("send head");
    stream.write_all(body.as_bytes()).expect("send body");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_owned(), body.to_owned())
}

pub(crate) fn server_fn(
    addr: &str,
    endpoint: &str,
    cookie: &str,
    form: &str,
) -> (u16, String, String) {
    http(
        addr,
        &format!("POST /rpc/{endpoint}"),
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Accept", "application/json"),
            ("Cookie", cookie),
        ],
        form,
    )
}

pub(crate) fn sigterm_and_wait(child: &mut std::process::Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("send SIGTERM");
    assert!(status.success());
    let exit = child.wait().expect("wait");
    assert!(exit.success(), "clean exit on SIGTERM: {exit:?}");
}

#[test]
fn key_usage_counted_just_before_sigterm_is_kept() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("kh.db");
    let (mut child, addr) = start(&db);

    let (status, head, body) = server_fn(
        &addr,
        "auth/register",
        "",
        "name=Ada&email=ada%40example.com&password=correct+horse+battery+staple\
         &password_confirm=correct+horse+battery+staple&location_name=Acme",
    );
    assert!(status < 400, "{status} {body}");
    let cookie = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, v)| {
            k.eq_ignore_ascii_case("set-cookie") && v.trim().starts_with("keyhouse_session=")
        })
        .and_then(|(_, v)| v.trim().split(';').next())
        .expect("session cookie")
        .to_owned();
    let (status, _, body) = server_fn(&addr, "keys/create", &cookie, "name=Counted&expires=never");
    assert_eq!(status, 200, "{body}");
    let created: serde_json::Value = serde_json::from_str(&body).expect("json");
    let key = created["key"].as_str().expect("key").to_owned();
    let id = created["id"].as_i64().expect("id");

    // One use of the key, then SIGTERM at once: well before the periodic
    // write (every 2 s) comes round.
    let (status, _, body) = http(
        &addr,
        "GET /api/v1/me",
        &[("Authorization", &format!("Bearer {key}"))],
        "",
    );
    assert_eq!(status, 200, "{body}");
    sigterm_and_wait(&mut child);

    let (mut child, addr) = start(&db);
    let (status, _, body) = server_fn(&addr, "keys/details", &cookie, &format!("id={id}"));
    assert_eq!(status, 200, "{body}");
    let details: serde_json::Value = serde_json::from_str(&body).expect("json");
    let requests: i64 = details["usage"]
        .as_array()
        .expect("usage")
        .iter()
        .filter_map(|d| d["requests"].as_i64())
        .sum();
    assert_eq!(requests, 1, "the request before SIGTERM is counted: {body}");
    assert!(
        details["key"]["last_used_at"].is_string(),
        "and its last use kept: {body}"
    );
    sigterm_and_wait(&mut child);
}

#[test]
fn unknown_log_format_is_refused_naming_the_allowed_ones() {
    let stderr = one_line_failure(keyhouse().env("KEYHOUSE_LOG_FORMAT", "xml"), 2);
    assert!(stderr.contains("KEYHOUSE_LOG_FORMAT"), "{stderr}");
    assert!(stderr.contains("'xml'"), "{stderr}");
    assert!(stderr.contains("allowed values: text, json"), "{stderr}");
}

/// Every line the server writes with `KEYHOUSE_LOG_FORMAT=json`, on stdout
/// and stderr, is one JSON object with a level, a target and the event's
/// fields, and no line holds the password or the key used meanwhile.
#[test]
fn json_logs_are_one_object_per_line_without_secrets() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = keyhouse()
        .env("KEYHOUSE_ADDR", "127.0.0.1:0")
        .env(
            "KEYHOUSE_DATABASE_URL",
            format!("sqlite://{}/kh.db", dir.path().display()),
        )
        .env("KEYHOUSE_LOG_FORMAT", "json")
        // Request spans and events too, as an operator debugging would.
        .env("KEYHOUSE_LOG", "info,tower_http=debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start keyhouse");
    let mut stderr = child.stderr.take().expect("stderr");
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).map(|_| text)
    });
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut lines = Vec::new();
    let addr = loop {
        let line = stdout.next().expect("a listening line").expect("read line");
        let event: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|err| panic!("not JSON ({err}): {line}"));
        lines.push(line);
        if let Some(rest) = event["fields"]["message"]
            .as_str()
            .and_then(|m| m.split("listening on http://").nth(1))
        {
            // The same fields as the text line.
            assert!(event["fields"]["database"].is_string(), "{event}");
            assert!(event["fields"]["startup_ms"].is_u64(), "{event}");
            break rest.to_owned();
        }
    };

    let password = "correct horse battery staple";
    let (status, head, body) = server_fn(
        &addr,
        "auth/register",
        "",
        "name=Ada&email=ada%40example.com&password=correct+horse+battery+staple\
         &password_confirm=correct+horse+battery+staple&location_name=Acme",
    );
    assert!(status < 400, "{status} {body}");
    let cookie = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, v)| {
            k.eq_ignore_ascii_case("set-cookie") && v.trim().starts_with("keyhouse_session=")
        })
        .and_then(|(_, v)| v.trim().split(';').next())
        .expect("session cookie")
        .to_owned();
    let (status, _, body) = server_fn(&addr, "keys/create", &cookie, "name=Logged&expires=never");
    assert_eq!(status, 200, "{body}");
    let created: serde_json::Value = serde_json::from_str(&body).expect("json");
    let key = created["key"].as_str().expect("key").to_owned();
    let (status, _, body) = http(
        &addr,
        "GET /api/v1/me",
        &[("Authorization", &format!("Bearer {key}"))],
        "",
    );
    assert_eq!(status, 200, "{body}");
    sigterm_and_wait(&mut child);

    lines.extend(stdout.map(|line| line.expect("read line")));
    let stderr = stderr.join().expect("stderr thread").expect("read stderr");
    lines.extend(stderr.lines().map(str::to_owned));
    let mut requests = 0;
    for line in lines.iter().filter(|l| !l.trim().is_empty()) {
        let event: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|err| panic!("not JSON ({err}): {line}"));
        assert!(event["level"].is_string(), "no level: {line}");
        assert!(event["target"].is_string(), "no target: {line}");
        assert!(event["fields"].is_object(), "no fields: {line}");
        assert!(
            !line.contains(password) && !line.contains("correct+horse"),
            "password logged: {line}"
        );
        assert!(!line.contains(&key), "key logged: {line}");
        requests += usize::from(event["span"]["name"] == "request");
    }
    assert!(requests > 0, "the request spans are kept: {lines:#?}");
    assert!(
        lines.iter().any(|l| l.contains("keyhouse stopped")),
        "{lines:#?}"
    );
}
