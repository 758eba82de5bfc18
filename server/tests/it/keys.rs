//! API keys over the real router, on SQLite and PostgreSQL: creation, the
//! status rules end to end, the double-submitted form, and the secret never
//! stored, logged or shown twice. What is refused: keys_refused.rs. Who may
//! see and act: keys_access.rs.

use crate::common::keys::{PAGE, create, key_count, new_key, status_of};
use crate::common::logs::Capture;
use crate::common::{app, app_with_clock, as_admin, create_bot, org, role_id, signed_in};
use app::backend::entities::{api_key, api_key_secret, audit_event, membership};
use app::backend::keys::format;
use app::model::keys::KeyStatus;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

#[tokio::test]
async fn a_created_key_is_shown_once_stored_hashed_and_audited() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let r = create(
        &mut admin,
        &[
            ("name", "Integration with CRM"),
            ("description", "Syncs contacts"),
            ("expires", "90"),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let json: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    let key = json["key"].as_str().expect("key").to_owned();
    assert!(format::parse(&key).is_ok());
    assert_eq!(json["organization"], "Acme");

    let secret = api_key_secret::Entity::find()
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("secret");
    assert_eq!(secret.secret_hash, format::hash(&key));
    assert_eq!(secret.visible_start, &key[..7]);

    // Never again: not in the list, not in the details, not in the audit.
    let list = admin.call("keys/list", &[]).await;
    assert!(list.body.contains("Integration with CRM"));
    assert!(list.body.contains(&key[..7]));
    assert!(!list.body.contains(&key[7..]));
    let id = json["id"].as_i64().expect("id").to_string();
    let details = admin.call("keys/details", &[("id", &id)]).await;
    assert_eq!(details.status, 200, "{}", details.body);
    assert!(!details.body.contains(&key[7..]));
    let page = admin.get(PAGE).await;
    assert!(page.body.contains("Integration with CRM"));
    assert!(!page.body.contains(&key[7..]));
    let audit = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("key.created"))
        .all(&app.server.state.db)
        .await
        .expect("audit");
    assert_eq!(audit.len(), 1);
    assert!(!format!("{audit:?}").contains(&key[7..]));
    assert_eq!(status_of(&app, &key).await, Some(KeyStatus::Active));
}

#[tokio::test]
async fn status_rules_end_to_end() {
    let (app, clock) = app_with_clock().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    create_bot(&app, &acme, "dev-bot", role_id(&acme, "Developer")).await;
    let mut admin = as_admin(&app, &acme);
    let mut dev = signed_in(&app, "dev-bot").await;
    let (id, key) = new_key(&mut dev, "Dev key").await;
    let id = id.to_string();
    assert_eq!(status_of(&app, &key).await, Some(KeyStatus::Active));

    // Disabled by its owner, then enabled again.
    let r = dev
        .call("keys/set-enabled", &[("id", &id), ("enabled", "false")])
        .await;
    assert!(r.status < 400, "{}", r.body);
    assert_eq!(status_of(&app, &key).await, Some(KeyStatus::Disabled));
    dev.call("keys/set-enabled", &[("id", &id), ("enabled", "true")])
        .await;
    assert_eq!(status_of(&app, &key).await, Some(KeyStatus::Active));

    // The organization's Public API switched off, and on.
    let r = admin
        .call("integrations/set-public-api", &[("enabled", "false")])
        .await;
    assert!(r.status < 400, "{}", r.body);
    assert_eq!(status_of(&app, &key).await, Some(KeyStatus::PublicApiOff));
    admin
        .call("integrations/set-public-api", &[("enabled", "true")])
        .await;
    assert_eq!(status_of(&app, &key).await, Some(KeyStatus::Active));

    // The owner deactivated in the organization, and activated.
    let r = admin
        .call(
            "users/set-status",
            &[("username", "dev-bot"), ("active", "false")],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    assert_eq!(status_of(&app, &key).await, Some(KeyStatus::OwnerInactive));
    let list = admin.call("keys/list", &[("filter[scope]", "all")]).await;
    assert!(list.body.contains("OwnerInactive"), "{}", list.body);
    admin
        .call(
            "users/set-status",
            &[("username", "dev-bot"), ("active", "true")],
        )
        .await;
    assert_eq!(status_of(&app, &key).await, Some(KeyStatus::Active));

    // Rolled with a one-hour grace period: both secrets work, then only
    // the new one.
    let mut dev = signed_in(&app, "dev-bot").await;
    let r = dev
        .call("keys/roll", &[("id", &id), ("grace_hours", "1")])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let rolled: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    let new_key = rolled["key"].as_str().expect("key").to_owned();
    assert_ne!(new_key, key);
    assert_eq!(status_of(&app, &key).await, Some(KeyStatus::Active));
    assert_eq!(status_of(&app, &new_key).await, Some(KeyStatus::Active));
    clock.advance(chrono::Duration::minutes(61));
    assert_eq!(status_of(&app, &key).await, Some(KeyStatus::Expired));
    assert_eq!(status_of(&app, &new_key).await, Some(KeyStatus::Active));

    // A key that expires in 30 days.
    let mut dev = signed_in(&app, "dev-bot").await;
    let r = create(&mut dev, &[("name", "Short"), ("expires", "30")]).await;
    let short: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    let short = short["key"].as_str().expect("key").to_owned();
    assert_eq!(status_of(&app, &short).await, Some(KeyStatus::Active));
    clock.advance(chrono::Duration::days(24));
    let mut dev = signed_in(&app, "dev-bot").await;
    let list = dev.call("keys/list", &[]).await;
    assert!(
        list.body.contains("\"expiring_soon\":true"),
        "{}",
        list.body
    );
    clock.advance(chrono::Duration::days(6));
    assert_eq!(status_of(&app, &short).await, Some(KeyStatus::Expired));

    // The owner's membership removed: the key stops.
    let dev_id = app::backend::entities::user::Entity::find()
        .filter(app::backend::entities::user::Column::Username.eq("dev-bot"))
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("dev")
        .id;
    membership::Entity::delete_by_id((dev_id, acme.id))
        .exec(&app.server.state.db)
        .await
        .expect("delete membership");
    // Behind the app's back: nothing told the key cache.
    app.server.state.key_cache.clear();
    assert_eq!(
        status_of(&app, &new_key).await,
        Some(KeyStatus::OwnerInactive)
    );

    // Deleted: unknown.
    let mut admin = signed_in(&app, "admin@acme.example").await;
    let r = admin.call("keys/delete", &[("id", &id)]).await;
    assert!(r.status < 400, "{}", r.body);
    assert_eq!(status_of(&app, &new_key).await, None);
    let actions: Vec<String> = audit_event::Entity::find()
        .all(&app.server.state.db)
        .await
        .expect("audit")
        .into_iter()
        .map(|a| a.action)
        .collect();
    for action in [
        "key.created",
        "key.disabled",
        "key.enabled",
        "key.rolled",
        "key.deleted",
        "public_api.disabled",
        "public_api.enabled",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action} audited");
    }
}

#[tokio::test]
async fn a_double_submitted_form_makes_one_key() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let form = admin.call("keys/new-form", &[]).await;
    let token: serde_json::Value = serde_json::from_str(&form.body).expect("json");
    let token = token["request_token"].as_str().expect("token").to_owned();
    let fields = [("name", "Once"), ("request_token", token.as_str())];
    let first = create(&mut admin, &fields).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let second = create(&mut admin, &fields).await;
    assert_eq!(second.status, 409, "{}", second.body);
    assert!(second.body.contains("already_created"));
    assert!(!second.body.contains("kh_"));
    assert_eq!(key_count(&app).await, 1);
}

/// The secret appears 0 times in the logs (at the most verbose level) and
/// 0 times in the database: every table's rows, and the SQLite files.
#[tokio::test]
async fn the_secret_is_never_logged_nor_stored() {
    // Tests share the process: a scoped subscriber would miss call sites
    // other tests reached first (see `common::logs`).
    let captured = Capture::start();

    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let (id, key) = new_key(&mut admin, "Logged?").await;
    let id = id.to_string();
    let r = admin
        .call("keys/roll", &[("id", &id), ("grace_hours", "24")])
        .await;
    let rolled: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    let rolled = rolled["key"].as_str().expect("key").to_owned();
    admin
        .call("keys/set-enabled", &[("id", &id), ("enabled", "false")])
        .await;
    admin.call("keys/list", &[]).await;
    admin.call("keys/details", &[("id", &id)]).await;
    admin.get(PAGE).await;
    status_of(&app, &key).await;

    let logs = captured.text();
    assert!(!logs.is_empty(), "the capture works");
    let db = &app.server.state.db;
    let rows = format!(
        "{:?}{:?}{:?}{:?}",
        api_key::Entity::find().all(db).await,
        api_key_secret::Entity::find().all(db).await,
        audit_event::Entity::find().all(db).await,
        app::backend::entities::session::Entity::find()
            .all(db)
            .await,
    );
    for secret in [&key, &rolled] {
        let random_part = &secret[7..];
        assert_eq!(logs.matches(random_part).count(), 0, "in the logs");
        assert_eq!(rows.matches(random_part).count(), 0, "in the rows");
    }
    if let Some(path) = app.config.database_url.strip_prefix("sqlite://") {
        let _ =
            sea_orm::ConnectionTrait::execute_unprepared(db, "PRAGMA wal_checkpoint(FULL)").await;
        for file in [path.to_owned(), format!("{path}-wal")] {
            if let Ok(bytes) = std::fs::read(&file) {
                let text = String::from_utf8_lossy(&bytes);
                for secret in [&key, &rolled] {
                    assert_eq!(text.matches(&secret[7..]).count(), 0, "in {file}");
                }
            }
        }
    }
}
