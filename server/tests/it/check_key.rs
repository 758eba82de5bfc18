//! `keyhouse check-key`, the offline key checker, run as a binary.
use std::io::Write;
use std::process::Stdio;

use crate::binary::keyhouse;

/// `keyhouse check-key` as a pre-commit hook runs it: a key in its input
/// fails the hook (exit 1) and is named only by its first characters; a
/// mistyped one passes with the reason.
#[test]
fn check_key_finds_keys_offline_and_never_prints_them() {
    let key = app::backend::keys::format::generate()
        .expect("os random")
        .into_exposed();
    let mut child = keyhouse()
        .arg("check-key")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run keyhouse check-key");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(
            &[
                b"# config\n\xff\xfe binary\n".as_slice(),
                format!("API_KEY={key}\n").as_bytes(),
            ]
            .concat(),
        )
        .expect("write");
    let output = child.wait_with_output().expect("wait");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_eq!(
        stdout.trim(),
        format!("line 3: {}… is a well-formed Keyhouse key", &key[..7])
    );
    assert!(!stdout.contains(&key) && !String::from_utf8_lossy(&output.stderr).contains(&key));

    let mut mistyped = key.clone();
    mistyped.replace_range(10..11, if &key[10..11] == "a" { "b" } else { "a" });
    let output = keyhouse()
        .args(["check-key", &mistyped])
        .output()
        .expect("run keyhouse check-key");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(
        stdout.contains("argument 1: ") && stdout.contains("checksum does not match"),
        "{stdout}"
    );
    assert!(!stdout.contains(&mistyped), "{stdout}");
}
