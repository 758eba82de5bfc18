//! API keys over the real router, on SQLite and PostgreSQL: bad input,
//! another organization's keys, and the key limit are refused, and nothing
//! is stored.

use crate::common::keys::{create, key_count, new_key};
use crate::common::{TestApp, app, as_admin, org};
use app::backend::entities::{api_key, api_key_secret, api_set};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

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
async fn at_most_the_configured_number_of_active_keys() {
    let (url, dir) = crate::common::fresh_database_url().await;
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
