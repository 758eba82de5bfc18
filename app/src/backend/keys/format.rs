//! The key itself: `kh_` + 32 base62 characters of OS randomness + 6 base62
//! characters of CRC32 over everything before them. Pure: no database, no
//! clock. A malformed or mistyped key is rejected here, before any lookup.
use std::fmt;

use sha2::{Digest, Sha256};

pub const PREFIX: &str = "kh_";
pub const RANDOM_LEN: usize = 32;
pub const CHECKSUM_LEN: usize = 6;
pub const KEY_LEN: usize = PREFIX.len() + RANDOM_LEN + CHECKSUM_LEN;
/// `kh_` and the first four random characters: enough to tell keys apart
/// in a list, far too little to guess the rest.
pub const VISIBLE_LEN: usize = PREFIX.len() + 4;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A key in plain text. It exists only between generation and the one
/// response that shows it; its `Debug` and `Display` print nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct PlainKey(String);

impl PlainKey {
    /// The key itself, for the one response that shows it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn into_exposed(self) -> String {
        self.0
    }

    /// SHA-256 of the whole key, lowercase hex: what the database stores.
    pub fn hash(&self) -> String {
        hash(&self.0)
    }

    pub fn visible_start(&self) -> String {
        self.0[..VISIBLE_LEN].to_owned()
    }
}

impl fmt::Debug for PlainKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PlainKey(…)")
    }
}

/// Why a string is not a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    Prefix,
    Length,
    Alphabet,
    Checksum,
}

fn checksum(body: &str) -> String {
    let mut value = u64::from(crc32fast::hash(body.as_bytes()));
    let mut out = [ALPHABET[0]; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(value % 62) as usize];
        value /= 62;
    }
    out.iter().map(|&b| b as char).collect()
}

/// A new key from the operating system's random generator.
pub fn generate() -> Result<PlainKey, getrandom::Error> {
    let mut key = String::with_capacity(KEY_LEN);
    key.push_str(PREFIX);
    let mut buf = [0u8; 64];
    while key.len() < PREFIX.len() + RANDOM_LEN {
        getrandom::fill(&mut buf)?;
        // 248 = 4 × 62: rejecting the rest keeps every character equally likely.
        for &b in buf.iter().filter(|&&b| b < 248) {
            if key.len() == PREFIX.len() + RANDOM_LEN {
                break;
            }
            key.push(ALPHABET[(b % 62) as usize] as char);
        }
    }
    let sum = checksum(&key);
    key.push_str(&sum);
    Ok(PlainKey(key))
}

/// Checks the shape and checksum of a presented key.
pub fn parse(candidate: &str) -> Result<PlainKey, Malformed> {
    if !candidate.starts_with(PREFIX) {
        return Err(Malformed::Prefix);
    }
    if candidate.len() != KEY_LEN {
        return Err(Malformed::Length);
    }
    let rest = &candidate.as_bytes()[PREFIX.len()..];
    if !rest.iter().all(u8::is_ascii_alphanumeric) {
        return Err(Malformed::Alphabet);
    }
    let (body, sum) = candidate.split_at(PREFIX.len() + RANDOM_LEN);
    if checksum(body) != sum {
        return Err(Malformed::Checksum);
    }
    Ok(PlainKey(candidate.to_owned()))
}

/// SHA-256, lowercase hex.
pub fn hash(key: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(key.as_bytes());
    let mut out = String::with_capacity(digest.len() * 2);
    for b in digest {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn key() -> PlainKey {
        generate().expect("os random")
    }

    #[test]
    fn a_generated_key_has_the_documented_shape() {
        let k = key();
        let s = k.expose();
        assert_eq!(s.len(), 41);
        assert!(s.starts_with("kh_"));
        assert!(s[3..].bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(k.visible_start(), &s[..7]);
        assert_eq!(parse(s), Ok(k.clone()));
        assert_eq!(k.hash().len(), 64);
        assert_eq!(k.hash(), hash(s));
        // The well-known digest of "abc".
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn ten_thousand_keys_are_distinct_and_parse() {
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            let k = key();
            assert!(parse(k.expose()).is_ok());
            assert!(seen.insert(k.into_exposed()));
        }
    }

    #[test]
    fn every_single_character_change_fails() {
        let k = key();
        let original = k.expose().as_bytes().to_vec();
        for i in 0..original.len() {
            for &c in ALPHABET.iter().chain(b"_-+/ =") {
                if c == original[i] {
                    continue;
                }
                let mut changed = original.clone();
                changed[i] = c;
                let s = String::from_utf8(changed).expect("ascii");
                assert!(parse(&s).is_err(), "{i}:{} accepted", c as char);
            }
        }
    }

    #[test]
    fn malformed_keys_say_why() {
        let k = key();
        let s = k.expose();
        assert_eq!(parse(&s.replacen("kh_", "sk_", 1)), Err(Malformed::Prefix));
        assert_eq!(parse(&s[..40]), Err(Malformed::Length));
        assert_eq!(parse(&format!("{s}0")), Err(Malformed::Length));
        assert_eq!(parse(""), Err(Malformed::Prefix));
        let mut bad = s.to_owned();
        bad.replace_range(10..11, "!");
        assert_eq!(parse(&bad), Err(Malformed::Alphabet));
        // A key with a valid shape but the checksum of another.
        let other = key();
        let swapped = format!("{}{}", &s[..35], &other.expose()[35..]);
        if swapped != s {
            assert_eq!(parse(&swapped), Err(Malformed::Checksum));
        }
        // Multi-byte input of the right byte length is not a key either.
        let wide = format!("kh_{}", "ł".repeat(19));
        assert!(parse(&wide).is_err());
    }

    #[test]
    fn debug_prints_nothing_of_the_key() {
        let k = key();
        let printed = format!("{k:?}");
        assert!(!printed.contains(&k.expose()[3..]));
        assert!(!printed.contains(&k.visible_start()));
    }
}
