//! Property tests of what parses client input on the server: the key
//! format, the client address behind proxies, the user agent and every
//! validation rule. For any input: no panic, and the documented answer for
//! each class of input. 256 cases each keeps the suite fast.
#![cfg(feature = "ssr")]

use std::net::IpAddr;

use app::backend::keys::format::{self, KEY_LEN, Malformed, PREFIX, RANDOM_LEN};
use app::backend::request_meta::{client_ip, user_agent};
use app::backend::services::{api_keys, invitations};
use app::model::validation::{self, Problem};
use axum::http::{HeaderMap, HeaderValue};
use proptest::prelude::*;

const BASE62: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn generated_key() -> String {
    format::generate().expect("os random").into_exposed()
}

/// Any string, including every kind of Unicode, and the text of raw bytes.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        proptest::collection::vec(any::<u8>(), 0..80)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        "kh_[0-9A-Za-z_ł€-]{0,45}",
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_key_parser_never_panics_and_only_accepts_the_shape(s in any_text()) {
        match format::parse(&s) {
            Ok(key) => {
                prop_assert_eq!(key.expose(), s.as_str());
                prop_assert_eq!(s.len(), KEY_LEN);
                prop_assert!(s.starts_with(PREFIX));
                prop_assert!(s[PREFIX.len()..].bytes().all(|b| b.is_ascii_alphanumeric()));
            }
            Err(Malformed::Prefix) => prop_assert!(!s.starts_with(PREFIX)),
            Err(Malformed::Length) => prop_assert_ne!(s.len(), KEY_LEN),
            Err(Malformed::Alphabet | Malformed::Checksum) => {
                prop_assert!(s.starts_with(PREFIX) && s.len() == KEY_LEN);
            }
        }
        let hash = format::hash(&s);
        prop_assert_eq!(hash.len(), 64);
        prop_assert!(hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    }

    #[test]
    fn every_generated_key_parses(_round in 0u8..4) {
        let key = generated_key();
        prop_assert!(format::parse(&key).is_ok(), "{} refused", &key[..7]);
        prop_assert_eq!(key.len(), KEY_LEN);
    }

    #[test]
    fn any_single_character_change_is_refused(
        at in 0..KEY_LEN,
        // Mostly key characters (only the checksum can tell), some anything.
        c in prop_oneof![
            3 => proptest::sample::select(BASE62.chars().collect::<Vec<_>>()),
            1 => any::<char>(),
        ],
    ) {
        let key = generated_key();
        let original = key[at..].chars().next().expect("ascii key");
        prop_assume!(c != original);
        let mut changed = key.clone();
        changed.replace_range(at..at + 1, &c.to_string());
        prop_assert!(format::parse(&changed).is_err(), "change at {} to {:?} accepted", at, c);
    }

    #[test]
    fn a_key_cut_short_or_lengthened_is_refused(cut in 0..KEY_LEN, extra in "[0-9A-Za-z]{1,8}") {
        let key = generated_key();
        prop_assert_eq!(format::parse(&key[..cut]).map(|_| ()), Err(if cut < PREFIX.len() { Malformed::Prefix } else { Malformed::Length }));
        prop_assert_eq!(format::parse(&format!("{key}{extra}")).map(|_| ()), Err(Malformed::Length));
    }

    #[test]
    fn a_random_body_without_its_checksum_is_refused(body in proptest::collection::vec(0..62usize, RANDOM_LEN + 6)) {
        // 38 base62 characters of which the last 6 are almost never the
        // CRC of the rest (one in 2^32).
        let candidate: String = std::iter::once(PREFIX.to_owned())
            .chain(body.iter().map(|&i| BASE62[i..i + 1].to_owned()))
            .collect();
        match format::parse(&candidate) {
            Ok(key) => prop_assert_eq!(key.expose(), candidate.as_str()),
            Err(why) => prop_assert_eq!(why, Malformed::Checksum),
        }
    }
}

fn trusted_proxy() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        Just("10.0.0.1".parse::<IpAddr>().expect("ip")),
        Just("10.0.0.2".parse::<IpAddr>().expect("ip")),
        Just("::1".parse::<IpAddr>().expect("ip")),
    ]
}

fn trusted() -> Vec<IpAddr> {
    ["10.0.0.1", "10.0.0.2", "::1"]
        .iter()
        .map(|s| s.parse().expect("ip"))
        .collect()
}

/// An address that is not one of [`trusted`].
fn client() -> impl Strategy<Value = IpAddr> {
    any::<IpAddr>().prop_filter("not a trusted proxy", |ip| !trusted().contains(ip))
}

fn xff(value: &str) -> Option<HeaderMap> {
    let value = HeaderValue::from_str(value).ok()?;
    let mut headers = HeaderMap::new();
    headers.insert("x-forwarded-for", value);
    Some(headers)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_forwarded_header_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..120), peer in any::<IpAddr>()) {
        if let Ok(value) = HeaderValue::from_bytes(&bytes) {
            let mut headers = HeaderMap::new();
            headers.insert("x-forwarded-for", value.clone());
            headers.append("x-forwarded-for", value);
            let got = client_ip(Some(peer), &headers, &trusted());
            prop_assert!(got.is_some());
            prop_assert_eq!(client_ip(None, &headers, &trusted()), None);
        }
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims(peer in client(), claim in "[ -~]{0,80}") {
        if let Some(headers) = xff(&claim) {
            // An IPv4-mapped IPv6 peer is its IPv4 address.
            prop_assert_eq!(client_ip(Some(peer), &headers, &trusted()), Some(peer.to_canonical()));
            prop_assert_eq!(client_ip(Some(peer), &headers, &[]), Some(peer.to_canonical()));
        }
    }

    #[test]
    fn what_the_client_wrote_cannot_hide_the_address_the_proxies_saw(
        spoofed in "[ -~]{0,80}",
        real in client(),
        proxies in proptest::collection::vec(trusted_proxy(), 0..3),
        peer in trusted_proxy(),
    ) {
        // The client's own header, then what each trusted proxy appended.
        let mut value = format!("{spoofed}, {real}");
        for proxy in &proxies {
            value.push_str(&format!(", {proxy}"));
        }
        if let Some(headers) = xff(&value) {
            prop_assert_eq!(client_ip(Some(peer), &headers, &trusted()), Some(real.to_canonical()));
        }
    }

    #[test]
    fn the_user_agent_is_bounded_and_printable(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        if let Ok(value) = HeaderValue::from_bytes(&bytes) {
            let mut headers = HeaderMap::new();
            headers.insert(axum::http::header::USER_AGENT, value);
            if let Some(ua) = user_agent(&headers) {
                prop_assert!(ua.chars().count() <= 512);
                prop_assert!(!ua.chars().any(char::is_control));
            }
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn short_text_is_trimmed_bounded_and_printable(s in any_text(), max in 1usize..120) {
        match validation::short_text(&s, max) {
            Ok(v) => {
                prop_assert_eq!(v.as_str(), s.trim());
                prop_assert!(!v.is_empty() && v.chars().count() <= max);
                prop_assert!(!v.chars().any(char::is_control));
            }
            Err(Problem::Required) => prop_assert!(s.trim().is_empty()),
            Err(Problem::ControlCharacters) => prop_assert!(s.trim().chars().any(char::is_control)),
            Err(Problem::TooLong) => prop_assert!(s.trim().chars().count() > max),
            Err(other) => prop_assert!(false, "unexpected {:?}", other),
        }
    }

    #[test]
    fn long_text_allows_line_breaks_but_no_other_control(s in any_text(), max in 0usize..120) {
        match validation::long_text(&s, max) {
            Ok(v) => {
                prop_assert_eq!(v.as_str(), s.trim());
                prop_assert!(v.chars().count() <= max);
                prop_assert!(!v.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')));
            }
            Err(Problem::ControlCharacters | Problem::TooLong) => {}
            Err(other) => prop_assert!(false, "unexpected {:?}", other),
        }
    }

    #[test]
    fn an_accepted_email_is_one_lowercase_address(s in any_text()) {
        if let Ok(v) = validation::email(&s) {
            prop_assert_eq!(v.clone(), s.trim().to_lowercase());
            prop_assert_eq!(v.matches('@').count(), 1);
            let (local, domain) = v.split_once('@').expect("@");
            prop_assert!(!local.is_empty());
            prop_assert!(domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.'));
            prop_assert!(!v.chars().any(|c| c.is_whitespace() || c.is_control()));
            prop_assert!(s.trim().chars().count() <= validation::EMAIL_MAX);
            // Normalising twice changes nothing.
            prop_assert_eq!(validation::email(&v), Ok(v.clone()));
        }
    }

    #[test]
    fn ordinary_addresses_are_accepted(
        local in "[a-zA-Z0-9._%+-]{1,30}",
        labels in proptest::collection::vec("[a-z0-9-]{1,12}", 2..4),
    ) {
        let address = format!(" {local}@{} ", labels.join("."));
        prop_assert_eq!(validation::email(&address), Ok(address.trim().to_lowercase()));
    }

    #[test]
    fn password_length_counts_characters(s in any_text()) {
        let n = s.chars().count();
        let expected = if n < validation::PASSWORD_MIN {
            Err(Problem::PasswordTooShort)
        } else if n > validation::PASSWORD_MAX {
            Err(Problem::PasswordTooLong)
        } else {
            Ok(())
        };
        prop_assert_eq!(validation::password_length(&s), expected);
    }

    #[test]
    fn api_set_slugs_are_exactly_the_documented_shape(s in prop_oneof![any_text(), "[a-z][a-z0-9:._-]{0,70}"]) {
        let t = s.trim();
        let shaped = !t.is_empty()
            && t.len() <= 64
            && t.starts_with(|c: char| c.is_ascii_lowercase())
            && t.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ":._-".contains(c));
        match validation::slug(&s) {
            Ok(v) => {
                prop_assert!(shaped, "{:?} accepted", s);
                prop_assert_eq!(v.as_str(), t);
            }
            Err(Problem::Required) => prop_assert!(t.is_empty()),
            Err(_) => prop_assert!(!shaped, "{:?} refused", s),
        }
    }

    #[test]
    fn organization_slugs_are_safe_in_a_path(s in prop_oneof![any_text(), "[a-z0-9-]{0,45}"]) {
        if let Ok(v) = validation::org_slug(&s) {
            prop_assert!((3..=validation::ORG_SLUG_MAX).contains(&v.len()));
            prop_assert!(v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
            prop_assert!(!v.starts_with('-') && !v.ends_with('-') && !v.contains("--"));
        }
    }

    #[test]
    fn every_organization_name_gives_a_valid_slug(name in any_text()) {
        let slug = validation::org_slug_from_name(&name);
        prop_assert_eq!(validation::org_slug(&slug), Ok(slug.clone()));
    }

    #[test]
    fn phone_numbers_are_e164_or_refused(s in prop_oneof![any_text(), "\\+?[0-9 ().-]{0,24}"]) {
        match invitations::phone(&s) {
            Ok(v) => {
                let digits = v.strip_prefix('+').expect("+");
                prop_assert!((8..=15).contains(&digits.len()));
                prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0'));
            }
            Err(p) => prop_assert_eq!(p, Problem::InvalidPhone),
        }
        // A contact is either kind, or refused; never a panic.
        let _ = invitations::contact(&s);
    }

    #[test]
    fn the_expiry_field_never_panics(choice in prop_oneof![Just("date".to_owned()), any_text()], date in prop_oneof!["[0-9]{1,6}-[0-9]{1,2}-[0-9]{1,2}", any_text()]) {
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("time");
        if let Ok(Some(at)) = api_keys::expiry(&choice, &date, now) {
            prop_assert!(at > now);
        }
    }
}
