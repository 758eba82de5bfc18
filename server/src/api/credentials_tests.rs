//! Unit and property tests of how credentials are read from a request.
use super::*;
use axum::http::HeaderValue;

#[test]
fn the_key_and_the_user_token_come_from_one_header() {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::AUTHORIZATION,
        HeaderValue::from_static("Bearer kh_abc, User khu_def"),
    );
    assert_eq!(presented(&headers), Some("kh_abc"));
    assert_eq!(user_token(&headers), Some("khu_def"));
    headers.insert(
        header::AUTHORIZATION,
        HeaderValue::from_static("Bearer kh_abc"),
    );
    assert_eq!(user_token(&headers), None);
    // Scheme names are case-insensitive (RFC 9110).
    headers.insert(
        header::AUTHORIZATION,
        HeaderValue::from_static("BEARER kh_abc, user khu_def"),
    );
    assert_eq!(presented(&headers), Some("kh_abc"));
    assert_eq!(user_token(&headers), Some("khu_def"));
}

#[test]
fn keys_in_the_query_string_are_noticed() {
    let key = format::generate().expect("random");
    let token = format!("khu_{}", "ab".repeat(32));
    let uris = [
        "/api/v1/me?key=x".to_owned(),
        "/api/v1/me?a=1&API_KEY=x".to_owned(),
        "/api/v1/me?k%65y=x".to_owned(),
        "/api/v1/me?user_token=x".to_owned(),
        format!("/api/v1/users?search={}", key.expose()),
        format!("/api/v1/users?search=see+{}+here", key.expose()),
        format!("/api/v1/users?search={}", key.expose().replace('_', "%5F")),
        format!("/api/v1/nothing?{}", key.expose()),
        format!("/api/v1/keys?cursor={token}"),
    ];
    for uri in uris {
        assert!(key_in_query(&uri.parse().expect("uri")), "{uri}");
    }
    // Ordinary values, even ones starting like a key, pass.
    for uri in [
        "/api/v1/keys?limit=5",
        "/api/v1/users?cursor=kh_bot",
        "/api/v1/users?search=ankh_ops",
        "/api/v1/users?search=100%25",
        "/api/v1/users?search=%E2%82%AC%",
    ] {
        assert!(!key_in_query(&uri.parse().expect("uri")), "{uri}");
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn config() -> ProptestConfig {
        ProptestConfig {
            cases: 256,
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    fn key() -> String {
        format::generate().expect("os random").into_exposed()
    }

    fn token() -> impl Strategy<Value = String> {
        "[0-9a-f]{64}".prop_map(|hex| format!("khu_{hex}"))
    }

    /// `Bearer` in any case.
    fn scheme(name: &'static str) -> impl Strategy<Value = String> {
        proptest::collection::vec(any::<bool>(), name.len()).prop_map(move |upper| {
            name.chars()
                .zip(upper)
                .map(|(c, u)| {
                    if u {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                })
                .collect()
        })
    }

    fn headers(name: &'static str, value: &str) -> Option<HeaderMap> {
        let value = HeaderValue::from_str(value).ok()?;
        let mut headers = HeaderMap::new();
        headers.insert(name, value);
        Some(headers)
    }

    fn percent_encoded(s: &str) -> String {
        s.bytes().map(|b| format!("%{b:02X}")).collect()
    }

    fn uri(query: &str) -> Option<Uri> {
        format!("/api/v1/users?{query}").parse().ok()
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn any_header_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(value) = HeaderValue::from_bytes(&bytes) {
                for name in [header::AUTHORIZATION.as_str(), "x-api-key"] {
                    let mut headers = HeaderMap::new();
                    headers.insert(name, value.clone());
                    let _ = presented(&headers);
                    let _ = user_token(&headers);
                }
            }
        }

        #[test]
        fn the_key_is_read_from_either_header_in_any_spelling(
            bearer in scheme("Bearer"),
            user in scheme("User"),
            token in token(),
            pad in "[ \t]{0,3}",
        ) {
            let key = key();
            let plain = headers("authorization", &format!("{pad}{bearer} {key}{pad}")).expect("header");
            prop_assert_eq!(presented(&plain), Some(key.as_str()));
            prop_assert_eq!(user_token(&plain), None);
            let both = headers("authorization", &format!("{bearer} {key},{pad}{user} {token}{pad}")).expect("header");
            prop_assert_eq!(presented(&both), Some(key.as_str()));
            prop_assert_eq!(user_token(&both), Some(token.as_str()));
            let x_api_key = headers("x-api-key", &format!("{pad}{key}{pad}")).expect("header");
            prop_assert_eq!(presented(&x_api_key), Some(key.as_str()));
        }

        #[test]
        fn another_scheme_presents_no_key(scheme in "(Basic|Token|Digest|Bearer[a-z]{1,3}|[A-Za-z]{1,8}_)", value in "[A-Za-z0-9_]{1,50}") {
            prop_assume!(!scheme.eq_ignore_ascii_case("bearer"));
            let h = headers("authorization", &format!("{scheme} {value}")).expect("header");
            prop_assert_eq!(presented(&h), None);
        }

        #[test]
        fn a_key_anywhere_in_the_query_is_noticed(
            name in "[a-z]{1,10}",
            before in "[A-Za-z0-9._~-]{0,12}",
            after in "[A-Za-z0-9._~-]{0,12}",
            other in "[a-z]{1,5}=[a-z0-9]{0,5}",
            encode in any::<bool>(),
            as_name in any::<bool>(),
        ) {
            let key = key();
            let secret = format!("{before}{key}{after}");
            let secret = if encode { percent_encoded(&secret) } else { secret };
            let pair = if as_name { format!("{secret}=1") } else { format!("{name}={secret}") };
            for query in [pair.clone(), format!("{other}&{pair}"), format!("{pair}&{other}")] {
                let uri = uri(&query).expect("uri");
                prop_assert!(key_in_query(&uri), "{} not noticed", query.replace(&key[7..], "…"));
            }
        }

        #[test]
        fn a_user_token_anywhere_in_the_query_is_noticed(name in "[a-z]{1,10}", before in "[A-Za-z0-9.~-]{0,12}", token in token()) {
            let uri = uri(&format!("{name}={before}{token}")).expect("uri");
            prop_assert!(key_in_query(&uri));
        }

        #[test]
        fn ordinary_queries_pass(
            pairs in proptest::collection::vec(("[a-z_]{1,12}", "[A-Za-z0-9._~%+-]{0,40}"), 0..5),
        ) {
            prop_assume!(pairs.iter().all(|(name, _)| !QUERY_KEY_NAMES.contains(&name.as_str())));
            let query: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect();
            if let Some(uri) = uri(&query.join("&")) {
                // Not a key: no `kh_` + valid checksum, no `khu_` + 64 hex.
                prop_assert!(!key_in_query(&uri), "{}", query.join("&"));
            }
        }

        #[test]
        fn any_query_never_panics(query in any::<String>()) {
            if let Some(uri) = uri(&query) {
                let _ = key_in_query(&uri);
                let _ = refuse_key_in_query(&uri);
            }
        }
    }
}
