//! Keys that outlive their owner: a deactivated member's keys (Owner
//! inactive) move, same secrets, to an active member holding Manage User
//! API Key, and work again at once; only with Manage All API Keys, never
//! from or to another organization's member, once each however many
//! requests come at once.
use std::sync::Arc;

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::common::api::{call, json};
use crate::common::keys::new_key;
use crate::common::{Client, TestApp, as_admin, create_bot, custom_role, org, role_id, signed_in};
use app::backend::entities::{api_key, audit_event};
use app::model::authz::Authority;

async fn deactivate(admin: &mut Client<'_>, username: &str) {
    let form = [("username", username), ("active", "false")];
    assert_eq!(admin.call("users/set-status", &form).await.status, 200);
}

async fn transferred(app: &TestApp) -> u64 {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("key.transferred"))
        .count(&app.server.state.db)
        .await
        .expect("count")
}

async fn me(app: &TestApp, key: &str) -> u16 {
    call(app, "GET", "/api/v1/me", Some(key), &[], None)
        .await
        .status
}

#[tokio::test]
async fn a_departed_members_keys_work_again_under_the_new_owner() {
    let app = crate::common::app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let developer = role_id(&acme, "Developer");
    create_bot(&app, &acme, "leaver", developer).await;
    create_bot(&app, &acme, "keeper", developer).await;
    create_bot(&app, &acme, "member-bot", role_id(&acme, "Member")).await;
    let (id, key) = new_key(&mut signed_in(&app, "leaver").await, "Nightly sync").await;
    assert_eq!(me(&app, &key).await, 200);

    // Still active: nothing to hand on.
    let form = json(
        &admin
            .call("keys/transfer-form", &[("username", "leaver")])
            .await,
    );
    assert_eq!(form, serde_json::Value::Null);
    let r = admin
        .call("keys/transfer", &[("from", "leaver"), ("to", "keeper")])
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("owner_active"));

    deactivate(&mut admin, "leaver").await;
    assert_eq!(me(&app, &key).await, 401, "Owner inactive");
    let form = json(
        &admin
            .call("keys/transfer-form", &[("username", "leaver")])
            .await,
    );
    assert_eq!(form["keys"], 1);
    let targets: Vec<&str> = form["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .map(|t| t["username"].as_str().expect("username"))
        .collect();
    assert_eq!(
        targets,
        ["keeper"],
        "active, holding no more than the leaver did (not the Admin: the key would act as one)"
    );
    let page = admin.get("/admin/users/leaver").await;
    assert!(page.body.contains("transfer-title") && page.body.contains("Transfer to…"));

    for to in ["member-bot", "nobody", "leaver", "admin@acme.example"] {
        let r = admin
            .call("keys/transfer", &[("from", "leaver"), ("to", to)])
            .await;
        assert_eq!(r.status, 422, "{to}: {}", r.body);
        assert!(r.body.contains("CannotHoldKeys"), "{}", r.body);
    }
    assert_eq!(transferred(&app).await, 0);

    let r = admin
        .call("keys/transfer", &[("from", "leaver"), ("to", "keeper")])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body, "1");
    assert_eq!(me(&app, &key).await, 200, "the same secret works at once");
    let moved = api_key::Entity::find_by_id(id)
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("key");
    let keeper = crate::common::grants::user_id(&app, "keeper").await;
    assert_eq!(moved.user_id, keeper);
    assert_eq!(transferred(&app).await, 1);
    let form = json(
        &admin
            .call("keys/transfer-form", &[("username", "leaver")])
            .await,
    );
    assert_eq!(form, serde_json::Value::Null, "nothing left to hand on");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn only_manage_all_api_keys_transfers_once_and_never_across_organizations() {
    let app = Arc::new(crate::common::app().await);
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let other = org(&app, "admin@other.example", "Other").await;
    let mut admin = as_admin(&app, &acme);
    let developer = role_id(&acme, "Developer");
    create_bot(&app, &acme, "leaver", developer).await;
    create_bot(&app, &acme, "keeper", developer).await;
    create_bot(&app, &other, "theirs", role_id(&other, "Developer")).await;
    let mut leaver = signed_in(&app, "leaver").await;
    for name in ["One", "Two", "Three"] {
        new_key(&mut leaver, name).await;
    }
    deactivate(&mut admin, "leaver").await;

    let transfer = [("from", "leaver"), ("to", "keeper")];
    let mut keeper = signed_in(&app, "keeper").await;
    assert_eq!(keeper.call("keys/transfer", &transfer).await.status, 403);
    let mut stranger = as_admin(&app, &other);
    assert_eq!(stranger.call("keys/transfer", &transfer).await.status, 404);
    let to_theirs = [("from", "leaver"), ("to", "theirs")];
    let r = admin.call("keys/transfer", &to_theirs).await;
    assert_eq!(r.status, 422, "another organization's member: {}", r.body);
    assert_eq!(transferred(&app).await, 0);

    // A delegated admin holding exactly Manage All API Keys, fifty times
    // at once: each key moves once.
    let role = custom_role(&app, &acme, "Keys", &[Authority::ManageAllApiKeys]).await;
    create_bot(&app, &acme, "key-admin", role).await;
    let delegated = signed_in(&app, "key-admin").await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let app = app.clone();
        let (cookie, jar) = (delegated.cookie.clone(), delegated.jar.clone());
        tasks.spawn(async move {
            let mut client = Client::new(&app);
            client.cookie = cookie;
            client.jar = jar;
            client
                .call("keys/transfer", &[("from", "leaver"), ("to", "keeper")])
                .await
        });
    }
    let answers = tasks.join_all().await;
    assert!(answers.iter().all(|r| r.status == 200), "all answered");
    let moved: u64 = answers
        .iter()
        .map(|r| r.body.parse::<u64>().expect("n"))
        .sum();
    assert_eq!(moved, 3);
    assert_eq!(transferred(&app).await, 3);
}

#[tokio::test]
async fn a_transfer_past_the_receivers_key_limit_moves_nothing() {
    let (app, _clock) = crate::common::app_configured(|c| c.max_keys_per_user = 2).await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let developer = role_id(&acme, "Developer");
    create_bot(&app, &acme, "leaver", developer).await;
    create_bot(&app, &acme, "keeper", developer).await;
    let mut leaver = signed_in(&app, "leaver").await;
    let (_, key) = new_key(&mut leaver, "One").await;
    new_key(&mut leaver, "Two").await;
    new_key(&mut signed_in(&app, "keeper").await, "Own").await;
    deactivate(&mut admin, "leaver").await;
    let r = admin
        .call("keys/transfer", &[("from", "leaver"), ("to", "keeper")])
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("too_many_keys"), "{}", r.body);
    assert_eq!(transferred(&app).await, 0, "nothing moved");
    assert_eq!(me(&app, &key).await, 401, "still the leaver's");
}
