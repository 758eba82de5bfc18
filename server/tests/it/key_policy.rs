//! The organization's key policy (Settings → Integrations → Key policy): a
//! maximum lifetime and a required expiry that Create and Roll keep to
//! (422 otherwise), "Shorten to the policy" for the keys made before it,
//! the daily disabling of unused keys, and the banner for one's own keys
//! about to expire. Only Manage Integrations changes it; never another
//! organization's.
use std::sync::Arc;

use crate::common::api::json;
use crate::common::keys::{PAGE, new_key};
use crate::common::{
    Client, TestApp, app_with_clock, as_admin, create_bot, custom_role, org, role_id, signed_in,
};
use app::backend::clock::Clock;
use app::backend::entities::{api_key, audit_event, key_policy as policy_row};
use app::model::authz::Authority;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

async fn audited(app: &TestApp, action: &str) -> u64 {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(action))
        .count(&app.server.state.db)
        .await
        .expect("audit")
}

pub(crate) async fn key(app: &TestApp, id: i64) -> api_key::Model {
    api_key::Entity::find_by_id(id)
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("key")
}

pub(crate) async fn save(client: &mut Client<'_>, max: &str, default: &str, unused: &str) -> u16 {
    client
        .call(
            "key-policy/save",
            &[
                ("max_lifetime_days", max),
                ("default_expiry", default),
                ("disable_unused_days", unused),
            ],
        )
        .await
        .status
}

fn days_from(now: DateTime<Utc>, at: Option<DateTime<Utc>>) -> i64 {
    (at.expect("an expiry") - now).num_days()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_maximum_lifetime_bounds_create_and_roll_and_shortens_older_keys() {
    let (app, clock) = app_with_clock().await;
    let app = Arc::new(app);
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let other = org(&app, "admin@other.example", "Other").await;
    let mut admin = as_admin(&app, &acme);
    let (forever, _) = new_key(&mut admin, "Forever").await;
    let r = admin
        .call("keys/create", &[("name", "Year"), ("expires", "365")])
        .await;
    let year = json(&r)["id"].as_i64().expect("id");
    let (strangers, _) = new_key(&mut as_admin(&app, &other), "Theirs").await;

    // Bad policies: a clear problem each, nothing saved or audited.
    for (max, default, unused, problem) in [
        ("0", "never", "", "DaysOutOfRange"),
        ("3651", "never", "", "DaysOutOfRange"),
        ("ten", "never", "", "DaysOutOfRange"),
        ("", "never", "-1", "DaysOutOfRange"),
        ("30", "never", "", "BeyondPolicy"),
        ("30", "90", "", "BeyondPolicy"),
    ] {
        let r = admin
            .call(
                "key-policy/save",
                &[
                    ("max_lifetime_days", max),
                    ("default_expiry", default),
                    ("disable_unused_days", unused),
                ],
            )
            .await;
        assert_eq!(r.status, 422, "{max}/{default}/{unused}: {}", r.body);
        assert!(r.body.contains(problem), "{}", r.body);
    }
    let r = admin
        .call("key-policy/save", &[("default_expiry", "7")])
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        policy_row::Entity::find()
            .count(&app.server.state.db)
            .await
            .expect("count"),
        0
    );
    assert_eq!(audited(&app, "key_policy.changed").await, 0);

    // Thirty days at most; the same policy twice is one change.
    assert_eq!(save(&mut admin, "30", "30", "").await, 200);
    assert_eq!(save(&mut admin, " 30 ", "30", "").await, 200);
    assert_eq!(audited(&app, "key_policy.changed").await, 1);
    let page = json(&admin.call("key-policy/page", &[]).await);
    assert_eq!(page["policy"]["max_lifetime_days"], 30);
    assert_eq!(page["policy"]["expiry_required"], false, "as ticked");
    assert_eq!(page["beyond_total"], 2, "{page}");
    let names: Vec<&str> = page["beyond"]
        .as_array()
        .expect("beyond")
        .iter()
        .map(|k| k["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["Forever", "Year"]);

    // Create offers, and accepts, only what fits.
    let dialog = admin.get(&format!("{PAGE}?dialog=create")).await;
    assert!(!dialog.body.contains("<option value=\"never\""), "no Never");
    assert!(!dialog.body.contains("<option value=\"90\""), "no 90 days");
    assert!(dialog.body.contains("<option value=\"30\" selected"));
    assert!(dialog.body.contains("data-testid=\"policy-hint\""));
    let now = clock.now();
    let day = |d: i64| (now + Duration::days(d)).format("%Y-%m-%d").to_string();
    for (expires, on, problem) in [
        ("never", String::new(), "ExpiryRequired"),
        ("", String::new(), "ExpiryRequired"),
        ("90", String::new(), "BeyondPolicy"),
        // A date works through its whole day: the 30th day from now would
        // end past the thirty days.
        ("date", day(30), "BeyondPolicy"),
    ] {
        let r = admin
            .call(
                "keys/create",
                &[
                    ("name", "Too long"),
                    ("expires", expires),
                    ("expires_on", &on),
                ],
            )
            .await;
        assert_eq!(r.status, 422, "{expires} {on}: {}", r.body);
        assert!(
            r.body.contains(problem) && r.body.contains("Expires"),
            "{}",
            r.body
        );
    }
    for (expires, on) in [("30", String::new()), ("date", day(29))] {
        let r = admin
            .call(
                "keys/create",
                &[("name", "Fits"), ("expires", expires), ("expires_on", &on)],
            )
            .await;
        assert_eq!(r.status, 200, "{expires} {on}: {}", r.body);
    }
    assert_eq!(audited(&app, "key.created").await, 5, "3 before, 2 fitting");

    // Roll: keeping an expiry beyond the policy, or none, is refused; a new
    // one within it is taken, with the secret.
    let year_id = year.to_string();
    let r = admin
        .call(
            "keys/roll",
            &[("id", &year_id), ("grace_hours", "0"), ("expires", "keep")],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("BeyondPolicy"), "{}", r.body);
    let dialog = admin.get(&format!("{PAGE}?roll={forever}")).await;
    assert!(dialog.body.contains("id=\"roll-expires\""));
    assert!(!dialog.body.contains("value=\"keep\""), "nothing to keep");
    let id = forever.to_string();
    let r = admin
        .call("keys/roll", &[("id", &id), ("grace_hours", "0")])
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("ExpiryRequired"), "{}", r.body);
    let r = admin
        .call(
            "keys/roll",
            &[("id", &id), ("grace_hours", "0"), ("expires", "365")],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(audited(&app, "key.rolled").await, 0);
    let r = admin
        .call(
            "keys/roll",
            &[("id", &id), ("grace_hours", "0"), ("expires", "30")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(days_from(now, key(&app, forever).await.expires_at), 30);
    // Now within the policy, a roll may keep it.
    let dialog = admin.get(&format!("{PAGE}?roll={forever}")).await;
    assert!(dialog.body.contains("value=\"keep\""), "its expiry fits");
    let r = admin
        .call(
            "keys/roll",
            &[("id", &id), ("grace_hours", "0"), ("expires", "keep")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // Shorten to the policy, fifty times at once: the one key beyond it
    // is shortened and audited once; the stranger's key is not touched.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let app = app.clone();
        let (cookie, jar) = (admin.cookie.clone(), admin.jar.clone());
        tasks.spawn(async move {
            let mut client = Client::new(&app);
            client.cookie = cookie;
            client.jar = jar;
            client.call("key-policy/shorten", &[]).await
        });
    }
    let answers = tasks.join_all().await;
    for r in &answers {
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let shortened: u64 = answers
        .iter()
        .map(|r| r.body.parse::<u64>().expect("n"))
        .sum();
    assert_eq!(shortened, 1);
    assert_eq!(audited(&app, "key.expiry_shortened").await, 1);
    assert_eq!(days_from(clock.now(), key(&app, year).await.expires_at), 30);
    assert_eq!(key(&app, strangers).await.expires_at, None);
    let page = json(&admin.call("key-policy/page", &[]).await);
    assert_eq!(page["beyond_total"], 0);

    // The stranger's organization has no policy: Never is still theirs.
    let mut stranger = as_admin(&app, &other);
    let theirs = json(&stranger.call("key-policy/page", &[]).await);
    assert_eq!(
        theirs["policy"]["max_lifetime_days"],
        serde_json::Value::Null
    );
    new_key(&mut stranger, "Still forever").await;
}

#[tokio::test]
async fn only_manage_integrations_changes_the_policy_of_its_own_organization() {
    let (app, _clock) = app_with_clock().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let other = org(&app, "admin@other.example", "Other").await;
    new_key(&mut as_admin(&app, &acme), "Forever").await;
    assert_eq!(save(&mut as_admin(&app, &acme), "90", "90", "").await, 200);

    // A Developer sees the policy, not the keys beyond it, and changes nothing.
    create_bot(&app, &acme, "dev-bot", role_id(&acme, "Developer")).await;
    let mut dev = signed_in(&app, "dev-bot").await;
    let page = json(&dev.call("key-policy/page", &[]).await);
    assert_eq!(page["policy"]["max_lifetime_days"], 90);
    assert_eq!(page["may_change"], false);
    assert_eq!(page["beyond"], serde_json::json!([]));
    assert_eq!(save(&mut dev, "", "never", "").await, 403);
    assert_eq!(dev.call("key-policy/shorten", &[]).await.status, 403);
    let html = dev.get("/settings/integrations/key-policy").await;
    assert!(html.body.contains("Only users with Manage Integrations"));

    // A delegated admin holding exactly Manage Integrations may.
    let role = custom_role(
        &app,
        &acme,
        "Integrations",
        &[Authority::ManageIntegrations],
    )
    .await;
    create_bot(&app, &acme, "integrator", role).await;
    let mut integrator = signed_in(&app, "integrator").await;
    assert_eq!(save(&mut integrator, "90", "date", "").await, 200);
    // Others' keys beyond it are counted, not named, and not theirs to
    // shorten without Manage All API Keys.
    let page = json(&integrator.call("key-policy/page", &[]).await);
    assert_eq!(page["beyond_total"], 1);
    assert_eq!(page["beyond"], serde_json::json!([]));
    assert_eq!(page["may_shorten"], false);
    assert_eq!(integrator.call("key-policy/shorten", &[]).await.status, 403);
    let role = custom_role(
        &app,
        &acme,
        "Integrations and keys",
        &[Authority::ManageIntegrations, Authority::ManageAllApiKeys],
    )
    .await;
    create_bot(&app, &acme, "key-keeper", role).await;
    let mut keeper = signed_in(&app, "key-keeper").await;
    let page = json(&keeper.call("key-policy/page", &[]).await);
    assert_eq!(page["beyond"][0]["owner"], "admin@acme.example");
    assert_eq!(keeper.call("key-policy/shorten", &[]).await.body, "1");
    assert_eq!(save(&mut integrator, "", "never", "60").await, 200);

    // A stranger's Admin changes only their own organization's; a week at
    // most starts Create on a date.
    let mut stranger = as_admin(&app, &other);
    assert_eq!(save(&mut stranger, "7", "never", "").await, 422);
    assert_eq!(save(&mut stranger, "7", "date", "").await, 200);
    assert_eq!(save(&mut stranger, "", "365", "").await, 200);
    let acme_policy = policy_row::Entity::find_by_id(acme.id)
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("row");
    assert_eq!(acme_policy.max_lifetime_days, None);
    assert_eq!(acme_policy.disable_unused_days, Some(60));
    assert_eq!(audited(&app, "key_policy.changed").await, 5);
}

#[tokio::test]
async fn every_key_must_expire_refuses_never_until_unticked() {
    let (app, _clock) = app_with_clock().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    new_key(&mut admin, "Old, forever").await;
    let tick = [
        ("max_lifetime_days", ""),
        ("expiry_required", "true"),
        ("default_expiry", "90"),
        ("disable_unused_days", ""),
    ];
    assert_eq!(admin.call("key-policy/save", &tick).await.status, 200);
    let page = json(&admin.call("key-policy/page", &[]).await);
    assert_eq!(page["policy"]["expiry_required"], true);
    assert_eq!(page["beyond_total"], 1, "the old key never expires");
    assert_eq!(
        admin.call("key-policy/shorten", &[]).await.body,
        "0",
        "no maximum to shorten to"
    );
    let r = admin
        .call("keys/create", &[("name", "Forever"), ("expires", "never")])
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("ExpiryRequired"), "{}", r.body);
    let dialog = admin.get(&format!("{PAGE}?dialog=create")).await;
    assert!(!dialog.body.contains("<option value=\"never\""));
    assert!(dialog.body.contains("<option value=\"90\" selected"));
    assert!(dialog.body.contains("<option value=\"365\""));
    // Unticked (a checkbox sends nothing): Never is back.
    assert_eq!(save(&mut admin, "", "never", "").await, 200);
    let page = json(&admin.call("key-policy/page", &[]).await);
    assert_eq!(page["policy"]["expiry_required"], false);
    new_key(&mut admin, "Forever").await;
}
