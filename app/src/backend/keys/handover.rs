//! Hands a just-generated key to the next page of the same browser, for the
//! flows where the browser cannot receive it as the answer of the call: a
//! form posted without JavaScript (answered with a redirect) and sign-up
//! with "Create my first API key now" (which redirects as well).
//!
//! Behind a load balancer the next page may be served by another instance,
//! so the key waits in the database, but only sealed: AES-256-GCM under a
//! key derived from 32 random bytes that exist only in a short-lived
//! HttpOnly cookie of that browser (the ticket). The row's id is derived
//! from the ticket too, so the row cannot even be found without it. It is
//! read once (deleted as it is read), by the same user in the same
//! organization, at most five minutes after it was put; then the ticket is
//! worthless. The database never holds the plaintext, and neither a URL, a
//! session nor a log ever holds the ticket or the key.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};

use crate::backend::entities::key_handover;
use crate::model::error::AppError;
use crate::model::keys::GeneratedKey;

/// The cookie that carries the ticket; over HTTPS with the `__Host-`
/// prefix, so no sibling subdomain can set one that shadows it.
pub const COOKIE: &str = "keyhouse_handover";
pub const SECURE_COOKIE: &str = "__Host-keyhouse_handover";

fn cookie_name(secure: bool) -> &'static str {
    if secure { SECURE_COOKIE } else { COOKIE }
}

/// How long a key waits: also the cookie's `Max-Age`.
pub const TTL_SECONDS: i64 = 300;

/// How a just-generated key reaches its user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// As the answer of the call (JavaScript, the HTTP API).
    Answer,
    /// Sealed in the hand-over, in the same transaction as the key: the
    /// call is answered with a redirect (a form posted without JavaScript,
    /// sign-up), and the ticket goes to the browser.
    HandOver,
}

/// A just-generated key, and the ticket of its hand-over if it was left
/// there.
pub struct Issued {
    pub key: GeneratedKey,
    pub ticket: Option<Ticket>,
}

impl Issued {
    /// Seals `key` in the hand-over within `work`'s transaction when
    /// `delivery` says so: the key and its hand-over commit together, so a
    /// key is never made that nobody can be shown.
    pub async fn deliver<C: ConnectionTrait>(
        db: &C,
        delivery: Delivery,
        user_id: i64,
        org_id: i64,
        key: GeneratedKey,
        now: DateTime<Utc>,
    ) -> Result<Issued, AppError> {
        let ticket = match delivery {
            Delivery::Answer => None,
            Delivery::HandOver => Some(put(db, user_id, org_id, &key, now).await?),
        };
        Ok(Issued { key, ticket })
    }
}

/// The browser's half: 32 random bytes, base64url. Not `Debug`: it opens
/// the sealed key.
pub struct Ticket(String);

impl Ticket {
    /// The cookie's value.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `Set-Cookie` value that gives the ticket to the browser (only
    /// to this site's pages, never to scripts).
    pub fn cookie(&self, secure: bool) -> String {
        format!(
            "{}={}; Path=/; Max-Age={TTL_SECONDS}; HttpOnly; SameSite=Strict{}",
            cookie_name(secure),
            self.0,
            if secure { "; Secure" } else { "" }
        )
    }
}

/// The `Set-Cookie` value that removes the ticket once used.
pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{}",
        cookie_name(secure),
        if secure { "; Secure" } else { "" }
    )
}

/// Every ticket in the request's cookies (a planted cookie of the same
/// name must not hide the real one: each is tried).
pub fn tickets_in(headers: &axum::http::HeaderMap, secure: bool) -> impl Iterator<Item = &str> {
    crate::backend::cookies::values(headers, cookie_name(secure))
}

fn derive(label: &[u8], secret: &[u8]) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(b"keyhouse handover ");
    hash.update(label);
    hash.update(secret);
    hash.finalize().into()
}

/// The row's id and the sealing key of a ticket; `None` when it is not one
/// of ours (wrong length or alphabet).
fn open_ticket(ticket: &str) -> Option<(String, LessSafeKey)> {
    let secret = URL_SAFE_NO_PAD.decode(ticket).ok()?;
    if secret.len() != 32 {
        return None;
    }
    let id = hex(&derive(b"id", &secret));
    let key = UnboundKey::new(&AES_256_GCM, &derive(b"key", &secret)).ok()?;
    Some((id, LessSafeKey::new(key)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the seal is bound to besides the key: whose it is.
fn aad(id: &str, user_id: i64, org_id: i64) -> Vec<u8> {
    format!("{id}/{user_id}/{org_id}").into_bytes()
}

fn random<const N: usize>() -> Result<[u8; N], AppError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| AppError::internal(format!("no randomness: {e}")))?;
    Ok(bytes)
}

/// Seals `key` for user `user_id` in organization `org_id` and stores it,
/// replacing one of theirs not yet taken; the ticket goes to the browser.
pub async fn put<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    org_id: i64,
    key: &GeneratedKey,
    now: DateTime<Utc>,
) -> Result<Ticket, AppError> {
    let ticket = Ticket(URL_SAFE_NO_PAD.encode(random::<32>()?));
    let (id, sealing) =
        open_ticket(ticket.as_str()).ok_or_else(|| AppError::internal("a fresh ticket"))?;
    let nonce = random::<NONCE_LEN>()?;
    let mut sealed = serde_json::to_vec(key).map_err(|e| AppError::internal(e.to_string()))?;
    sealing
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad(&id, user_id, org_id)),
            &mut sealed,
        )
        .map_err(|_| AppError::internal("sealing the key hand-over"))?;
    let mut row = nonce.to_vec();
    row.extend_from_slice(&sealed);
    key_handover::Entity::delete_many()
        .filter(key_handover::Column::UserId.eq(user_id))
        .filter(key_handover::Column::OrganizationId.eq(org_id))
        .exec(db)
        .await?;
    key_handover::Entity::insert(key_handover::ActiveModel {
        id: Set(id),
        user_id: Set(user_id),
        organization_id: Set(org_id),
        sealed: Set(row),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(ticket)
}

/// The key waiting under `ticket` for this user in this organization,
/// deleted as it is read: of two requests with the same ticket at once,
/// one gets it. Anything else (no such row, someone else's, too old, a
/// ticket that does not open it) is `None`.
pub async fn take<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    org_id: i64,
    ticket: &str,
    now: DateTime<Utc>,
) -> Result<Option<GeneratedKey>, AppError> {
    let Some((id, sealing)) = open_ticket(ticket) else {
        return Ok(None);
    };
    let rows = key_handover::Entity::delete_many()
        .filter(key_handover::Column::Id.eq(id.as_str()))
        .filter(key_handover::Column::UserId.eq(user_id))
        .filter(key_handover::Column::OrganizationId.eq(org_id))
        .exec_with_returning(db)
        .await?;
    let Some(row) = rows.into_iter().next() else {
        return Ok(None);
    };
    if now - row.created_at >= Duration::seconds(TTL_SECONDS) || row.sealed.len() < NONCE_LEN {
        return Ok(None);
    }
    let (nonce, sealed) = row.sealed.split_at(NONCE_LEN);
    let Ok(nonce) = Nonce::try_assume_unique_for_key(nonce) else {
        return Ok(None);
    };
    let mut sealed = sealed.to_vec();
    let Ok(plain) = sealing.open_in_place(nonce, Aad::from(aad(&id, user_id, org_id)), &mut sealed)
    else {
        return Ok(None);
    };
    Ok(serde_json::from_slice(plain).ok())
}

/// Deletes the hand-overs nobody came for in time.
pub async fn purge_expired<C: ConnectionTrait>(db: &C, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let result = key_handover::Entity::delete_many()
        .filter(key_handover::Column::CreatedAt.lte(now - Duration::seconds(TTL_SECONDS)))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ticket_is_found_in_a_cookie_header() {
        let found = |header: &str, secure| {
            let mut headers = axum::http::HeaderMap::new();
            headers.insert(
                axum::http::header::COOKIE,
                header.parse().expect("a cookie header"),
            );
            tickets_in(&headers, secure)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        assert_eq!(found("a=1; keyhouse_handover=abc; b=2", false), ["abc"]);
        assert_eq!(
            found("keyhouse_handover=x; keyhouse_handover=y", false),
            ["x", "y"]
        );
        assert!(found("keyhouse_handover=", false).is_empty());
        assert!(found("xkeyhouse_handover=abc", false).is_empty());
        // Over HTTPS only the __Host- cookie counts.
        assert!(found("keyhouse_handover=abc", true).is_empty());
        assert_eq!(found("__Host-keyhouse_handover=abc", true), ["abc"]);
    }

    #[test]
    fn only_a_ticket_of_32_bytes_opens_anything() {
        assert!(open_ticket("short").is_none());
        assert!(open_ticket(&URL_SAFE_NO_PAD.encode([7u8; 31])).is_none());
        let (id, _) = open_ticket(&URL_SAFE_NO_PAD.encode([7u8; 32])).expect("a ticket");
        assert_eq!(id.len(), 64);
        let (other, _) = open_ticket(&URL_SAFE_NO_PAD.encode([8u8; 32])).expect("a ticket");
        assert_ne!(id, other);
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_short_lived() {
        let cookie = Ticket("t".into()).cookie(true);
        for part in [
            "HttpOnly",
            "SameSite=Strict",
            "Max-Age=300",
            "Secure",
            "Path=/",
        ] {
            assert!(cookie.contains(part), "{cookie}");
        }
        assert!(!Ticket("t".into()).cookie(false).contains("Secure"));
        assert!(clear_cookie(false).contains("Max-Age=0"));
    }
}
