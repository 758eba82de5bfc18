//! `keyhouse backup FILE` on PostgreSQL: through `pg_dump` (and
//! `pg_restore` brings it back), or, without it, the recipe. A stand-in
//! `pg_dump` shows what the real one is given (the password only in its
//! environment) and what a killed or interrupted backup leaves behind.
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::{
    PASSWORD, assert_written, backup, check, create_key, org_slug, partial_files, sign_up,
};
use crate::binary::{keyhouse, sigterm_and_wait, start_on};
use crate::common::{fresh_database_url, on_postgres};

fn pg_dump_on_path() -> bool {
    Command::new("pg_dump")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A `pg_dump` in `dir/bin` running `script`, and a `PATH` that finds it
/// first.
fn fake_pg_dump(dir: &Path, script: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir(&bin).expect("bin folder");
    let pg_dump = bin.join("pg_dump");
    std::fs::write(&pg_dump, format!("#!/bin/sh\n{script}\n")).expect("write pg_dump");
    std::fs::set_permissions(&pg_dump, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn backup_with_path(url: &str, path: &str, file: &Path) -> Command {
    let mut command = keyhouse();
    command
        .env("KEYHOUSE_DATABASE_URL", url)
        .env("PATH", path)
        .env_remove("PGPASSWORD")
        .arg("backup")
        .arg(file);
    command
}

#[test]
fn postgres_without_pg_dump_gets_the_recipe_and_a_failure_leaves_nothing() {
    let test =
        "backup::postgres::postgres_without_pg_dump_gets_the_recipe_and_a_failure_leaves_nothing";
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("kh.dump");
    let url = "postgres://kh:hunter2@127.0.0.1:1/keyhouse?password=hunter3";
    let nowhere = dir.path().join("nothing-here");
    let out = backup_with_path(url, &nowhere.display().to_string(), &file)
        .output()
        .expect("run keyhouse backup");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    let dump = format!(
        "pg_dump --format=custom --no-password --file='{}' 'postgres://kh@127.0.0.1:1/keyhouse'",
        file.display()
    );
    assert!(stderr.contains(&dump), "{stderr}");
    assert!(stderr.contains("PGPASSWORD"), "{stderr}");
    assert!(stderr.contains("pg_restore"), "{stderr}");
    assert!(!stderr.contains("hunter"), "password printed: {stderr}");
    assert!(!file.exists(), "nothing written");
    assert_eq!(partial_files(&file), Vec::<String>::new());

    if !pg_dump_on_path() {
        eprintln!("{test}: pg_dump is not on PATH; its failure case skipped");
        return;
    }
    // pg_dump on PATH, the server unreachable: failed, no half file left.
    let out = backup(url, &file);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let printed = format!("{out:?}");
    assert!(!printed.contains("hunter"), "password printed: {printed}");
    assert!(!file.exists(), "the unfinished file is removed");
    assert_eq!(partial_files(&file), Vec::<String>::new());
}

#[test]
fn pg_dump_gets_the_password_in_its_environment_only() {
    let dir = tempfile::tempdir().expect("temp dir");
    let seen = dir.path().join("seen");
    let path = fake_pg_dump(
        dir.path(),
        &format!(
            "printf '%s\\n' \"$@\" > '{0}.args'\nprintf '%s' \"$PGPASSWORD\" > '{0}.password'\nprintf DUMP",
            seen.display()
        ),
    );
    let file = dir.path().join("kh.dump");
    // The password in the URL's query overrides the one after `kh:`, as in
    // the server's driver; `sslpassword` is no business of the copy.
    let url = "postgres://kh:s%40cr%3At@127.0.0.1:1/keyhouse\
               ?sslmode=disable&password=h%C3%BCnter+2&sslpassword=topsecret";
    let out = backup_with_path(url, &path, &file)
        .output()
        .expect("run keyhouse backup");
    assert_written(
        &out,
        &file,
        &["s@cr:t".into(), "hünter 2".into(), "topsecret".into()],
    );
    assert_eq!(std::fs::read(&file).expect("read backup"), b"DUMP");
    let args = std::fs::read_to_string(seen.with_extension("args")).expect("args");
    assert_eq!(
        args,
        "--format=custom\n--no-password\n--dbname=postgres://kh@127.0.0.1:1/keyhouse?sslmode=disable\n"
    );
    let password = std::fs::read_to_string(seen.with_extension("password")).expect("password");
    assert_eq!(password, "hünter 2");
}

/// A backup whose `pg_dump` has written part of its output and then waits:
/// the running `keyhouse backup`, its partial file, and the `pg_dump`'s
/// process id.
fn stuck_backup(dir: &Path, file: &Path) -> (std::process::Child, PathBuf, String) {
    let pid = dir.join("pg_dump.pid");
    let path = fake_pg_dump(
        dir,
        &format!(
            "echo $$ > '{}'\nprintf PARTIAL\nexec sleep 30",
            pid.display()
        ),
    );
    let url = "postgres://kh:hunter2@127.0.0.1:1/keyhouse";
    let running = backup_with_path(url, &path, file)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start keyhouse backup");
    let deadline = Instant::now() + Duration::from_secs(10);
    let partial = loop {
        let partial = partial_files(file).pop().map(|name| dir.join(name));
        if let Some(partial) = partial.filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > 0))
            && std::fs::read_to_string(&pid).is_ok_and(|p| p.ends_with('\n'))
        {
            break partial;
        }
        assert!(Instant::now() < deadline, "pg_dump never started");
        std::thread::sleep(Duration::from_millis(10));
    };
    let pid = std::fs::read_to_string(&pid)
        .expect("pid")
        .trim()
        .to_owned();
    (running, partial, pid)
}

fn alive(pid: &str) -> bool {
    let mut kill = Command::new("kill");
    kill.args(["-0", pid]).stderr(std::process::Stdio::null());
    kill.status().is_ok_and(|s| s.success())
}

#[test]
fn a_killed_backup_leaves_only_its_partial_file_and_an_interrupted_one_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("kh.dump");

    // SIGKILL: no clean-up runs, yet FILE never appears.
    let (mut running, partial, pid) = stuck_backup(dir.path(), &file);
    running.kill().expect("SIGKILL");
    running.wait().expect("wait");
    assert!(!file.exists(), "no FILE after SIGKILL");
    assert_eq!(std::fs::read(&partial).expect("partial file"), b"PARTIAL");
    let _ = Command::new("kill").args(["-KILL", &pid]).status();
    std::fs::remove_file(&partial).expect("remove the partial file");
    std::fs::remove_dir_all(dir.path().join("bin")).expect("remove bin");

    // SIGTERM: pg_dump is stopped, the partial file removed, status 1.
    let (running, _, pid) = stuck_backup(dir.path(), &file);
    let sent = Command::new("kill")
        .args(["-TERM", &running.id().to_string()])
        .status()
        .expect("send SIGTERM");
    assert!(sent.success());
    let out = running.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("interrupted by SIGTERM"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
    assert!(!file.exists(), "no FILE after SIGTERM");
    assert_eq!(partial_files(&file), Vec::<String>::new());
    assert!(!alive(&pid), "pg_dump still running");
}

#[test]
fn postgres_backup_restores_with_pg_restore() {
    let test = "backup::postgres::postgres_backup_restores_with_pg_restore";
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
