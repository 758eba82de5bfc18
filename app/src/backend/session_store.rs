//! A tower-sessions store on SeaORM. No published store fits SeaORM 2 (the
//! sqlx store wants a second pool on another sqlx), so this one shares the
//! application's connection and runs on SQLite and PostgreSQL alike.
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    Set, SqlErr,
};
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};

use super::entities::session;

/// The session key under which the signed-in user is kept (see `auth::session`).
pub const SESSION_AUTH_KEY: &str = "auth";

/// The session cookie's name (its value is the session id).
pub const SESSION_COOKIE: &str = "keyhouse_session";

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
        delete_expired(&self.db).await.map_err(backend)
    }

    /// Ends every session of `user_id`, except `keep` (the caller's own,
    /// when a user changes their password). Returns how many ended.
    pub async fn delete_for_user(
        &self,
        user_id: i64,
        keep: Option<Id>,
    ) -> session_store::Result<u64> {
        let mut query = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
        if let Some(keep) = keep {
            query = query.filter(session::Column::Id.ne(keep.to_string()));
        }
        let result = query.exec(&self.db).await.map_err(backend)?;
        Ok(result.rows_affected)
    }
}

/// Deletes every session expired by the database's clock (also the
/// periodic job's work, inside its transaction); returns how many.
pub async fn delete_expired<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    let result = session::Entity::delete_many()
        .filter(Expr::col(session::Column::ExpiresAt).lte(database_now(db)))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Rewrites the credential version a stored session holds (the session that
/// changed the password stays signed in), inside the caller's transaction.
pub async fn set_credential_version<C: ConnectionTrait>(
    db: &C,
    id: Id,
    version: i64,
) -> Result<(), DbErr> {
    let Some(row) = session::Entity::find_by_id(id.to_string()).one(db).await? else {
        return Ok(());
    };
    let mut data: serde_json::Value =
        serde_json::from_str(&row.data).map_err(|e| DbErr::Custom(e.to_string()))?;
    let Some(auth) = data
        .get_mut(SESSION_AUTH_KEY)
        .and_then(serde_json::Value::as_object_mut)
    else {
        return Ok(());
    };
    auth.insert("credential_version".into(), version.into());
    session::Entity::update_many()
        .set(session::ActiveModel {
            data: Set(data.to_string()),
            ..Default::default()
        })
        .filter(session::Column::Id.eq(row.id))
        .exec(db)
        .await?;
    Ok(())
}

fn backend(err: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(err.to_string())
}

fn encode(record: &Record) -> session_store::Result<session::ActiveModel> {
    let data = serde_json::to_string(&record.data)
        .map_err(|e| session_store::Error::Encode(e.to_string()))?;
    let user_id = record
        .data
        .get(SESSION_AUTH_KEY)
        .and_then(|auth| auth.get("user_id"))
        .and_then(serde_json::Value::as_i64);
    Ok(session::ActiveModel {
        id: Set(record.id.to_string()),
        data: Set(data),
        expires_at: Set(record.expiry_date.unix_timestamp()),
        user_id: Set(user_id),
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

    /// Updates the session only while it exists: a request still in flight
    /// when its session was ended (sign-out, a password change) must not
    /// bring it back. Only [`SessionStore::create`] inserts.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let row = encode(record)?;
        session::Entity::update_many()
            .set(session::ActiveModel {
                data: row.data,
                expires_at: row.expires_at,
                user_id: row.user_id,
                ..Default::default()
            })
            .filter(session::Column::Id.eq(record.id.to_string()))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// Only a session not yet expired by the DATABASE's clock: instances
    /// behind one load balancer agree on when a session ends even when
    /// their own clocks drift apart.
    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        // `all`, not `one` (at most one row by the key): a bound LIMIT makes
        // SQLite prepare the statement again on every run, every request.
        let row = session::Entity::find_by_id(session_id.to_string())
            .filter(Expr::col(session::Column::ExpiresAt).gt(database_now(&self.db)))
            .all(&self.db)
            .await
            .map_err(backend)?;
        row.first().map(decode).transpose()
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

/// The database's clock, in Unix seconds (what `expires_at` holds).
/// Whole seconds, rounded down on both.
fn database_now<C: ConnectionTrait>(db: &C) -> Expr {
    match db.get_database_backend() {
        DbBackend::Postgres => Expr::cust("CAST(FLOOR(EXTRACT(EPOCH FROM now())) AS BIGINT)"),
        _ => Expr::cust("CAST(strftime('%s', 'now') AS INTEGER)"),
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
    async fn save_updates_a_live_session() {
        let (store, _dir) = store().await;
        let mut rec = record(Duration::hours(1), "alice");
        store.create(&mut rec).await.expect("create");
        rec.data.insert("user".into(), serde_json::json!("bob"));
        store.save(&rec).await.expect("update");
        let loaded = store.load(&rec.id).await.expect("load").expect("present");
        assert_eq!(loaded.data["user"], "bob");
    }

    #[tokio::test]
    async fn save_never_brings_back_an_ended_session() {
        let (store, _dir) = store().await;
        let mut rec = record(Duration::hours(1), "alice");
        store.create(&mut rec).await.expect("create");
        store.delete(&rec.id).await.expect("delete");
        store.save(&rec).await.expect("save after delete");
        assert!(store.load(&rec.id).await.expect("load").is_none());
        let never_created = record(Duration::hours(1), "mallory");
        store.save(&never_created).await.expect("save");
        assert!(store.load(&never_created.id).await.expect("load").is_none());
    }

    #[tokio::test]
    async fn the_credential_version_of_a_session_can_be_rewritten() {
        let (store, _dir) = store().await;
        let mut rec = record(Duration::hours(1), "x");
        rec.data.insert(
            SESSION_AUTH_KEY.into(),
            serde_json::json!({ "user_id": 1, "credential_version": 3 }),
        );
        store.create(&mut rec).await.expect("create");
        set_credential_version(&store.db, rec.id, 4)
            .await
            .expect("rewrite");
        let loaded = store.load(&rec.id).await.expect("load").expect("present");
        assert_eq!(loaded.data[SESSION_AUTH_KEY]["credential_version"], 4);
        assert_eq!(loaded.data[SESSION_AUTH_KEY]["user_id"], 1);
        assert_eq!(loaded.data["user"], "x");
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
    async fn delete_for_user_ends_only_that_users_sessions() {
        let (store, _dir) = store().await;
        let signed_in = |user: i64| {
            let mut rec = record(Duration::hours(1), "x");
            rec.data.insert(
                SESSION_AUTH_KEY.into(),
                serde_json::json!({ "user_id": user }),
            );
            rec
        };
        let (mut a1, mut a2, mut b) = (signed_in(1), signed_in(1), signed_in(2));
        for rec in [&mut a1, &mut a2, &mut b] {
            store.create(rec).await.expect("create");
        }
        assert_eq!(
            store.delete_for_user(1, Some(a2.id)).await.expect("delete"),
            1
        );
        assert!(store.load(&a1.id).await.expect("load").is_none());
        assert!(store.load(&a2.id).await.expect("load").is_some(), "kept");
        assert!(
            store.load(&b.id).await.expect("load").is_some(),
            "other user"
        );
        assert_eq!(store.delete_for_user(1, None).await.expect("delete"), 1);
    }
}
