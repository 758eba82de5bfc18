//! What the permission matrix SAW, compared with a file under version
//! control. The matrix derives its expectations from the same table the
//! code enforces, so a wrong declaration would pass it; this file records
//! every answer class (let in / 401 / 403) per operation and caller, so a
//! changed permission shows up as a reviewed change of this file.
//! `KEYHOUSE_BLESS=1` rewrites it.
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

/// The answer class of a status: a refusal by the guard, or let in.
pub fn class(status: u16) -> &'static str {
    match status {
        401 => "401",
        403 => "403",
        _ => "in",
    }
}
