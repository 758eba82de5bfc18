//! Use of keys, counted in memory on the request path and written to the
//! database in batches by a background task: a key check never waits for a
//! write. Kept: each secret's last use, each key's requests per day (UTC),
//! the addresses each key was used from, and for a rotation's progress each
//! secret's requests per hour and the addresses using a rolled secret
//! (`usage_secrets`).
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, LockType, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::backend::entities::{api_key, api_key_ip, api_key_secret, api_key_usage_day};
use crate::backend::unit_of_work::{Invalidate, Work};

pub use super::usage_secrets::IPS_KEPT;

struct Seen {
    key_id: i64,
    at: DateTime<Utc>,
    ip: Option<IpAddr>,
}

#[derive(Default)]
struct Pending {
    /// By secret id.
    last: HashMap<i64, Seen>,
    days: HashMap<(i64, NaiveDate), i64>,
    /// Requests refused for their address, by key and day.
    refused: HashMap<(i64, NaiveDate), i64>,
    /// Requests and last use, by key and address.
    ips: HashMap<(i64, IpAddr), (i64, DateTime<Utc>)>,
    /// Requests by secret and hour (seconds since the epoch / 3600).
    pub(super) hours: HashMap<(i64, i64), i64>,
    /// Requests and last use of rolled secrets, by secret and address.
    pub(super) rolled_ips: HashMap<(i64, IpAddr), (i64, DateTime<Utc>)>,
}

/// Separately locked parts of the counts: requests on different threads
/// rarely wait for each other.
const SHARDS: usize = 16;

#[derive(Clone)]
pub struct Usage {
    shards: Arc<[Mutex<Pending>; SHARDS]>,
}

impl Default for Usage {
    fn default() -> Self {
        Usage {
            shards: Arc::new(std::array::from_fn(|_| Mutex::new(Pending::default()))),
        }
    }
}

impl Pending {
    fn merge(&mut self, other: Pending) {
        for (secret, seen) in other.last {
            match self.last.get(&secret) {
                Some(known) if known.at >= seen.at => {}
                _ => {
                    self.last.insert(secret, seen);
                }
            }
        }
        for (day, n) in other.days {
            *self.days.entry(day).or_default() += n;
        }
        for (day, n) in other.refused {
            *self.refused.entry(day).or_default() += n;
        }
        for (ip, (n, at)) in other.ips {
            let entry = self.ips.entry(ip).or_insert((0, at));
            entry.0 += n;
            entry.1 = Ord::max(entry.1, at);
        }
        for (hour, n) in other.hours {
            *self.hours.entry(hour).or_default() += n;
        }
        for (ip, (n, at)) in other.rolled_ips {
            let entry = self.rolled_ips.entry(ip).or_insert((0, at));
            entry.0 += n;
            entry.1 = Ord::max(entry.1, at);
        }
    }
}

impl Usage {
    /// This thread's shard.
    fn shard(&self) -> &Mutex<Pending> {
        use std::hash::{BuildHasher, RandomState};
        thread_local! {
            static SHARD: usize = RandomState::new().hash_one(std::thread::current().id()) as usize % SHARDS;
        }
        &self.shards[SHARD.with(|s| *s)]
    }

    /// Notes that secret `secret_id` of key `key_id` was used now; `rolled`:
    /// a secret in its grace period (its callers have yet to move).
    pub fn record(
        &self,
        key_id: i64,
        secret_id: i64,
        rolled: bool,
        at: DateTime<Utc>,
        ip: Option<IpAddr>,
    ) {
        let Ok(mut pending) = self.shard().lock() else {
            return;
        };
        match pending.last.get_mut(&secret_id) {
            Some(seen) if seen.at > at => {}
            Some(seen) => {
                seen.at = at;
                seen.ip = ip;
            }
            None => {
                pending.last.insert(secret_id, Seen { key_id, at, ip });
            }
        }
        *pending.days.entry((key_id, at.date_naive())).or_default() += 1;
        *pending
            .hours
            .entry((secret_id, at.timestamp().div_euclid(3600)))
            .or_default() += 1;
        if let (true, Some(ip)) = (rolled, ip) {
            let entry = pending.rolled_ips.entry((secret_id, ip)).or_insert((0, at));
            entry.0 += 1;
            entry.1 = Ord::max(entry.1, at);
        }
        if let Some(ip) = ip {
            let entry = pending.ips.entry((key_id, ip)).or_insert((0, at));
            entry.0 += 1;
            entry.1 = Ord::max(entry.1, at);
        }
    }

    /// Notes a request refused because the key is not allowed from its
    /// address: counted for the day, not as a use.
    pub fn record_refused(&self, key_id: i64, at: DateTime<Utc>) {
        if let Ok(mut pending) = self.shard().lock() {
            *pending
                .refused
                .entry((key_id, at.date_naive()))
                .or_default() += 1;
        }
    }

    /// Writes what was noted since the last flush, in one transaction. Keys
    /// deleted meanwhile are skipped. Returns how many secrets were updated.
    pub async fn flush(&self, db: &DatabaseConnection) -> Result<usize, sea_orm::DbErr> {
        let mut batch = Pending::default();
        for shard in self.shards.iter() {
            if let Ok(mut pending) = shard.lock() {
                batch.merge(std::mem::take(&mut *pending));
            }
        }
        if batch.last.is_empty() && batch.days.is_empty() && batch.refused.is_empty() {
            return Ok(0);
        }
        match write(db, &batch).await {
            Ok(()) => Ok(batch.last.len()),
            Err(err) => {
                // Nothing was written: keep the counts for the next flush.
                if let Ok(mut pending) = self.shards[0].lock() {
                    pending.merge(batch);
                }
                Err(err)
            }
        }
    }
}

/// Writes one batch in one transaction, rows in id order (two instances
/// flushing at once take their locks in the same order). Keys deleted
/// meanwhile are skipped.
///
/// The keys' own rows are locked first, in id order (PostgreSQL; SQLite
/// ignores the clause and lets one writer in anyway): a key deleted at the
/// same time (its row first, then its secrets by cascade) then waits for
/// this write or is already gone, so the two never hold each other's rows
/// (a deadlock), and no count is written for a key deleted after it was
/// looked up (a foreign-key failure that would lose the whole batch).
async fn write(db: &DatabaseConnection, batch: &Pending) -> Result<(), sea_orm::DbErr> {
    let work = Work::begin_bookkeeping(db).await?;
    let mut ids: Vec<i64> = batch.last.values().map(|s| s.key_id).collect();
    ids.extend(batch.days.keys().map(|(id, _)| *id));
    ids.extend(batch.refused.keys().map(|(id, _)| *id));
    ids.extend(batch.ips.keys().map(|(id, _)| *id));
    ids.sort_unstable();
    ids.dedup();
    let existing: Vec<i64> = api_key::Entity::find()
        .select_only()
        .column(api_key::Column::Id)
        .filter(api_key::Column::Id.is_in(ids))
        .order_by_asc(api_key::Column::Id)
        .lock(LockType::NoKeyUpdate)
        .into_tuple()
        .all(&work)
        .await?;
    let mut existing = existing;
    existing.sort_unstable();
    let exists = |id: &i64| existing.binary_search(id).is_ok();
    let mut last: Vec<(&i64, &Seen)> = batch.last.iter().collect();
    last.sort_unstable_by_key(|(secret, seen)| (seen.key_id, **secret));
    // A key's last use is its secrets' latest.
    let mut latest: std::collections::BTreeMap<i64, &Seen> = std::collections::BTreeMap::new();
    for (secret_id, seen) in last {
        if !exists(&seen.key_id) {
            continue;
        }
        let ip = seen.ip.map(|ip| ip.to_string());
        api_key_secret::Entity::update_many()
            .col_expr(api_key_secret::Column::LastUsedAt, Expr::value(seen.at))
            .col_expr(api_key_secret::Column::LastUsedIp, Expr::value(ip))
            .filter(api_key_secret::Column::Id.eq(*secret_id))
            .exec(&work)
            .await?;
        let entry = latest.entry(seen.key_id).or_insert(seen);
        if seen.at > entry.at {
            *entry = seen;
        }
    }
    for (key_id, seen) in latest {
        api_key::Entity::update_many()
            .col_expr(api_key::Column::LastUsedAt, Expr::value(seen.at))
            .col_expr(
                api_key::Column::LastUsedIp,
                Expr::value(seen.ip.map(|ip| ip.to_string())),
            )
            .filter(api_key::Column::Id.eq(key_id))
            .exec(&work)
            .await?;
    }
    // Each key's day once, with its requests and its refusals.
    let mut days: std::collections::BTreeMap<(i64, NaiveDate), (i64, i64)> = Default::default();
    for (day, n) in &batch.days {
        days.entry(*day).or_default().0 += n;
    }
    for (day, n) in &batch.refused {
        days.entry(*day).or_default().1 += n;
    }
    for ((key_id, day), (requests, refused)) in days {
        if !exists(&key_id) {
            continue;
        }
        api_key_usage_day::Entity::insert(api_key_usage_day::ActiveModel {
            api_key_id: Set(key_id),
            day: Set(day),
            requests: Set(requests),
            refused: Set(refused),
        })
        .on_conflict(
            OnConflict::columns([
                api_key_usage_day::Column::ApiKeyId,
                api_key_usage_day::Column::Day,
            ])
            .value(
                api_key_usage_day::Column::Requests,
                Expr::col((
                    api_key_usage_day::Entity,
                    api_key_usage_day::Column::Requests,
                ))
                .add(Expr::col((
                    Alias::new("excluded"),
                    api_key_usage_day::Column::Requests,
                ))),
            )
            .value(
                api_key_usage_day::Column::Refused,
                Expr::col((
                    api_key_usage_day::Entity,
                    api_key_usage_day::Column::Refused,
                ))
                .add(Expr::col((
                    Alias::new("excluded"),
                    api_key_usage_day::Column::Refused,
                ))),
            )
            .to_owned(),
        )
        .exec_without_returning(&work)
        .await?;
    }
    let mut with_new_ips: Vec<i64> = Vec::new();
    let mut ips: Vec<_> = batch.ips.iter().collect();
    ips.sort_unstable_by_key(|(k, _)| **k);
    for ((key_id, ip), (requests, at)) in ips {
        if !exists(key_id) {
            continue;
        }
        api_key_ip::Entity::insert(api_key_ip::ActiveModel {
            api_key_id: Set(*key_id),
            ip: Set(ip.to_string()),
            requests: Set(*requests),
            last_used_at: Set(*at),
        })
        .on_conflict(
            OnConflict::columns([api_key_ip::Column::ApiKeyId, api_key_ip::Column::Ip])
                .value(
                    api_key_ip::Column::Requests,
                    Expr::col((api_key_ip::Entity, api_key_ip::Column::Requests)).add(Expr::col((
                        Alias::new("excluded"),
                        api_key_ip::Column::Requests,
                    ))),
                )
                .update_column(api_key_ip::Column::LastUsedAt)
                .to_owned(),
        )
        .exec_without_returning(&work)
        .await?;
        with_new_ips.push(*key_id);
    }
    with_new_ips.sort_unstable();
    with_new_ips.dedup();
    for key_id in with_new_ips {
        forget_old_ips(&work, key_id).await?;
    }
    let key_of = |secret: i64| batch.last.get(&secret).map(|s| s.key_id).filter(exists);
    // Keys rotating at any time the batch covers (its earliest use).
    let earliest = batch.last.values().map(|s| s.at).min();
    if let Some(earliest) = earliest {
        super::usage_secrets::write(&work, &batch.hours, &batch.rolled_ips, key_of, earliest)
            .await?;
    }
    work.commit(Invalidate::None).await
}

/// Keeps the [`IPS_KEPT`] most recently seen addresses of a key.
async fn forget_old_ips<C: ConnectionTrait>(db: &C, key_id: i64) -> Result<(), sea_orm::DbErr> {
    let old: Vec<String> = api_key_ip::Entity::find()
        .select_only()
        .column(api_key_ip::Column::Ip)
        .filter(api_key_ip::Column::ApiKeyId.eq(key_id))
        .order_by_desc(api_key_ip::Column::LastUsedAt)
        .offset(IPS_KEPT)
        // SQLite wants a LIMIT with an OFFSET.
        .limit(1_000_000)
        .into_tuple()
        .all(db)
        .await?;
    if !old.is_empty() {
        api_key_ip::Entity::delete_many()
            .filter(api_key_ip::Column::ApiKeyId.eq(key_id))
            .filter(api_key_ip::Column::Ip.is_in(old))
            .exec(db)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_merge_into_one_batch_adding_counts_and_keeping_the_latest_use() {
        let t0 = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).expect("time");
        let t1 = t0 + chrono::Duration::seconds(5);
        let ip: IpAddr = [192, 0, 2, 1].into();
        let usage = Usage::default();
        // Two threads: two shards (or one; the sums are the same).
        std::thread::scope(|s| {
            s.spawn(|| usage.record(1, 10, false, t1, Some(ip)));
            s.spawn(|| usage.record(1, 10, false, t0, Some(ip)));
        });
        usage.record(1, 10, false, t0, None);
        // Out of order on one thread: the later use stays the last one.
        usage.record(2, 20, true, t1, Some(ip));
        usage.record(2, 20, true, t0, Some(ip));
        let mut batch = Pending::default();
        for shard in usage.shards.iter() {
            batch.merge(std::mem::take(&mut *shard.lock().expect("lock")));
        }
        assert_eq!(batch.days.get(&(1, t0.date_naive())), Some(&3));
        assert_eq!(batch.ips.get(&(1, ip)), Some(&(2, t1)));
        assert_eq!(batch.last.get(&10).map(|s| s.at), Some(t1));
        assert_eq!(batch.ips.get(&(2, ip)), Some(&(2, t1)));
        assert_eq!(batch.last.get(&20).map(|s| s.at), Some(t1));
        let hour = t0.timestamp().div_euclid(3600);
        assert_eq!(batch.hours.get(&(10, hour)), Some(&3));
        assert_eq!(
            batch.rolled_ips.get(&(20, ip)),
            Some(&(2, t1)),
            "a rolled secret's callers"
        );
        assert!(
            !batch.rolled_ips.contains_key(&(10, ip)),
            "the current one's are not"
        );
    }
}
