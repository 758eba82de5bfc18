//! Throttling of password checks, kept in the database so every instance
//! behind a load balancer sees the same counts.
//!
//! An attempt is reserved (a row in `sign_in_attempts` per scope) BEFORE the
//! password is verified, in a write transaction that serializes the
//! reservers of a scope, so no burst of parallel requests gets more than the
//! limit through to argon2: 5 per account and 20 per client address in 15
//! minutes for sign-in (and the other checks of a password), 10 sign-ups per
//! client address in an hour. A successful sign-in releases its rows, so only
//! failures (and attempts still in flight) count. IPv6 clients are counted
//! per /64, the block one subscriber is usually given.
use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};

use crate::backend::entities::sign_in_attempt;
use crate::backend::unit_of_work::{Invalidate, Work};
use crate::model::error::AppError;

pub const WINDOW_MINUTES: i64 = 15;
pub const PER_ACCOUNT: u64 = 5;
pub const PER_IP: u64 = 20;
pub const SIGN_UP_WINDOW_MINUTES: i64 = 60;
/// The default of `KEYHOUSE_SIGN_UPS_PER_HOUR`.
pub const SIGN_UPS_PER_IP: u64 = 10;

/// The audit target (and throttle scope) of a sign-in attempt on `login`.
pub fn login_target(login: &str) -> String {
    format!("login:{}", login.trim().to_lowercase())
}

/// The throttle's scope for `login`: its SHA-256, so a login of any length
/// fits the column and the table holds no login as typed.
pub fn login_scope(login: &str) -> String {
    format!(
        "login:{}",
        crate::backend::keys::format::hash(&login.trim().to_lowercase())
    )
}

/// How a client address is counted: an IPv4 address (also one written as
/// IPv4-mapped IPv6) by itself, an IPv6 address by its /64.
pub fn address_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{net}/64")
            }
        },
    }
}

/// At most `max` reservations of `scope` within the window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limit {
    pub scope: String,
    pub max: u64,
}

/// The rows an attempt holds; [`release`] them when the attempt succeeded.
#[derive(Debug)]
#[must_use = "a successful attempt releases its reservation"]
pub struct Reservation {
    ids: Vec<i64>,
}

/// The limits of a password check of `login` from `ip`.
pub fn sign_in_limits(login: &str, ip: Option<IpAddr>) -> Vec<Limit> {
    let mut limits = vec![Limit {
        scope: login_scope(login),
        max: PER_ACCOUNT,
    }];
    if let Some(ip) = ip {
        limits.push(Limit {
            scope: format!("ip:{}", address_key(ip)),
            max: PER_IP,
        });
    }
    limits
}

/// Reserves a password check of `login` from `ip`: `Ok(Ok(_))` to go on,
/// `Ok(Err(seconds to wait))` when a limit is reached.
pub async fn reserve_sign_in(
    db: &DatabaseConnection,
    login: &str,
    ip: Option<IpAddr>,
    now: DateTime<Utc>,
) -> Result<Result<Reservation, u64>, AppError> {
    let window = Duration::minutes(WINDOW_MINUTES);
    reserve(db, &sign_in_limits(login, ip), window, now).await
}

/// Reserves a sign-up from `ip`, at most `per_hour` an hour (not released:
/// every sign-up counts).
pub async fn reserve_sign_up(
    db: &DatabaseConnection,
    ip: Option<IpAddr>,
    per_hour: u64,
    now: DateTime<Utc>,
) -> Result<Result<Reservation, u64>, AppError> {
    let Some(ip) = ip else {
        return Ok(Ok(Reservation { ids: Vec::new() }));
    };
    let limits = [Limit {
        scope: format!("register:{}", address_key(ip)),
        max: per_hour,
    }];
    let window = Duration::minutes(SIGN_UP_WINDOW_MINUTES);
    reserve(db, &limits, window, now).await
}

/// Counts each scope's reservations inside the window and, if every one is
/// under its limit, adds one to each; all in one write transaction that
/// concurrent reservers of the same scope wait for (SQLite: the database
/// write lock taken at `BEGIN IMMEDIATE`; PostgreSQL: a transaction-scoped
/// advisory lock per scope, taken in a fixed order).
pub async fn reserve(
    db: &DatabaseConnection,
    limits: &[Limit],
    window: Duration,
    now: DateTime<Utc>,
) -> Result<Result<Reservation, u64>, AppError> {
    let work = Work::begin_bookkeeping(db).await?;
    if work.get_database_backend() == DbBackend::Postgres {
        let mut scopes: Vec<&str> = limits.iter().map(|l| l.scope.as_str()).collect();
        scopes.sort_unstable();
        scopes.dedup();
        for scope in scopes {
            work.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock(hashtext($1))",
                [scope.into()],
            ))
            .await?;
        }
    }
    let since = now - window;
    for limit in limits {
        if let Some(wait) = wait_for(&work, limit, since, window, now).await? {
            work.rollback().await?;
            return Ok(Err(wait));
        }
    }
    let mut ids = Vec::with_capacity(limits.len());
    for limit in limits {
        let row = sign_in_attempt::ActiveModel {
            scope: Set(limit.scope.clone()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&work)
        .await?;
        ids.push(row.id);
    }
    work.commit(Invalidate::None).await?;
    Ok(Ok(Reservation { ids }))
}

/// Gives the reservation back: the attempt succeeded and counts no more.
pub async fn release<C: ConnectionTrait>(db: &C, reservation: Reservation) -> Result<(), AppError> {
    if reservation.ids.is_empty() {
        return Ok(());
    }
    sign_in_attempt::Entity::delete_many()
        .filter(sign_in_attempt::Column::Id.is_in(reservation.ids))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes reservations older than every window (a periodic job, see
/// `backend::jobs`).
pub async fn purge_expired<C: ConnectionTrait>(db: &C, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let oldest_window = Duration::minutes(WINDOW_MINUTES.max(SIGN_UP_WINDOW_MINUTES));
    Ok(sign_in_attempt::Entity::delete_many()
        .filter(sign_in_attempt::Column::CreatedAt.lte(now - oldest_window))
        .exec(db)
        .await?
        .rows_affected)
}

/// If `limit.max` reservations of the scope fall inside the window, how
/// long until the oldest of the latest `max` leaves it.
async fn wait_for<C: ConnectionTrait>(
    db: &C,
    limit: &Limit,
    since: DateTime<Utc>,
    window: Duration,
    now: DateTime<Utc>,
) -> Result<Option<u64>, AppError> {
    let recent: Vec<DateTime<Utc>> = sign_in_attempt::Entity::find()
        .select_only()
        .column(sign_in_attempt::Column::CreatedAt)
        .filter(sign_in_attempt::Column::Scope.eq(limit.scope.as_str()))
        .filter(sign_in_attempt::Column::CreatedAt.gt(since))
        .order_by_desc(sign_in_attempt::Column::CreatedAt)
        .limit(limit.max)
        .into_tuple()
        .all(db)
        .await?;
    if (recent.len() as u64) < limit.max {
        return Ok(None);
    }
    let oldest = recent.last().copied().unwrap_or(now);
    let free_at = oldest + window;
    Ok(Some((free_at - now).num_seconds().max(1) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::db::connect_and_migrate;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn ipv6_addresses_in_one_64_share_a_key() {
        let a = address_key(ip("2001:db8:1:2:aaaa::1"));
        let b = address_key(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        let other = address_key(ip("2001:db8:1:3::1"));
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_eq!(a, b);
        assert_ne!(a, other);
    }

    #[test]
    fn ipv4_counts_by_address_also_when_mapped() {
        assert_eq!(address_key(ip("198.51.100.7")), "198.51.100.7");
        assert_eq!(address_key(ip("::ffff:198.51.100.7")), "198.51.100.7");
        assert_ne!(
            address_key(ip("198.51.100.7")),
            address_key(ip("198.51.100.8"))
        );
    }

    #[test]
    fn sign_in_is_limited_per_login_and_per_address() {
        let limits = sign_in_limits(" Ada@Example.com ", Some(ip("2001:db8::7")));
        assert_eq!(
            limits,
            vec![
                Limit {
                    scope: login_scope("ada@example.com"),
                    max: PER_ACCOUNT
                },
                Limit {
                    scope: "ip:2001:db8::/64".into(),
                    max: PER_IP
                },
            ]
        );
        assert_eq!(sign_in_limits("ada", None).len(), 1);
        // Fixed size, whatever was typed.
        let long = login_scope(&"x".repeat(100_000));
        assert_eq!(long.len(), "login:".len() + 64);
    }

    #[tokio::test]
    async fn one_64_is_throttled_as_one_client() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/t.db", dir.path().display());
        let db = connect_and_migrate(&url).await.expect("database");
        let now = Utc::now();
        for i in 0..PER_IP {
            let client = ip(&format!("2001:db8:5:6:{i:x}::1"));
            let login = format!("user{i}");
            let got = reserve_sign_in(&db, &login, Some(client), now).await;
            assert!(matches!(got, Ok(Ok(_))), "attempt {i}");
        }
        let same_64 = reserve_sign_in(&db, "fresh", Some(ip("2001:db8:5:6::99")), now).await;
        assert!(
            matches!(same_64, Ok(Err(wait)) if (1..=900).contains(&wait)),
            "{same_64:?}"
        );
        let next_64 = reserve_sign_in(&db, "fresh", Some(ip("2001:db8:5:7::99")), now).await;
        assert!(matches!(next_64, Ok(Ok(_))), "{next_64:?}");
        let later = now + Duration::minutes(WINDOW_MINUTES);
        let after_window = reserve_sign_in(&db, "again", Some(ip("2001:db8:5:6::1")), later).await;
        assert!(matches!(after_window, Ok(Ok(_))), "{after_window:?}");
    }

    #[tokio::test]
    async fn a_released_reservation_no_longer_counts() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/t.db", dir.path().display());
        let db = connect_and_migrate(&url).await.expect("database");
        let now = Utc::now();
        for _ in 0..PER_ACCOUNT - 1 {
            let kept = reserve_sign_in(&db, "ada", None, now).await;
            assert!(matches!(kept, Ok(Ok(_))));
        }
        for _ in 0..3 {
            match reserve_sign_in(&db, "ada", None, now).await {
                Ok(Ok(reservation)) => release(&db, reservation).await.expect("release"),
                other => panic!("not reserved: {other:?}"),
            }
        }
        assert!(matches!(
            reserve_sign_in(&db, "ada", None, now).await,
            Ok(Ok(_))
        ));
        assert!(matches!(
            reserve_sign_in(&db, "ada", None, now).await,
            Ok(Err(_))
        ));
        let purged = purge_expired(&db, now + Duration::minutes(SIGN_UP_WINDOW_MINUTES))
            .await
            .expect("purge");
        assert_eq!(purged, PER_ACCOUNT);
    }
}
