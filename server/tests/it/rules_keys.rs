//! At most `max_keys_per_user` active keys per user and organization,
//! tested on the services themselves (no router), on SQLite and PostgreSQL;
//! see `rules.rs`.

use crate::rules::{audited, bot, builtin_role, meta, register};
use app::backend::entities::{api_key, api_key_secret};
use app::backend::keys::handover::Delivery;
use app::backend::services::api_keys;
use app::backend::state::AppState;
use app::model::authz::BuiltinRole;
use app::model::error::{AppError, Conflict};
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::common::app_configured;

fn new_key(name: &str, expires: &str) -> api_keys::NewKey {
    api_keys::NewKey {
        name: name.into(),
        description: String::new(),
        api_sets: Vec::new(),
        expires: expires.into(),
        expires_on: String::new(),
        request_token: String::new(),
    }
}

async fn key_rows(state: &AppState) -> (u64, u64, u64) {
    (
        api_key::Entity::find()
            .count(&state.db)
            .await
            .expect("keys"),
        api_key_secret::Entity::find()
            .count(&state.db)
            .await
            .expect("secrets"),
        audited(state, "key.created").await,
    )
}

#[tokio::test]
async fn nobody_passes_the_per_user_key_limit() {
    const LIMIT: u32 = 3;
    let (app, clock) = app_configured(|c| c.max_keys_per_user = LIMIT).await;
    let limit = u64::from(LIMIT);
    let state = &app.server.state;
    assert_eq!(
        state.settings.max_keys_per_user, limit,
        "the config is used"
    );
    let admin = register(state, "admin@acme.example", "Acme").await;
    let org = admin.organization.id;

    let mut ids = Vec::new();
    for i in 0..limit {
        let key = api_keys::create(
            state,
            &admin,
            new_key(&format!("key {i}"), "never"),
            &meta(),
            Delivery::Answer,
        )
        .await
        .expect("within the limit");
        ids.push(key.key.id);
    }
    assert_eq!(key_rows(state).await, (limit, limit, limit));
    assert_eq!(
        api_keys::create(
            state,
            &admin,
            new_key("one too many", "never"),
            &meta(),
            Delivery::Answer
        )
        .await
        .map(|k| k.key.id),
        Err(AppError::Conflict(Conflict::TooManyKeys))
    );
    assert_eq!(
        key_rows(state).await,
        (limit, limit, limit),
        "no key, secret or audit row left behind"
    );

    // The limit is per user: another member of the organization has their own.
    let developer = builtin_role(state, org, BuiltinRole::Developer).await;
    let dev = bot(state, &admin, "dev-bot", developer).await;
    api_keys::create(
        state,
        &dev,
        new_key("dev's own", "never"),
        &meta(),
        Delivery::Answer,
    )
    .await
    .expect("another user's limit");

    // A disabled key does not count; re-enabling it over the limit is refused.
    api_keys::set_enabled(state, &admin, ids[0], false, &meta())
        .await
        .expect("disabled");
    api_keys::create(
        state,
        &admin,
        new_key("in its place", "never"),
        &meta(),
        Delivery::Answer,
    )
    .await
    .expect("room for one");
    let before = key_rows(state).await;
    assert_eq!(
        api_keys::set_enabled(state, &admin, ids[0], true, &meta()).await,
        Err(AppError::Conflict(Conflict::TooManyKeys))
    );
    let first = api_key::Entity::find_by_id(ids[0])
        .one(&state.db)
        .await
        .expect("q")
        .expect("key");
    assert!(!first.enabled, "still disabled");
    assert_eq!(key_rows(state).await, before);
    assert_eq!(audited(state, "key.enabled").await, 0);

    // An expired key does not count either.
    for name in ["short 1", "short 2"] {
        api_keys::create(state, &dev, new_key(name, "30"), &meta(), Delivery::Answer)
            .await
            .expect("within dev's limit");
    }
    assert_eq!(
        api_keys::create(
            state,
            &dev,
            new_key("fourth", "never"),
            &meta(),
            Delivery::Answer
        )
        .await
        .map(|k| k.key.id),
        Err(AppError::Conflict(Conflict::TooManyKeys))
    );
    clock.advance(chrono::Duration::days(31));
    api_keys::create(
        state,
        &dev,
        new_key("fourth", "never"),
        &meta(),
        Delivery::Answer,
    )
    .await
    .expect("the expired keys left room");
}
