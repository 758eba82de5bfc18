//! Migrations build every table on a fresh database and are safe to re-run.

use app::backend::{db, entities};
use sea_orm::EntityTrait;

#[tokio::test]
async fn migrations_create_every_table_and_rerun_cleanly() {
    let (url, _dir) = crate::common::fresh_database_url().await;
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
    let (url, _dir) = crate::common::fresh_database_url().await;
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

/// An instance upgraded from before organization slugs and credential
/// versions: its organizations (two with one name, one with a name that
/// leaves no letters) get valid, distinct slugs, its users version 0, and
/// the keys:verify API set appears once.
#[tokio::test]
async fn upgrading_an_existing_database_gives_every_organization_a_slug() {
    use app::backend::migrations::Migrator;
    use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};
    use sea_orm_migration::MigratorTrait;

    let (url, _dir) = crate::common::fresh_database_url().await;
    let conn = db::connect(&url).await.expect("connect");
    // The schema as the previous release left it: the first six migrations.
    Migrator::up(&conn, Some(6)).await.expect("old migrations");
    for name in ["Acme", "Acme", "株式会社", "Łódź Żółć"] {
        conn.execute_raw(sea_orm::Statement::from_sql_and_values(
            conn.get_database_backend(),
            match conn.get_database_backend() {
                sea_orm::DbBackend::Postgres => {
                    "INSERT INTO organizations (name, public_api_enabled, created_at) VALUES ($1, true, CURRENT_TIMESTAMP)"
                }
                _ => {
                    "INSERT INTO organizations (name, public_api_enabled, created_at) VALUES (?, true, CURRENT_TIMESTAMP)"
                }
            },
            [name.into()],
        ))
        .await
        .expect("old organization");
    }
    drop(conn);

    let conn = db::connect_and_migrate(&url).await.expect("upgrade");
    let mut slugs: Vec<String> = entities::organization::Entity::find()
        .all(&conn)
        .await
        .expect("organizations")
        .into_iter()
        .map(|o| o.slug)
        .collect();
    assert_eq!(slugs, ["acme", "acme-2", "org", "lodz-zolc"]);
    assert!(
        slugs
            .iter()
            .all(|s| app::model::validation::org_slug(s).is_ok())
    );
    slugs.dedup();
    assert_eq!(slugs.len(), 4);
    let verify_sets = entities::api_set::Entity::find()
        .filter(entities::api_set::Column::Slug.eq("keys:verify"))
        .all(&conn)
        .await
        .expect("sets");
    assert_eq!(verify_sets.len(), 1);
    assert!(verify_sets[0].builtin);
}
