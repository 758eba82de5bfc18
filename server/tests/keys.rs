//! API keys over the real router, on SQLite and PostgreSQL: the status rules
//! end to end, bad input, another organization's keys, the double-submitted
//! form, the no-JavaScript hand-over, and the secret never stored, logged or
//! shown twice.
mod common;

use std::sync::{Arc, Mutex};

use app::backend::entities::{
    api_key, api_key_api_set, api_key_secret, api_set, audit_event, membership,
};
use app::backend::keys::format;
use app::backend::services::key_check;
use app::server_fns::keys_dto::KeyStatus;
use common::{Client, TestApp, app, app_with_clock, as_admin, create_bot, org, role_id, signed_in};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

const PAGE: &str = "/settings/integrations/public-api";

async fn create(client: &mut Client<'_>, form: &[(&str, &str)]) -> common::TestResponse {
    client.call("keys/create", form).await
}

/// Creates a key named `name`; returns (id, the key in plain text).
async fn new_key(client: &mut Client<'_>, name: &str) -> (i64, String) {
    let r = create(client, &[("name", name), ("expires", "never")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let json: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    (
        json["id"].as_i64().expect("id"),
        json["key"].as_str().expect("key").to_owned(),
    )
}

async fn status_of(app: &TestApp, key: &str) -> Option<KeyStatus> {
    let parsed = format::parse(key).expect("well-formed");
    key_check::check(&app.server.state, &parsed)
        .await
        .expect("check")
        .map(|(_, status)| status)
}

async fn key_count(app: &TestApp) -> u64 {
    api_key::Entity::find()
        .count(&app.server.state.db)
        .await
        .expect("count")
}

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
async fn bad_input_is_refused_and_stores_nothing() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let other = org(&app, "admin@other.example", "Other").await;
    let mut theirs = as_admin(&app, &other);
    theirs
        .call(
            "integrations/create-api-set",
            &[("slug", "their-service"), ("name", "Theirs")],
        )
        .await;
    let their_set = api_set::Entity::find()
        .filter(api_set::Column::OrganizationId.eq(other.id))
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("set")
        .id
        .to_string();
    let mut admin = as_admin(&app, &acme);
    let long = "x".repeat(101);
    let long_description = "y".repeat(501);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("name", "")], "Required"),
        (vec![("name", "   ")], "Required"),
        (vec![("name", &long)], "TooLong"),
        (vec![("name", "bell\u{7}")], "ControlCharacters"),
        (
            vec![("name", "ok"), ("description", &long_description)],
            "TooLong",
        ),
        (
            vec![
                ("name", "ok"),
                ("expires", "date"),
                ("expires_on", "2001-01-01"),
            ],
            "ExpiryInPast",
        ),
        (
            vec![
                ("name", "ok"),
                ("expires", "date"),
                ("expires_on", "tomorrow"),
            ],
            "InvalidDate",
        ),
        (vec![("name", "ok"), ("expires", "forever")], "InvalidDate"),
        (
            vec![("name", "ok"), ("api_sets[]", "999999")],
            "UnknownApiSet",
        ),
        (
            vec![("name", "ok"), ("api_sets[]", &their_set)],
            "UnknownApiSet",
        ),
    ];
    for (form, problem) in cases {
        let r = create(&mut admin, &form).await;
        assert_eq!(r.status, 422, "{form:?}: {}", r.body);
        assert!(r.body.contains(problem), "{form:?}: {}", r.body);
    }
    let r = create(
        &mut admin,
        &[("name", "ok"), ("api_sets[]", "not-a-number")],
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(key_count(&app).await, 0, "nothing stored");

    // Another organization's key: not found, and untouched.
    let (their_key, _) = new_key(&mut theirs, "Theirs").await;
    let their_key = their_key.to_string();
    for (endpoint, extra) in [
        ("keys/delete", None),
        ("keys/set-enabled", Some(("enabled", "false"))),
        ("keys/details", None),
        ("keys/roll", Some(("grace_hours", "0"))),
    ] {
        let mut form = vec![("id", their_key.as_str())];
        form.extend(extra);
        let r = admin.call(endpoint, &form).await;
        assert_eq!(r.status, 404, "{endpoint}: {}", r.body);
    }
    let key = api_key::Entity::find()
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("their key");
    assert!(key.enabled);
    assert_eq!(
        api_key_secret::Entity::find()
            .count(&app.server.state.db)
            .await
            .expect("count"),
        1
    );
    let list = admin.call("keys/list", &[("filter[scope]", "all")]).await;
    assert!(!list.body.contains("Theirs"));
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

#[tokio::test]
async fn at_most_the_configured_number_of_active_keys() {
    let (url, dir) = common::fresh_database_url().await;
    let mut config = server::config::Config::for_database(&url);
    config.max_keys_per_user = 2;
    let server = server::build(&config).await.expect("server");
    let app = TestApp::from_server(server, config);
    let _dir = dir;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let (first, _) = new_key(&mut admin, "one").await;
    new_key(&mut admin, "two").await;
    let r = create(&mut admin, &[("name", "three")]).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("too_many_keys"));
    assert_eq!(key_count(&app).await, 2);
    // A disabled key does not count, and cannot come back over the limit.
    let first = first.to_string();
    admin
        .call("keys/set-enabled", &[("id", &first), ("enabled", "false")])
        .await;
    new_key(&mut admin, "three").await;
    let r = admin
        .call("keys/set-enabled", &[("id", &first), ("enabled", "true")])
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("too_many_keys"));
    let still_disabled = api_key::Entity::find_by_id(first.parse::<i64>().expect("id"))
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("key");
    assert!(!still_disabled.enabled);
}

#[tokio::test]
async fn an_owner_without_manage_user_api_key_may_disable_but_not_enable() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    create_bot(&app, &acme, "dev", role_id(&acme, "Developer")).await;
    let mut dev = signed_in(&app, "dev").await;
    let (id, _) = new_key(&mut dev, "Dev key").await;
    let id = id.to_string();
    let member = role_id(&acme, "Member").to_string();
    let r = as_admin(&app, &acme)
        .call(
            "users/set-role",
            &[("username", "dev"), ("role_id", &member)],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    let r = dev
        .call("keys/set-enabled", &[("id", &id), ("enabled", "false")])
        .await;
    assert!(
        r.status < 400,
        "disabling your own key is always allowed: {}",
        r.body
    );
    let r = dev
        .call("keys/set-enabled", &[("id", &id), ("enabled", "true")])
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = dev
        .call("keys/roll", &[("id", &id), ("grace_hours", "0")])
        .await;
    assert_eq!(r.status, 403);
    // Another user's name filters to nothing, whether or not it exists.
    let mut admin = as_admin(&app, &acme);
    for owner in ["nobody-here", "admin@other.example"] {
        let r = admin.call("keys/list", &[("filter[owner]", owner)]).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains("\"rows\":[]"), "{}", r.body);
    }
}

#[tokio::test]
async fn who_sees_and_acts_on_which_keys() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    create_bot(&app, &acme, "dev-a", role_id(&acme, "Developer")).await;
    create_bot(&app, &acme, "dev-b", role_id(&acme, "Developer")).await;
    create_bot(&app, &acme, "member", role_id(&acme, "Member")).await;
    let mut a = signed_in(&app, "dev-a").await;
    let mut b = signed_in(&app, "dev-b").await;
    let (a_key, _) = new_key(&mut a, "A's key").await;
    new_key(&mut b, "B's key").await;
    let a_key = a_key.to_string();

    // Your own keys only, without Manage All API Keys.
    let list = b.call("keys/list", &[]).await;
    assert!(list.body.contains("B's key") && !list.body.contains("A's key"));
    let all = b.call("keys/list", &[("filter[scope]", "all")]).await;
    assert_eq!(all.status, 403);
    let theirs = b.call("keys/list", &[("filter[owner]", "dev-a")]).await;
    assert_eq!(theirs.status, 403);
    for (endpoint, form) in [
        ("keys/delete", vec![("id", a_key.as_str())]),
        (
            "keys/set-enabled",
            vec![("id", a_key.as_str()), ("enabled", "false")],
        ),
    ] {
        let r = b.call(endpoint, &form).await;
        assert_eq!(r.status, 404, "{endpoint}: {}", r.body);
    }
    // A Member cannot create keys.
    let mut member = signed_in(&app, "member").await;
    let r = create(&mut member, &[("name", "mine")]).await;
    assert_eq!(r.status, 403);
    // An API key is not a session: it can never create a key.
    let (_, a_plain) = {
        let mut a = signed_in(&app, "dev-a").await;
        new_key(&mut a, "A's second key").await
    };
    let mut bearer = Client::new(&app);
    bearer
        .headers
        .push(("authorization".into(), format!("Bearer {a_plain}")));
    bearer.headers.push(("x-api-key".into(), a_plain.clone()));
    let r = create(&mut bearer, &[("name", "from a key")]).await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert!(!r.body.contains(&a_plain[7..]));

    // The Admin sees every key, filters by owner, disables another's key,
    // but cannot roll (create a secret for) it.
    let mut admin = as_admin(&app, &acme);
    let all = admin.call("keys/list", &[("filter[scope]", "all")]).await;
    assert!(all.body.contains("A's key") && all.body.contains("B's key"));
    assert!(
        all.body.contains("\"owners\":[\"dev-a\",\"dev-b\"]"),
        "{}",
        all.body
    );
    let only_a = admin.call("keys/list", &[("filter[owner]", "dev-a")]).await;
    assert!(only_a.body.contains("A's key") && !only_a.body.contains("B's key"));
    let r = admin
        .call("keys/set-enabled", &[("id", &a_key), ("enabled", "false")])
        .await;
    assert!(r.status < 400);
    let r = admin
        .call("keys/roll", &[("id", &a_key), ("grace_hours", "0")])
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = admin.call("keys/delete", &[("id", &a_key)]).await;
    assert!(r.status < 400);
    assert_eq!(key_count(&app).await, 2);

    // User Account Details: the API Keys section lists that user's keys.
    let page = admin.get("/admin/users/dev-b").await;
    assert!(page.body.contains("B's key"), "{}", page.body);
    assert!(!page.body.contains("Generate key"), "not on another's page");
}

/// Without JavaScript the Create form posts, is redirected back, and the
/// page shows the key once.
#[tokio::test]
async fn without_javascript_the_key_is_handed_over_once() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let builder = axum::http::Request::post("/api/keys/create")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html,application/xhtml+xml")
        .header(
            "referer",
            format!("http://keyhouse.test{PAGE}?dialog=create"),
        );
    let body = common::form_encode(&[("name", "No JS key"), ("back", PAGE)]);
    let r = admin.request(builder, body).await;
    assert!((300..400).contains(&r.status), "{} {}", r.status, r.body);
    assert_eq!(r.header("location"), Some(PAGE));
    assert!(!r.body.contains("kh_"));

    let page = admin.get(PAGE).await;
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert!(page.body.contains("Save generated key"), "{}", page.body);
    let start = page.body.find("value=\"kh_").expect("key in the page") + 7;
    let key = &page.body[start..start + format::KEY_LEN];
    assert!(format::parse(key).is_ok(), "{key}");
    let again = admin.get(PAGE).await;
    assert!(!again.body.contains(key), "shown once");
    assert!(!again.body.contains("Save generated key"));

    // An off-site `back` is not followed: the key is answered instead.
    let builder = axum::http::Request::post("/api/keys/create")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html");
    let body = common::form_encode(&[("name", "Other"), ("back", "//evil.example/")]);
    let r = admin.request(builder, body).await;
    assert!(!r.header("location").unwrap_or_default().contains("evil"));
}

#[tokio::test]
async fn sign_up_can_end_on_the_first_key() {
    let app = app().await;
    let mut client = Client::new(&app);
    let mut form = common::registration("ada@example.com", "Acme");
    form.push(("create_first_key", "on"));
    form.push(("first_key_name", "My first API key"));
    let r = client.call("auth/register", &form).await;
    assert!(r.status < 400, "{}", r.body);
    assert_eq!(key_count(&app).await, 1);
    let page = client.get(PAGE).await;
    assert!(page.body.contains("Save generated key"));
    assert!(page.body.contains("My first API key"));
    let again = client.get(PAGE).await;
    assert!(!again.body.contains("Save generated key"));

    // Without the option, no key.
    let mut other = Client::new(&app);
    let r = other
        .call(
            "auth/register",
            &common::registration("bob@example.com", "Bobs"),
        )
        .await;
    assert!(r.status < 400);
    assert_eq!(key_count(&app).await, 1);
}

#[tokio::test]
async fn api_sets_are_created_and_deleted_from_their_keys() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    for (slug, problem) in [
        ("", "Required"),
        ("Billing", "InvalidSlug"),
        ("9lives", "InvalidSlug"),
        ("keys:read", "SlugTaken"),
    ] {
        let r = admin
            .call(
                "integrations/create-api-set",
                &[("slug", slug), ("name", "x")],
            )
            .await;
        assert_eq!(r.status, 422, "{slug}: {}", r.body);
        assert!(r.body.contains(problem), "{slug}: {}", r.body);
    }
    let r = admin
        .call(
            "integrations/create-api-set",
            &[("slug", "billing"), ("name", "Billing")],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    let sets: serde_json::Value =
        serde_json::from_str(&admin.call("integrations/api-sets", &[]).await.body).expect("json");
    let sets = sets.as_array().expect("array");
    assert_eq!(sets.len(), 6, "five built in and Billing");
    let billing = sets
        .iter()
        .find(|s| s["slug"] == "billing")
        .expect("billing")["id"]
        .as_i64()
        .expect("id")
        .to_string();
    let builtin = sets[0]["id"].as_i64().expect("id").to_string();
    let r = create(
        &mut admin,
        &[
            ("name", "Billing key"),
            ("api_sets[]", &billing),
            ("api_sets[]", &builtin),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        api_key_api_set::Entity::find()
            .count(&app.server.state.db)
            .await
            .expect("count"),
        2
    );
    let r = admin
        .call("integrations/delete-api-set", &[("id", &builtin)])
        .await;
    assert_eq!(r.status, 409, "built-in sets stay");
    let r = admin
        .call("integrations/delete-api-set", &[("id", &billing)])
        .await;
    assert!(r.status < 400, "{}", r.body);
    let list = admin.call("keys/list", &[]).await;
    assert!(list.body.contains("Billing key"));
    assert!(!list.body.contains("\"billing\""), "{}", list.body);
    assert_eq!(
        api_key_api_set::Entity::find()
            .count(&app.server.state.db)
            .await
            .expect("count"),
        1
    );
}

/// Captures everything the app logs while it runs.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// The secret appears 0 times in the logs (at the most verbose level) and
/// 0 times in the database: every table's rows, and the SQLite files.
#[tokio::test]
async fn the_secret_is_never_logged_nor_stored() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

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

    let logs = String::from_utf8_lossy(&captured.0.lock().expect("logs")).into_owned();
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
