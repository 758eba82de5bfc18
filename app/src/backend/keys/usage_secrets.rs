//! The part of a usage batch a rotation's progress reads: the requests per
//! hour of each secret of a key being rotated (one with a rolled secret
//! still in its grace period; no other key costs a write), and the
//! addresses still using a rolled secret (the [`IPS_KEPT`] most recently
//! seen per secret). Written in the batch's transaction, rows in key order,
//! secrets of deleted keys skipped.
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::backend::entities::{api_key_secret, api_key_secret_hour, api_key_secret_ip};

/// The addresses kept per key, and per rolled secret: the most recently
/// seen.
pub const IPS_KEPT: u64 = 20;

pub(super) async fn write<C: ConnectionTrait>(
    db: &C,
    hours: &HashMap<(i64, i64), i64>,
    rolled_ips: &HashMap<(i64, IpAddr), (i64, DateTime<Utc>)>,
    key_of: impl Fn(i64) -> Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut keys: Vec<i64> = hours.keys().filter_map(|(s, _)| key_of(*s)).collect();
    keys.sort_unstable();
    keys.dedup();
    let rotating: HashSet<i64> = if keys.is_empty() {
        HashSet::new()
    } else {
        api_key_secret::Entity::find()
            .select_only()
            .column(api_key_secret::Column::ApiKeyId)
            .distinct()
            .filter(api_key_secret::Column::ApiKeyId.is_in(keys))
            .filter(api_key_secret::Column::SupersededAt.is_not_null())
            .filter(api_key_secret::Column::GraceUntil.gt(now))
            .into_tuple::<i64>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    let counted = |secret: i64| key_of(secret).is_some_and(|k| rotating.contains(&k));
    let mut hours: Vec<_> = hours.iter().filter(|((s, _), _)| counted(*s)).collect();
    hours.sort_unstable_by_key(|(k, _)| **k);
    for ((secret_id, hour), requests) in hours {
        let Some(hour) = DateTime::<Utc>::from_timestamp(hour * 3600, 0) else {
            continue;
        };
        api_key_secret_hour::Entity::insert(api_key_secret_hour::ActiveModel {
            secret_id: Set(*secret_id),
            hour: Set(hour),
            requests: Set(*requests),
        })
        .on_conflict(
            OnConflict::columns([
                api_key_secret_hour::Column::SecretId,
                api_key_secret_hour::Column::Hour,
            ])
            .value(
                api_key_secret_hour::Column::Requests,
                Expr::col((
                    api_key_secret_hour::Entity,
                    api_key_secret_hour::Column::Requests,
                ))
                .add(Expr::col((
                    Alias::new("excluded"),
                    api_key_secret_hour::Column::Requests,
                ))),
            )
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    }
    let mut ips: Vec<_> = rolled_ips
        .iter()
        .filter(|((s, _), _)| key_of(*s).is_some())
        .collect();
    ips.sort_unstable_by_key(|(k, _)| **k);
    let mut touched: Vec<i64> = Vec::new();
    for ((secret_id, ip), (requests, at)) in ips {
        api_key_secret_ip::Entity::insert(api_key_secret_ip::ActiveModel {
            secret_id: Set(*secret_id),
            ip: Set(ip.to_string()),
            requests: Set(*requests),
            last_used_at: Set(*at),
        })
        .on_conflict(
            OnConflict::columns([
                api_key_secret_ip::Column::SecretId,
                api_key_secret_ip::Column::Ip,
            ])
            .value(
                api_key_secret_ip::Column::Requests,
                Expr::col((
                    api_key_secret_ip::Entity,
                    api_key_secret_ip::Column::Requests,
                ))
                .add(Expr::col((
                    Alias::new("excluded"),
                    api_key_secret_ip::Column::Requests,
                ))),
            )
            .update_column(api_key_secret_ip::Column::LastUsedAt)
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
        touched.push(*secret_id);
    }
    touched.dedup();
    for secret_id in touched {
        let old: Vec<String> = api_key_secret_ip::Entity::find()
            .select_only()
            .column(api_key_secret_ip::Column::Ip)
            .filter(api_key_secret_ip::Column::SecretId.eq(secret_id))
            .order_by_desc(api_key_secret_ip::Column::LastUsedAt)
            .offset(IPS_KEPT)
            // SQLite wants a LIMIT with an OFFSET.
            .limit(1_000_000)
            .into_tuple()
            .all(db)
            .await?;
        if !old.is_empty() {
            api_key_secret_ip::Entity::delete_many()
                .filter(api_key_secret_ip::Column::SecretId.eq(secret_id))
                .filter(api_key_secret_ip::Column::Ip.is_in(old))
                .exec(db)
                .await?;
        }
    }
    Ok(())
}
