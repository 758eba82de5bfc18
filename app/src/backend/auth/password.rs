//! Passwords: policy, and argon2id hashing off the async runtime.
use std::collections::HashSet;
use std::sync::LazyLock;

use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};
use secrecy::{ExposeSecret, SecretString};

use crate::model::error::AppError;
use crate::model::validation::{Problem, password_length};

/// The 10,000 most common passwords (zxcvbn's ranked list, lower-cased).
static COMMON: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common-passwords.txt").lines().collect());

/// Rules for a new password: 12-128 characters (counted as Unicode scalar
/// values, never truncated; any character allowed) and not a common one.
pub fn check_policy(password: &str) -> Result<(), Problem> {
    password_length(password)?;
    if COMMON.contains(password.to_lowercase().as_str()) {
        return Err(Problem::PasswordTooCommon);
    }
    Ok(())
}

/// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
fn argon2() -> Argon2<'static> {
    #[allow(clippy::expect_used)] // constant, valid parameters
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// How many passwords are hashed at once: all cores but one (at least
/// one). Argon2 is made to eat CPU; a burst of sign-ins queues here instead
/// of starving the key check and the pages of every core.
fn hashing_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: LazyLock<tokio::sync::Semaphore> = LazyLock::new(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        tokio::sync::Semaphore::new(cores.saturating_sub(1).max(1))
    });
    &SLOTS
}

/// Runs argon2 work on the blocking pool, one slot of [`hashing_slots`] at
/// a time.
async fn argon2_work<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let _slot = hashing_slots()
        .acquire()
        .await
        .map_err(AppError::internal)?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(AppError::internal)?
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`), computed on the
/// blocking pool so a burst of sign-ins cannot stall other requests.
pub async fn hash(password: SecretString) -> Result<String, AppError> {
    argon2_work(move || {
        let hash: PasswordHash = argon2()
            .hash_password(password.expose_secret().as_bytes())
            .map_err(AppError::internal)?;
        Ok(hash.to_string())
    })
    .await
}

/// Checks a password against a stored hash. With `None` (unknown user) it
/// verifies against a fixed dummy hash, so both answers take the same time.
pub async fn verify(password: SecretString, stored: Option<String>) -> Result<bool, AppError> {
    argon2_work(move || {
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| DUMMY_HASH.clone());
        let ok = argon2()
            .verify_password(password.expose_secret().as_bytes(), phc.as_str())
            .is_ok();
        Ok(ok && known)
    })
    .await
}

/// Hash of a random password nobody knows, made once per process.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).unwrap_or_default();
    let hash: Result<PasswordHash, _> = argon2().hash_password(&secret);
    hash.map(|h| h.to_string()).unwrap_or_default()
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_counts_characters_not_bytes() {
        assert_eq!(check_policy("short"), Err(Problem::PasswordTooShort));
        // 12 Polish characters are 24 bytes: long enough, not too long.
        assert_eq!(check_policy("żółćżółćżółć"), Ok(()));
        assert_eq!(
            check_policy(&"a1".repeat(65)),
            Err(Problem::PasswordTooLong)
        );
        assert_eq!(check_policy(&"ź".repeat(128)), Ok(()));
    }

    #[test]
    fn common_passwords_are_refused_in_any_case() {
        assert_eq!(COMMON.len(), 10_000);
        let common_long = COMMON
            .iter()
            .find(|p| p.chars().count() >= 12)
            .expect("one long");
        assert_eq!(check_policy(common_long), Err(Problem::PasswordTooCommon));
        assert_eq!(
            check_policy(&common_long.to_uppercase()),
            Err(Problem::PasswordTooCommon)
        );
        assert_eq!(check_policy("correct horse battery staple"), Ok(()));
    }

    #[tokio::test]
    async fn hash_is_argon2id_and_verifies() {
        let stored = hash(SecretString::from("correct horse battery staple"))
            .await
            .expect("hash");
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(!stored.contains("correct horse"));
        let ok = verify(
            SecretString::from("correct horse battery staple"),
            Some(stored.clone()),
        );
        assert!(ok.await.expect("verify"));
        let wrong = verify(
            SecretString::from("correct horse battery stapler"),
            Some(stored),
        );
        assert!(!wrong.await.expect("verify"));
    }

    #[tokio::test]
    async fn unknown_user_never_verifies() {
        let ok = verify(SecretString::from("anything at all"), None)
            .await
            .expect("verify");
        assert!(!ok);
    }
}
