//! The unit of work every write goes through, on SQLite and PostgreSQL: a
//! change and its audit rows commit together or not at all, and a commit
//! clears the key cache exactly when it says the change touches keys.
use std::time::Duration;

use app::backend::audit::{Action, Entry};
use app::backend::entities::{api_key, audit_event, organization, sign_in_attempt, user};
use app::backend::keys::cache::KeyCache;
use app::backend::keys::format;
use app::backend::request_meta::RequestMeta;
use app::backend::services::key_check;
use app::backend::state::AppState;
use app::backend::unit_of_work::{Invalidate, Work};
use app::model::keys::KeyStatus;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, Set,
};

use crate::common::keys::new_key;
use crate::common::{app, as_admin, org};

const TARGET: &str = "organization:unit-of-work-test";

/// Renames the organization and audits it, then inserts an organization
/// with `slug`: the way a service writes, `?` and all.
async fn rename_and_add(
    state: &AppState,
    org_id: i64,
    actor: i64,
    slug: &str,
) -> Result<(), DbErr> {
    let now = state.clock.now();
    let meta = RequestMeta::default();
    let mut work = Work::begin(state).await?;
    organization::ActiveModel {
        id: Set(org_id),
        name: Set("Renamed".into()),
        ..Default::default()
    }
    .update(&work)
    .await?;
    work.audit(Entry::new(
        Action::OrganizationSlugChanged,
        org_id,
        actor,
        TARGET.into(),
        &meta,
        now,
    ));
    organization::ActiveModel {
        name: Set("Another".into()),
        slug: Set(slug.into()),
        public_api_enabled: Set(true),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&work)
    .await?;
    work.commit(Invalidate::None).await
}

#[tokio::test]
async fn a_failing_change_after_an_audit_leaves_neither_change_nor_audit_row() {
    let app = app().await;
    let o = org(&app, "ada@example.com", "Acme").await;
    let state = &app.server.state;
    let org_row = |id| organization::Entity::find_by_id(id).one(&state.db);
    let taken = org_row(o.id).await.expect("q").expect("org").slug;
    let actor = user::Entity::find()
        .filter(user::Column::Username.eq("ada@example.com"))
        .one(&state.db)
        .await
        .expect("q")
        .expect("admin")
        .id;
    let audited = || {
        audit_event::Entity::find()
            .filter(audit_event::Column::Target.eq(TARGET))
            .count(&state.db)
    };

    // The second insert clashes with the slug the organization holds.
    let failed = rename_and_add(state, o.id, actor, &taken).await;
    assert!(failed.is_err(), "{failed:?}");
    let after = org_row(o.id).await.expect("q").expect("org");
    assert_eq!(after.name, "Acme", "the rename was rolled back");
    assert_eq!(audited().await.expect("count"), 0, "so was its audit row");

    // The same work with a free slug commits both.
    rename_and_add(state, o.id, actor, "another-org")
        .await
        .expect("commits");
    let after = org_row(o.id).await.expect("q").expect("org");
    assert_eq!(after.name, "Renamed");
    assert_eq!(audited().await.expect("count"), 1);
}

#[tokio::test]
async fn only_a_commit_that_invalidates_keys_clears_a_cached_key() {
    let app = app().await;
    let o = org(&app, "ada@example.com", "Acme").await;
    let (id, key) = new_key(&mut as_admin(&app, &o), "cached").await;
    // A cache that would remember for an hour: only a clear forgets.
    let hour = Duration::from_secs(3600);
    let state = AppState {
        key_cache: KeyCache::new(hour, hour, 100),
        ..app.server.state.clone()
    };
    let presented = format::parse(&key).expect("well-formed");
    let status = || async {
        key_check::check(&state, &presented)
            .await
            .expect("check")
            .map(|(_, status)| status)
    };
    assert_eq!(status().await, Some(KeyStatus::Active));

    // Disabled by a write that claims to change no key: still answered
    // from the cache.
    let work = Work::begin(&state).await.expect("begin");
    api_key::Entity::update_many()
        .col_expr(api_key::Column::Enabled, Expr::value(false))
        .filter(api_key::Column::Id.eq(id))
        .exec(&work)
        .await
        .expect("disable");
    work.commit(Invalidate::None).await.expect("commit");
    assert_eq!(status().await, Some(KeyStatus::Active));

    // A commit that invalidates keys forgets what the cache knew.
    let work = Work::begin(&state).await.expect("begin");
    work.commit(Invalidate::Keys).await.expect("commit");
    assert_eq!(status().await, Some(KeyStatus::Disabled));
}

#[tokio::test]
async fn bookkeeping_cannot_claim_to_invalidate_keys() {
    let app = app().await;
    let db = &app.server.state.db;
    let work = Work::begin_bookkeeping(db).await.expect("begin");
    sign_in_attempt::ActiveModel {
        scope: Set("unit-of-work-test".into()),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&work)
    .await
    .expect("insert");
    assert!(work.commit(Invalidate::Keys).await.is_err());
    let kept = sign_in_attempt::Entity::find()
        .filter(sign_in_attempt::Column::Scope.eq("unit-of-work-test"))
        .count(db)
        .await
        .expect("count");
    assert_eq!(kept, 0, "refused before COMMIT: nothing was written");
}
