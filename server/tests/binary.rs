//! The `keyhouse` binary as an operator meets it: bad settings are one line,
//! a good start serves, SIGTERM stops it cleanly.
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

fn keyhouse() -> Command {
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
