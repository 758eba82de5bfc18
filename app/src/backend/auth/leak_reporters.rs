//! Who may report leaked keys: secret scanners holding a private key whose
//! public half the operator configured (`KEYHOUSE_LEAK_REPORT_KEYS`). A
//! report is signed as GitHub's secret scanning partner program signs:
//! ECDSA over P-256 with SHA-256, over the exact bytes of the request body,
//! the signature ASN.1 DER-encoded and then base64-encoded in a header.
use std::sync::Arc;

use base64::Engine;
use ring::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};

/// A P-256 public key's `SubjectPublicKeyInfo` in DER, up to the 65 bytes
/// of its uncompressed point: `id-ecPublicKey`, `prime256v1`, a BIT
/// STRING of 66 bytes.
const SPKI_P256_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];
/// The most keys an operator lists (scanners rotate theirs; a handful).
const MAX_KEYS: usize = 20;

/// The public keys leak reports are verified with (none: reports are
/// refused).
#[derive(Clone, Default)]
pub struct LeakReporters {
    /// Uncompressed P-256 points (`04 ‖ X ‖ Y`).
    points: Arc<[Vec<u8>]>,
}

impl std::fmt::Debug for LeakReporters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LeakReporters({} keys)", self.points.len())
    }
}

impl LeakReporters {
    /// Every `PUBLIC KEY` block of PEM `text` (`openssl ec -pubout`); each
    /// must be a P-256 key. Text without any block is an error.
    pub fn from_pem(text: &str) -> Result<LeakReporters, String> {
        let mut points = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("-----BEGIN ") {
            let after = &rest[start + "-----BEGIN ".len()..];
            let label_end = after
                .find("-----")
                .ok_or("a PEM header without its closing dashes")?;
            let label = &after[..label_end];
            if label != "PUBLIC KEY" {
                return Err(format!(
                    "expected PEM blocks of \"PUBLIC KEY\" (an EC P-256 public key), found \"{label}\""
                ));
            }
            let body_and_more = &after[label_end + 5..];
            let end_marker = "-----END PUBLIC KEY-----";
            let end = body_and_more
                .find(end_marker)
                .ok_or("a PEM block without its END line")?;
            let base64: String = body_and_more[..end]
                .chars()
                .filter(|c| !c.is_ascii_whitespace())
                .collect();
            let der = base64::engine::general_purpose::STANDARD
                .decode(base64)
                .map_err(|_| "a PEM block that is not base64")?;
            match der.strip_prefix(&SPKI_P256_PREFIX[..]) {
                Some(point) if point.len() == 65 && point[0] == 0x04 => points.push(point.to_vec()),
                _ => return Err("a public key that is not an EC P-256 key".into()),
            }
            rest = &body_and_more[end + end_marker.len()..];
        }
        if points.is_empty() {
            return Err("no \"-----BEGIN PUBLIC KEY-----\" block".into());
        }
        if points.len() > MAX_KEYS {
            return Err(format!("more than {MAX_KEYS} public keys"));
        }
        Ok(LeakReporters {
            points: points.into(),
        })
    }

    /// The setting's value: PEM text itself, or the path of a file holding it.
    pub fn from_setting(value: &str) -> Result<LeakReporters, String> {
        if value.contains("-----BEGIN ") {
            return LeakReporters::from_pem(value);
        }
        let text = std::fs::read_to_string(value.trim())
            .map_err(|err| format!("cannot read {}: {err}", value.trim()))?;
        LeakReporters::from_pem(&text)
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Whether `signature` (base64 of an ASN.1 DER ECDSA signature) over
    /// `body` verifies with one of the keys.
    pub fn verify(&self, body: &[u8], signature: &str) -> bool {
        let Ok(der) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
            return false;
        };
        self.points.iter().any(|point| {
            UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, point)
                .verify(body, &der)
                .is_ok()
        })
    }
}

/// A reporter's key pair, for tests and for trying the endpoint out (ring
/// signs; the PEM is what an operator would configure).
pub mod testing {
    use base64::Engine;
    use ring::rand::SystemRandom;
    use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};

    pub struct Reporter {
        pair: EcdsaKeyPair,
        rng: SystemRandom,
    }

    impl Reporter {
        pub fn generate() -> Reporter {
            let rng = SystemRandom::new();
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
                .expect("a P-256 key pair");
            let pair =
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
                    .expect("the pair just generated");
            Reporter { pair, rng }
        }

        /// The public key as `openssl ec -pubout` writes it.
        pub fn public_pem(&self) -> String {
            let mut der = super::SPKI_P256_PREFIX.to_vec();
            der.extend_from_slice(self.pair.public_key().as_ref());
            let b64 = base64::engine::general_purpose::STANDARD.encode(der);
            format!("-----BEGIN PUBLIC KEY-----\n{b64}\n-----END PUBLIC KEY-----\n")
        }

        /// Base64 of the DER signature over `body`.
        pub fn sign(&self, body: &[u8]) -> String {
            let signature = self.pair.sign(&self.rng, body).expect("signing");
            base64::engine::general_purpose::STANDARD.encode(signature.as_ref())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::Reporter;
    use super::*;

    #[test]
    fn a_signature_verifies_only_over_its_body_and_with_a_configured_key() {
        let reporter = Reporter::generate();
        let stranger = Reporter::generate();
        let both = format!(
            "{}{}",
            reporter.public_pem(),
            Reporter::generate().public_pem()
        );
        let keys = LeakReporters::from_pem(&both).expect("two keys");
        let body = br#"[{"token":"kh_x","type":"keyhouse_api_key"}]"#;
        assert!(keys.verify(body, &reporter.sign(body)));
        assert!(!keys.verify(b"[]", &reporter.sign(body)), "another body");
        assert!(
            !keys.verify(body, &stranger.sign(body)),
            "a key not configured"
        );
        assert!(!keys.verify(body, "not base64!"));
        assert!(!keys.verify(body, ""));
        assert!(!LeakReporters::default().verify(body, &reporter.sign(body)));
    }

    #[test]
    fn only_p256_public_keys_are_accepted() {
        assert!(LeakReporters::from_pem("").is_err());
        assert!(
            LeakReporters::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")
                .is_err()
        );
        assert!(
            LeakReporters::from_pem("-----BEGIN PUBLIC KEY-----\n%%%\n-----END PUBLIC KEY-----")
                .is_err()
        );
        // An Ed25519 key (RFC 8410's example).
        let ed25519 = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----";
        assert!(LeakReporters::from_pem(ed25519).is_err());
        assert!(LeakReporters::from_setting("/nonexistent/keys.pem").is_err());
    }
}
