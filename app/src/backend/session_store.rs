//! A tower-sessions store on SeaORM. No published store fits SeaORM 2 (the
//! sqlx store wants a second pool on another sqlx), so this one shares the
//! application's connection and runs on SQLite and PostgreSQL alike.
use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set, SqlErr};
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};

use super::entities::session;

#[derive(Clone, Debug)]
pub struct SeaOrmSessionStore {
    db: DatabaseConnection,
}

impl SeaOrmSessionStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Deletes every session whose expiry has passed; returns how many.
    pub async fn delete_expired_count(&self) -> session_store::Result<u64> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let result = session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lte(now))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(result.rows_affected)
    }

    /// Deletes every session of which `predicate` says yes; used to end a
    /// user's sessions (sign-out everywhere, deactivation, password change).
    pub async fn delete_where<F>(&self, predicate: F) -> session_store::Result<u64>
    where
        F: Fn(&Record) -> bool,
    {
        let rows = session::Entity::find()
            .all(&self.db)
            .await
            .map_err(backend)?;
        let doomed: Vec<String> = rows
            .into_iter()
            .filter(|row| decode(row).is_ok_and(|record| predicate(&record)))
            .map(|row| row.id)
            .collect();
        if doomed.is_empty() {
            return Ok(0);
        }
        let result = session::Entity::delete_many()
            .filter(session::Column::Id.is_in(doomed))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(result.rows_affected)
    }
}

fn backend(err: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(err.to_string())
}

fn encode(record: &Record) -> session_store::Result<session::ActiveModel> {
    let data = serde_json::to_string(&record.data)
        .map_err(|e| session_store::Error::Encode(e.to_string()))?;
    Ok(session::ActiveModel {
        id: Set(record.id.to_string()),
        data: Set(data),
        expires_at: Set(record.expiry_date.unix_timestamp()),
    })
}

fn decode(row: &session::Model) -> session_store::Result<Record> {
    let id = row
        .id
        .parse::<Id>()
        .map_err(|e| session_store::Error::Decode(e.to_string()))?;
    let data =
        serde_json::from_str(&row.data).map_err(|e| session_store::Error::Decode(e.to_string()))?;
    let expiry_date = OffsetDateTime::from_unix_timestamp(row.expires_at)
        .map_err(|e| session_store::Error::Decode(e.to_string()))?;
    Ok(Record {
        id,
        data,
        expiry_date,
    })
}

#[async_trait]
impl SessionStore for SeaOrmSessionStore {
    /// Inserts, drawing a fresh id on the (astronomically unlikely) collision
    /// rather than overwriting somebody else's session.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            match session::Entity::insert(encode(record)?)
                .exec(&self.db)
                .await
            {
                Ok(_) => return Ok(()),
                Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                    record.id = Id::default();
                }
                Err(err) => return Err(backend(err)),
            }
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        session::Entity::insert(encode(record)?)
            .on_conflict(
                OnConflict::column(session::Column::Id)
                    .update_columns([session::Column::Data, session::Column::ExpiresAt])
                    .to_owned(),
            )
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let row = session::Entity::find_by_id(session_id.to_string())
            .filter(session::Column::ExpiresAt.gt(now))
            .one(&self.db)
            .await
            .map_err(backend)?;
        row.as_ref().map(decode).transpose()
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        session::Entity::delete_by_id(session_id.to_string())
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for SeaOrmSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        self.delete_expired_count().await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::db::connect_and_migrate;
    use std::collections::HashMap;
    use time::Duration;

    async fn store() -> (SeaOrmSessionStore, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/s.db", dir.path().display());
        let db = connect_and_migrate(&url).await.expect("database");
        (SeaOrmSessionStore::new(db), dir)
    }

    fn record(expires_in: Duration, value: &str) -> Record {
        let mut data = HashMap::new();
        data.insert("user".to_owned(), serde_json::json!(value));
        Record {
            id: Id::default(),
            data,
            expiry_date: OffsetDateTime::now_utc() + expires_in,
        }
    }

    #[tokio::test]
    async fn create_then_load_round_trips() {
        let (store, _dir) = store().await;
        let mut rec = record(Duration::hours(1), "alice");
        store.create(&mut rec).await.expect("create");
        let loaded = store.load(&rec.id).await.expect("load").expect("present");
        assert_eq!(loaded.data, rec.data);
        assert_eq!(
            loaded.expiry_date.unix_timestamp(),
            rec.expiry_date.unix_timestamp()
        );
    }

    #[tokio::test]
    async fn create_with_an_existing_id_draws_a_new_one() {
        let (store, _dir) = store().await;
        let mut first = record(Duration::hours(1), "alice");
        store.create(&mut first).await.expect("create");
        let mut second = record(Duration::hours(1), "mallory");
        second.id = first.id;
        store.create(&mut second).await.expect("create");
        assert_ne!(first.id, second.id);
        let still_alice = store.load(&first.id).await.expect("load").expect("present");
        assert_eq!(still_alice.data["user"], "alice");
    }

    #[tokio::test]
    async fn save_inserts_and_then_updates() {
        let (store, _dir) = store().await;
        let mut rec = record(Duration::hours(1), "alice");
        store.save(&rec).await.expect("insert");
        rec.data.insert("user".into(), serde_json::json!("bob"));
        store.save(&rec).await.expect("update");
        let loaded = store.load(&rec.id).await.expect("load").expect("present");
        assert_eq!(loaded.data["user"], "bob");
    }

    #[tokio::test]
    async fn load_ignores_missing_and_expired() {
        let (store, _dir) = store().await;
        assert!(store.load(&Id::default()).await.expect("load").is_none());
        let mut expired = record(-Duration::seconds(5), "old");
        store.create(&mut expired).await.expect("create");
        assert!(store.load(&expired.id).await.expect("load").is_none());
    }

    #[tokio::test]
    async fn delete_removes_only_that_session() {
        let (store, _dir) = store().await;
        let mut a = record(Duration::hours(1), "a");
        let mut b = record(Duration::hours(1), "b");
        store.create(&mut a).await.expect("create");
        store.create(&mut b).await.expect("create");
        store.delete(&a.id).await.expect("delete");
        assert!(store.load(&a.id).await.expect("load").is_none());
        assert!(store.load(&b.id).await.expect("load").is_some());
    }

    #[tokio::test]
    async fn delete_expired_keeps_live_sessions() {
        let (store, _dir) = store().await;
        let mut live = record(Duration::hours(1), "live");
        let mut dead = record(-Duration::seconds(1), "dead");
        store.create(&mut live).await.expect("create");
        store.create(&mut dead).await.expect("create");
        assert_eq!(store.delete_expired_count().await.expect("delete"), 1);
        store.delete_expired().await.expect("delete again");
        assert!(store.load(&live.id).await.expect("load").is_some());
    }

    #[tokio::test]
    async fn delete_where_ends_matching_sessions() {
        let (store, _dir) = store().await;
        let mut a = record(Duration::hours(1), "alice");
        let mut b = record(Duration::hours(1), "bob");
        store.create(&mut a).await.expect("create");
        store.create(&mut b).await.expect("create");
        let n = store
            .delete_where(|r| r.data.get("user") == Some(&serde_json::json!("alice")))
            .await
            .expect("delete");
        assert_eq!(n, 1);
        assert!(store.load(&a.id).await.expect("load").is_none());
        assert!(store.load(&b.id).await.expect("load").is_some());
    }
}
