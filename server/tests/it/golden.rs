//! What the permission matrix SAW, compared with a file under version
//! control. The matrix derives its expectations from the same table the
//! code enforces, so a wrong declaration would pass it; this file records
//! every answer (refused 401 / 403, or let in and its status) per operation
//! and caller, so a changed permission shows up as a reviewed change of
//! this file. `KEYHOUSE_BLESS=1` rewrites it (never set in CI).
use std::path::PathBuf;

pub fn check(name: &str, mut lines: Vec<String>) {
    lines.sort();
    let seen = lines.join("\n") + "\n";
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it")
        .join(name);
    if std::env::var("KEYHOUSE_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &seen).expect("write the golden file");
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} is missing: run with KEYHOUSE_BLESS=1", path.display()));
    if want != seen {
        let want: Vec<&str> = want.lines().collect();
        let diff: Vec<String> = seen
            .lines()
            .filter(|l| !want.contains(l))
            .map(|l| format!("now: {l}"))
            .chain(
                want.iter()
                    .filter(|l| !seen.lines().any(|s| s == **l))
                    .map(|l| format!("was: {l}")),
            )
            .collect();
        panic!(
            "the permissions changed ({}); if intended, rerun with KEYHOUSE_BLESS=1 and commit:\n{}",
            path.display(),
            diff.join("\n")
        );
    }
}

/// How a status is recorded: the refusals of the guard as they are, and
/// what a caller let in got (`in 200`, `in 404`: not their record, …), so a
/// call that starts failing differently shows up too.
pub fn class(status: u16) -> String {
    match status {
        401 | 403 => status.to_string(),
        _ => format!("in {status}"),
    }
}
