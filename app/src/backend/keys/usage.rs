//! Last use of keys, counted in memory on the request path and written to
//! the database in batches by a background task: a key check never waits
//! for a write.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::backend::entities::{api_key, api_key_secret};

struct Seen {
    key_id: i64,
    at: DateTime<Utc>,
    ip: Option<String>,
}

#[derive(Clone, Default)]
pub struct Usage {
    pending: Arc<Mutex<HashMap<i64, Seen>>>,
}

impl Usage {
    /// Notes that secret `secret_id` of key `key_id` was used now.
    pub fn record(&self, key_id: i64, secret_id: i64, at: DateTime<Utc>, ip: Option<String>) {
        if let Ok(mut map) = self.pending.lock() {
            map.insert(secret_id, Seen { key_id, at, ip });
        }
    }

    /// Writes what was noted since the last flush, in one transaction.
    /// Returns how many secrets were updated.
    pub async fn flush(&self, db: &DatabaseConnection) -> Result<usize, sea_orm::DbErr> {
        let batch: Vec<(i64, Seen)> = match self.pending.lock() {
            Ok(mut map) => map.drain().collect(),
            Err(_) => return Ok(0),
        };
        if batch.is_empty() {
            return Ok(0);
        }
        let txn = crate::backend::db::begin_write(db).await?;
        for (secret_id, seen) in &batch {
            api_key_secret::Entity::update_many()
                .col_expr(api_key_secret::Column::LastUsedAt, Expr::value(seen.at))
                .col_expr(
                    api_key_secret::Column::LastUsedIp,
                    Expr::value(seen.ip.clone()),
                )
                .filter(api_key_secret::Column::Id.eq(*secret_id))
                .exec(&txn)
                .await?;
            api_key::Entity::update_many()
                .col_expr(api_key::Column::LastUsedAt, Expr::value(seen.at))
                .col_expr(api_key::Column::LastUsedIp, Expr::value(seen.ip.clone()))
                .filter(api_key::Column::Id.eq(seen.key_id))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(batch.len())
    }
}
