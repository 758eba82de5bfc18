//! Bulk actions of the key list: the ticked keys disabled, enabled or
//! deleted after ONE confirmation naming how many and which, in one
//! transaction (all or nothing), one audit row per key; the same request
//! fifty times at once changes and audits each key once.
use std::sync::Arc;

use crate::common::keys::{PAGE, new_key, status_of};
use crate::common::{
    Client, TestApp, TestResponse, as_admin, create_bot, custom_role, org, role_id, signed_in,
};
use app::backend::entities::{api_key, audit_event};
use app::model::authz::Authority;
use app::model::keys::KeyStatus;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

async fn bulk(client: &mut Client<'_>, action: &str, ids: &[i64]) -> TestResponse {
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let mut form = vec![("action", action)];
    form.extend(ids.iter().map(|id| ("ids[]", id.as_str())));
    client.call("keys/bulk", &form).await
}

async fn audited(app: &TestApp, action: &str) -> u64 {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(action))
        .count(&app.server.state.db)
        .await
        .expect("audit")
}

async fn exists(app: &TestApp, id: i64) -> bool {
    api_key::Entity::find_by_id(id)
        .one(&app.server.state.db)
        .await
        .expect("q")
        .is_some()
}

#[tokio::test]
async fn ticked_keys_change_together_after_one_confirmation() {
    let app = crate::common::app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let other = org(&app, "admin@other.example", "Other").await;
    let mut admin = as_admin(&app, &acme);
    let (a, key_a) = new_key(&mut admin, "Alpha").await;
    let (b, key_b) = new_key(&mut admin, "Bravo").await;
    let (c, key_c) = new_key(&mut admin, "Charlie").await;
    let (theirs, _) = new_key(&mut as_admin(&app, &other), "Theirs").await;

    // The list: a checkbox per row, named, in the Selected keys form.
    let list = admin.get(PAGE).await;
    assert!(
        list.body.contains("<form id=\"bulk-keys\" method=\"get\""),
        "bulk form"
    );
    assert!(list.body.contains(&format!(
        "name=\"ids[]\" value=\"{a}\" form=\"bulk-keys\" aria-label=\"Select Alpha\""
    )));
    // The one confirmation names how many and which.
    let confirm = admin
        .get(&format!(
            "{PAGE}?bulk=disable&ids%5B%5D={a}&ids%5B%5D={b}&ids%5B%5D={theirs}"
        ))
        .await;
    assert!(
        confirm.body.contains("Disable the selected API keys (2)?"),
        "{}",
        confirm.body
    );
    let listed = confirm
        .body
        .split("data-testid=\"bulk-keys\"")
        .nth(1)
        .expect("list");
    let listed = listed.split("</ul>").next().expect("end");
    assert!(listed.contains("Alpha") && listed.contains("Bravo"));
    assert!(!listed.contains("Charlie") && !listed.contains("Theirs"));
    let none = admin.get(&format!("{PAGE}?bulk=disable")).await;
    assert!(
        none.body
            .contains("Tick at least one key in the list first.")
    );

    let r = bulk(&mut admin, "disable", &[a, b]).await;
    assert_eq!((r.status, r.body.as_str()), (200, "2"));
    assert_eq!(status_of(&app, &key_a).await, Some(KeyStatus::Disabled));
    assert_eq!(status_of(&app, &key_b).await, Some(KeyStatus::Disabled));
    assert_eq!(status_of(&app, &key_c).await, Some(KeyStatus::Active));
    assert_eq!(audited(&app, "key.disabled").await, 2);

    // All or nothing: a stranger's key among them changes none.
    let r = bulk(&mut admin, "enable", &[a, b, theirs]).await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(status_of(&app, &key_a).await, Some(KeyStatus::Disabled));
    let r = bulk(&mut admin, "enable", &[a, b]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(status_of(&app, &key_a).await, Some(KeyStatus::Active));
    assert_eq!(audited(&app, "key.enabled").await, 2);

    let r = bulk(&mut admin, "delete", &[a, c]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(!exists(&app, a).await && !exists(&app, c).await && exists(&app, b).await);
    assert_eq!(audited(&app, "key.deleted").await, 2);
    assert!(exists(&app, theirs).await);

    // Bad requests change nothing.
    assert_eq!(bulk(&mut admin, "disable", &[]).await.status, 400);
    let many: Vec<i64> = (1..=101).collect();
    assert_eq!(bulk(&mut admin, "disable", &many).await.status, 400);
    assert_eq!(bulk(&mut admin, "explode", &[b]).await.status, 400);
    assert_eq!(status_of(&app, &key_b).await, Some(KeyStatus::Active));
}

#[tokio::test]
async fn each_key_needs_the_authority_its_action_needs() {
    let app = crate::common::app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let (a, key_a) = new_key(&mut admin, "Admin's").await;
    create_bot(&app, &acme, "dev-bot", role_id(&acme, "Developer")).await;
    let keeper_role = custom_role(&app, &acme, "Key keeper", &[Authority::ManageAllApiKeys]).await;
    create_bot(&app, &acme, "keeper-bot", keeper_role).await;
    let mut dev = signed_in(&app, "dev-bot").await;
    let (own, key_own) = new_key(&mut dev, "Dev's").await;

    // A Developer's own key yes, the Admin's not found: nothing changes.
    assert_eq!(bulk(&mut dev, "disable", &[own, a]).await.status, 404);
    assert_eq!(status_of(&app, &key_own).await, Some(KeyStatus::Active));
    assert_eq!(bulk(&mut dev, "disable", &[own]).await.status, 200);
    // The delegated admin with exactly Manage All API Keys: anyone's.
    let mut keeper = signed_in(&app, "keeper-bot").await;
    assert_eq!(bulk(&mut keeper, "disable", &[a]).await.status, 200);
    assert_eq!(bulk(&mut keeper, "enable", &[a, own]).await.status, 200);
    assert_eq!(status_of(&app, &key_a).await, Some(KeyStatus::Active));
    assert_eq!(status_of(&app, &key_own).await, Some(KeyStatus::Active));

    // A key reported as leaked among them: none is enabled until it is
    // rolled.
    assert_eq!(bulk(&mut keeper, "disable", &[a, own]).await.status, 200);
    api_key::Entity::update_many()
        .col_expr(
            api_key::Column::LeakedAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now()),
        )
        .filter(api_key::Column::Id.eq(a))
        .exec(&app.server.state.db)
        .await
        .expect("mark");
    app.server.state.key_cache.clear();
    let r = bulk(&mut keeper, "enable", &[a, own]).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("key_leaked"), "{}", r.body);
    assert_eq!(status_of(&app, &key_own).await, Some(KeyStatus::Disabled));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_bulk_request_fifty_times_at_once_changes_each_key_once() {
    let app = Arc::new(crate::common::app().await);
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let mut ids = Vec::new();
    for name in ["One", "Two", "Three"] {
        ids.push(new_key(&mut admin, name).await.0);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (app, ids) = (app.clone(), ids.clone());
        let (cookie, jar) = (admin.cookie.clone(), admin.jar.clone());
        tasks.spawn(async move {
            let mut client = Client::new(&app);
            client.cookie = cookie;
            client.jar = jar;
            bulk(&mut client, "delete", &ids).await
        });
    }
    // The first deletes the three; the others find them gone (404) or, on
    // PostgreSQL, read them before that commit and then delete nothing.
    let answers = tasks.join_all().await;
    assert!(answers.iter().all(|r| r.status == 200 || r.status == 404));
    let changed: u64 = answers
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| r.body.parse::<u64>().expect("count"))
        .sum();
    assert_eq!(changed, 3, "each key deleted by exactly one request");
    assert_eq!(audited(&app, "key.deleted").await, 3);
    for id in ids {
        assert!(!exists(&app, id).await);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_single_disable_fifty_times_at_once_is_audited_once() {
    let app = Arc::new(crate::common::app().await);
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let (id, key) = new_key(&mut admin, "Once").await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let app = app.clone();
        let (cookie, jar) = (admin.cookie.clone(), admin.jar.clone());
        tasks.spawn(async move {
            let mut client = Client::new(&app);
            client.cookie = cookie;
            client.jar = jar;
            let id = id.to_string();
            client
                .call("keys/set-enabled", &[("id", &id), ("enabled", "false")])
                .await
                .status
        });
    }
    assert!(tasks.join_all().await.iter().all(|s| *s == 200));
    assert_eq!(status_of(&app, &key).await, Some(KeyStatus::Disabled));
    assert_eq!(audited(&app, "key.disabled").await, 1);
}
