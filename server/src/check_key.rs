//! `keyhouse check-key`: says, offline, whether strings are well-formed
//! Keyhouse keys (prefix, length, alphabet, checksum): for pre-commit hooks
//! and secret scanners. No database, no network; a key is never printed
//! whole (only its first characters, as the key list shows them).
use std::io::Read;
use std::process::ExitCode;

use app::backend::keys::format::{self, KEY_LEN, Malformed, PREFIX, VISIBLE_LEN};

/// What scanners look for: `kh_` and 38 base62 characters, not inside a
/// longer word (README: *Finding keys in code*).
pub const PATTERN: &str = r"\bkh_[0-9A-Za-z]{38}\b";

/// One string looked at, and what it is.
#[derive(Debug, PartialEq, Eq)]
pub struct Finding {
    /// Where it was: `argument N` or `line N` (1-based).
    pub place: String,
    /// The key's first characters and an ellipsis; a non-key's too.
    pub shown: String,
    pub verdict: Result<(), Malformed>,
}

/// Each argument as one candidate.
pub fn check_arguments(arguments: &[String]) -> Vec<Finding> {
    arguments
        .iter()
        .enumerate()
        .map(|(i, candidate)| Finding {
            place: format!("argument {}", i + 1),
            shown: shown(candidate),
            verdict: format::parse(candidate.trim()).map(|_| ()),
        })
        .collect()
}

/// Every key-shaped token of `text` ([`PATTERN`]): a file, a diff.
pub fn check_text(text: &str) -> Vec<Finding> {
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let bytes = line.as_bytes();
        let mut at = 0;
        while let Some(offset) = line[at..].find(PREFIX) {
            let start = at + offset;
            let end = start + KEY_LEN;
            let word_before = start > 0 && is_word(bytes[start - 1]);
            let shaped = end <= bytes.len()
                && bytes[start + PREFIX.len()..end]
                    .iter()
                    .all(u8::is_ascii_alphanumeric)
                && !(end < bytes.len() && is_word(bytes[end]));
            if shaped && !word_before {
                let candidate = &line[start..end];
                found.push(Finding {
                    place: format!("line {}", number + 1),
                    shown: shown(candidate),
                    verdict: format::parse(candidate).map(|_| ()),
                });
                at = end;
            } else {
                at = start + PREFIX.len();
            }
        }
    }
    found
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The first characters only (`kh_` and four), as the key list shows keys.
fn shown(candidate: &str) -> String {
    let head: String = candidate.trim().chars().take(VISIBLE_LEN).collect();
    format!("{head}…")
}

fn reason(m: Malformed) -> &'static str {
    match m {
        Malformed::Prefix => "does not start with kh_",
        Malformed::Length => "wrong length",
        Malformed::Alphabet => "characters outside 0-9, A-Z, a-z",
        Malformed::Checksum => "checksum does not match (mistyped, or not a key)",
    }
}

/// Runs the subcommand: the arguments, or without any, standard input.
/// Exit status: 1 when a well-formed key was found, 0 when none, 2 when
/// standard input could not be read.
pub fn run(arguments: &[String]) -> ExitCode {
    let findings = if arguments.is_empty() {
        // Bytes, not text: a diff or a tree may hold binary files, and a
        // key in them is still ASCII.
        let mut input = Vec::new();
        if let Err(err) = std::io::stdin().read_to_end(&mut input) {
            eprintln!("keyhouse check-key: cannot read standard input: {err}");
            return ExitCode::from(2);
        }
        check_text(&String::from_utf8_lossy(&input))
    } else {
        check_arguments(arguments)
    };
    let mut keys = 0;
    for f in &findings {
        match f.verdict {
            Ok(()) => {
                keys += 1;
                println!("{}: {} is a well-formed Keyhouse key", f.place, f.shown);
            }
            Err(m) => println!(
                "{}: {} is not a Keyhouse key: {}",
                f.place,
                f.shown,
                reason(m)
            ),
        }
    }
    if keys > 0 {
        eprintln!("keyhouse check-key: {keys} Keyhouse key(s) found; remove them, then roll them");
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> String {
        format::generate().expect("os random").into_exposed()
    }

    #[test]
    fn arguments_are_each_checked_and_never_shown_whole() {
        let good = key();
        let mut mistyped = good.clone();
        let last = mistyped.pop().expect("a character");
        mistyped.push(if last == 'a' { 'b' } else { 'a' });
        let found = check_arguments(&[
            good.clone(),
            mistyped,
            "kh_short".into(),
            "sk_live_x".into(),
        ]);
        let verdicts: Vec<_> = found.iter().map(|f| f.verdict).collect();
        assert_eq!(
            verdicts,
            [
                Ok(()),
                Err(Malformed::Checksum),
                Err(Malformed::Length),
                Err(Malformed::Prefix)
            ]
        );
        assert_eq!(found[0].place, "argument 1");
        assert_eq!(found[0].shown, format!("{}…", &good[..VISIBLE_LEN]));
        assert!(
            found
                .iter()
                .all(|f| !f.shown.contains(&good[VISIBLE_LEN..]))
        );
    }

    #[test]
    fn text_is_scanned_for_key_shaped_words() {
        let good = key();
        let other = key();
        let text = format!(
            "first line\nexport API_KEY=\"{good}\" # and {other}\nxkh_{}\n{good}X\nkh_{}\n",
            &good[3..],
            "a".repeat(38)
        );
        let found = check_text(&text);
        let places: Vec<_> = found
            .iter()
            .map(|f| (f.place.as_str(), f.verdict))
            .collect();
        assert_eq!(
            places,
            [
                ("line 2", Ok(())),
                ("line 2", Ok(())),
                ("line 5", Err(Malformed::Checksum)),
            ],
            "inside a longer word is not a key: {found:?}"
        );
    }

    #[test]
    fn the_documented_pattern_follows_the_key_format() {
        let rest = KEY_LEN - PREFIX.len();
        assert_eq!(PATTERN, format!(r"\b{PREFIX}[0-9A-Za-z]{{{rest}}}\b"));
    }
}
