//! Who sees and acts on which API keys, over the real router, on SQLite and
//! PostgreSQL: owners and Manage All API Keys, an owner who lost Manage User
//! API Key, API sets, the no-JavaScript hand-over of a new key, and sign-up
//! ending on the first key.

use crate::common::keys::{PAGE, create, key_count, new_key};
use crate::common::{Client, app, as_admin, create_bot, org, role_id, signed_in};
use app::backend::entities::api_key_api_set;
use app::backend::keys::format;
use sea_orm::{EntityTrait, PaginatorTrait};

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
    let builder = axum::http::Request::post("/rpc/keys/create")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html,application/xhtml+xml")
        .header(
            "referer",
            format!("http://keyhouse.test{PAGE}?dialog=create"),
        );
    let body = crate::common::form_encode(&[("name", "No JS key"), ("back", PAGE)]);
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
    let builder = axum::http::Request::post("/rpc/keys/create")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html");
    let body = crate::common::form_encode(&[("name", "Other"), ("back", "//evil.example/")]);
    let r = admin.request(builder, body).await;
    assert!(!r.header("location").unwrap_or_default().contains("evil"));
}

#[tokio::test]
async fn sign_up_can_end_on_the_first_key() {
    let app = app().await;
    let mut client = Client::new(&app);
    let mut form = crate::common::registration("ada@example.com", "Acme");
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
            &crate::common::registration("bob@example.com", "Bobs"),
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
    assert_eq!(sets.len(), 7, "six built in (keys:verify too) and Billing");
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
