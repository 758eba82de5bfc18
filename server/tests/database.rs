//! Migrations build every table on a fresh database and are safe to re-run.
mod common;

use app::backend::{db, entities};
use sea_orm::EntityTrait;

#[tokio::test]
async fn migrations_create_every_table_and_rerun_cleanly() {
    let (url, _dir) = common::fresh_database_url().await;
    let conn = db::connect_and_migrate(&url)
        .await
        .expect("first migration");
    // Each entity's table answers a query.
    entities::organization::Entity::find()
        .all(&conn)
        .await
        .expect("organizations");
    entities::user::Entity::find()
        .all(&conn)
        .await
        .expect("users");
    entities::membership::Entity::find()
        .all(&conn)
        .await
        .expect("memberships");
    entities::role::Entity::find()
        .all(&conn)
        .await
        .expect("roles");
    entities::role_authority::Entity::find()
        .all(&conn)
        .await
        .expect("role_authorities");
    entities::session::Entity::find()
        .all(&conn)
        .await
        .expect("sessions");
    entities::audit_event::Entity::find()
        .all(&conn)
        .await
        .expect("audit_events");
    drop(conn);
    db::connect_and_migrate(&url)
        .await
        .expect("second start migrates nothing");
}

#[tokio::test]
async fn foreign_keys_are_enforced() {
    use sea_orm::{ActiveModelTrait, Set};
    let (url, _dir) = common::fresh_database_url().await;
    let conn = db::connect_and_migrate(&url).await.expect("migrate");
    let orphan_role = entities::role::ActiveModel {
        organization_id: Set(424_242),
        name: Set("Ghost".into()),
        builtin: Set(false),
        created_at: Set(chrono_now()),
        ..Default::default()
    };
    assert!(
        orphan_role.insert(&conn).await.is_err(),
        "role without organization refused"
    );
    assert!(
        entities::role::Entity::find()
            .all(&conn)
            .await
            .expect("roles")
            .is_empty()
    );
}

fn chrono_now() -> sea_orm::prelude::DateTimeUtc {
    sea_orm::prelude::DateTimeUtc::from(std::time::SystemTime::now())
}

#[tokio::test]
async fn unreachable_database_is_a_clear_error() {
    let config = server::config::Config::for_database("postgres://kh:secret@127.0.0.1:1/none");
    let err = server::build(&config).await.err().expect("refused");
    let message = err.to_string();
    assert!(
        message.starts_with("cannot open database postgres://kh:***@127.0.0.1:1/none"),
        "{message}"
    );
    assert!(
        !message.contains("secret"),
        "password must not leak: {message}"
    );
    assert!(!message.contains('\n'));
}
