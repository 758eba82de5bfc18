//! Standard Webhooks signatures (<https://www.standardwebhooks.com>): the
//! headers `webhook-id`, `webhook-timestamp` (Unix seconds) and
//! `webhook-signature` (`v1,` + base64 of HMAC-SHA256 over
//! `id.timestamp.body`, keyed with the base64 part of the `whsec_` secret).
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::hmac;

const PREFIX: &str = "whsec_";

/// A new endpoint's secret: `whsec_` + base64 of 32 random bytes.
pub fn new_secret() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(format!("{PREFIX}{}", STANDARD.encode(bytes)))
}

/// The `webhook-signature` value of `body` sent as message `id` at
/// `timestamp`; `None` for a secret not of the `whsec_` form.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix(PREFIX)?).ok()?;
    let key = hmac::Key::new(hmac::HMAC_SHA256, &key);
    let signed = format!("{id}.{timestamp}.{body}");
    let tag = hmac::sign(&key, signed.as_bytes());
    Some(format!("v1,{}", STANDARD.encode(tag.as_ref())))
}

/// A message id: `msg_` + 24 random base64url-safe characters.
pub fn new_message_id() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 18];
    getrandom::fill(&mut bytes)?;
    Ok(format!(
        "msg_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_as_the_standard_webhooks_libraries_do() {
        // The test vector of the Standard Webhooks reference libraries.
        let signature = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(
            signature.as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
        assert_eq!(sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "m", 1, "{}"), None);
    }

    #[test]
    fn secrets_and_ids_are_fresh_and_well_formed() {
        let (a, b) = (new_secret().expect("a"), new_secret().expect("b"));
        assert_ne!(a, b);
        assert!(a.starts_with("whsec_") && STANDARD.decode(&a[6..]).map(|k| k.len()) == Ok(32));
        let id = new_message_id().expect("id");
        assert!(id.starts_with("msg_") && id.len() == 28, "{id}");
    }
}
