//! User tokens over the real router, on SQLite and PostgreSQL: a key signs
//! a member of its organization in; `Authorization: Bearer <key>, User
//! <token>` acts as that user with only what both the user and the key's
//! owner may do; the token works with its key only, is throttled like the
//! sign-in page, and ends at sign-out, password change, deactivation and
//! after 24 hours.

use crate::common::api::{all_sets, call, call_from, error_code, json, new_key};
use crate::common::{
    GOOD_PASSWORD, TestApp, app, app_with_clock, as_admin, create_bot, org, role_id, signed_in,
};
use app::backend::entities::{user, user_token};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

#[tokio::test]
async fn user_tokens_act_as_the_user_within_what_the_key_allows() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let other = org(&app, "admin@other.example", "Other").await;
    create_bot(&app, &acme, "dev", role_id(&acme, "Developer")).await;
    let mut admin = as_admin(&app, &acme);
    let sets = all_sets(&mut admin).await;
    let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
    let (_, admin_key) = new_key(&mut admin, "Partner app", &sets).await;
    let (_, second_key) = new_key(&mut admin, "Another app", &sets).await;
    let mut dev = signed_in(&app, "dev").await;
    let dev_sets = all_sets(&mut dev).await;
    let dev_sets: Vec<&str> = dev_sets.iter().map(String::as_str).collect();
    let (dev_key_id, dev_key) = new_key(&mut dev, "Dev tool", &dev_sets).await;

    let issue = |key: String, login: &'static str, password: &'static str, ip: u8| {
        let app = &app;
        async move {
            let body = serde_json::json!({ "login": login, "password": password }).to_string();
            call_from(
                app,
                ip,
                "POST",
                "/api/v1/auth/user",
                Some(&format!("Bearer {key}")),
                &[],
                Some(body),
            )
            .await
        }
    };
    let as_user = |key: &str, token: &str| format!("Bearer {key}, User {token}");

    // The admin's key signs the developer in: the token acts as the
    // developer, so managing users is refused although the key's owner may.
    let r = issue(admin_key.clone(), "dev", GOOD_PASSWORD, 1).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let issued = json(&r);
    let token = issued["user_token"].as_str().expect("token").to_owned();
    assert_eq!(issued["username"], "dev");
    assert!(token.starts_with("khu_") && token.len() == 68);
    let stored = user_token::Entity::find()
        .all(&app.server.state.db)
        .await
        .expect("tokens");
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0].token_hash, token, "only the hash is stored");
    assert!(!stored[0].token_hash.contains(&token[4..]));
    let r = call_from(
        &app,
        1,
        "GET",
        "/api/v1/users",
        Some(&as_user(&admin_key, &token)),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(error_code(&r), "forbidden");
    let r = call_from(
        &app,
        1,
        "GET",
        "/api/v1/keys",
        Some(&as_user(&admin_key, &token)),
        &[],
        None,
    )
    .await;
    let mine = json(&r);
    assert_eq!(mine["data"].as_array().expect("data").len(), 1, "{mine}");
    assert_eq!(mine["data"][0]["id"].to_string(), dev_key_id);
    assert!(!r.body.contains(&token[4..]), "the token is shown once");

    // The developer's key signs the admin in: the admin acts with only what
    // the key's owner (a Developer) may do too.
    let r = issue(dev_key.clone(), "admin@acme.example", GOOD_PASSWORD, 2).await;
    let admin_token = json(&r)["user_token"].as_str().expect("token").to_owned();
    let r = call_from(
        &app,
        2,
        "GET",
        "/api/v1/users",
        Some(&as_user(&dev_key, &admin_token)),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, 403);
    // Without the token the admin's key manages users.
    let r = call_from(
        &app,
        2,
        "GET",
        "/api/v1/users",
        Some(&format!("Bearer {admin_key}")),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, 200);

    // A token works only with the key it was issued through.
    let r = call_from(
        &app,
        1,
        "GET",
        "/api/v1/keys",
        Some(&as_user(&second_key, &token)),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(error_code(&r), "invalid_user_token");
    let r = call_from(
        &app,
        1,
        "GET",
        "/api/v1/keys",
        Some(&as_user(&admin_key, "khu_made-up")),
        &[],
        None,
    )
    .await;
    assert_eq!(error_code(&r), "invalid_user_token");

    // Wrong password: 401 like the sign-in page, and throttled like it.
    let r = issue(admin_key.clone(), "dev", "wrong password here", 3).await;
    assert_eq!(r.status, 401);
    assert_eq!(error_code(&r), "sign_in_failed");
    let r = issue(admin_key.clone(), "nobody-at-all", "wrong password here", 3).await;
    assert_eq!(error_code(&r), "sign_in_failed");
    // A member of another organization cannot be signed in through Acme's key.
    let r = issue(admin_key.clone(), "admin@other.example", GOOD_PASSWORD, 4).await;
    assert_eq!(r.status, 401);
    let _ = other;
    let mut last = None;
    for _ in 0..6 {
        last = Some(issue(admin_key.clone(), "dev", "wrong password here", 5).await);
    }
    let last = last.expect("tried");
    assert_eq!(last.status, 429, "{}", last.body);
    assert!(last.header("retry-after").is_some());
    // The right password is refused too while throttled.
    assert_eq!(
        issue(admin_key.clone(), "dev", GOOD_PASSWORD, 5)
            .await
            .status,
        429
    );

    // Signing out ends the user's tokens.
    let before = user_token::Entity::find()
        .filter(user_token::Column::UserId.eq(user_id(&app, "dev").await))
        .count(&app.server.state.db)
        .await
        .expect("count");
    assert_eq!(before, 1);
    dev.call("auth/sign-out", &[]).await;
    let r = call_from(
        &app,
        1,
        "GET",
        "/api/v1/keys",
        Some(&as_user(&admin_key, &token)),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(error_code(&r), "invalid_user_token");
    // Bad bodies are JSON errors.
    let r = call(
        &app,
        "POST",
        "/api/v1/auth/user",
        Some(&admin_key),
        &[],
        Some("{".into()),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(error_code(&r), "bad_request");
}

#[tokio::test]
async fn user_tokens_end_with_sign_out_password_change_deactivation_and_time() {
    let (app, clock) = app_with_clock().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    create_bot(&app, &acme, "dev", role_id(&acme, "Developer")).await;
    let mut admin = as_admin(&app, &acme);
    let sets = all_sets(&mut admin).await;
    let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
    let (_, key) = new_key(&mut admin, "Partner app", &sets).await;
    let issue = || async {
        let body = serde_json::json!({ "login": "dev", "password": GOOD_PASSWORD }).to_string();
        let r = call(
            &app,
            "POST",
            "/api/v1/auth/user",
            Some(&key),
            &[],
            Some(body),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        json(&r)["user_token"].as_str().expect("token").to_owned()
    };
    let with = |token: &str| format!("Bearer {key}, User {token}");
    let me_as = |token: String| {
        let app = &app;
        let authorization = with(&token);
        async move { call_from(app, 9, "GET", "/api/v1/me", Some(&authorization), &[], None).await }
    };

    // /me and forward-auth name the token's user (and the key's owner).
    let token = issue().await;
    let r = me_as(token.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r)["acting_user"]["username"], "dev");
    assert_eq!(json(&r)["owner"]["username"], "admin@acme.example");
    let r = call_from(
        &app,
        9,
        "GET",
        "/api/v1/orgs/acme/auth",
        Some(&with(&token)),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("x-keyhouse-user"), Some("dev"));
    // Percent-encoded by the one rule: `@` is not unreserved.
    assert_eq!(
        r.header("x-keyhouse-key-owner"),
        Some("admin%40acme.example")
    );
    assert!(
        r.header("x-keyhouse-user-id")
            .is_some_and(|id| id.parse::<i64>().is_ok())
    );
    assert!(
        r.header("x-keyhouse-key-owner-id")
            .is_some_and(|id| id.parse::<i64>().is_ok())
    );
    let r = call_from(
        &app,
        9,
        "GET",
        "/api/v1/orgs/acme/auth",
        Some(&with("khu_forged")),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, 401);
    assert_eq!(error_code(&r), "invalid_user_token");
    let r = me_as("khu_forged".into()).await;
    assert_eq!(error_code(&r), "invalid_user_token");

    // Deactivated: refused; reactivated: the old token stays dead.
    admin
        .call(
            "users/set-status",
            &[("username", "dev"), ("active", "false")],
        )
        .await;
    assert_eq!(
        error_code(&me_as(token.clone()).await),
        "invalid_user_token"
    );
    admin
        .call(
            "users/set-status",
            &[("username", "dev"), ("active", "true")],
        )
        .await;
    assert_eq!(
        error_code(&me_as(token.clone()).await),
        "invalid_user_token"
    );

    // A password change ends the user's tokens.
    let token = issue().await;
    assert_eq!(me_as(token.clone()).await.status, 200);
    let mut dev = signed_in(&app, "dev").await;
    let new_password = "a brand new passphrase 2026";
    let r = dev
        .call(
            "auth/change-password",
            &[
                ("current_password", GOOD_PASSWORD),
                ("new_password", new_password),
                ("new_password_confirm", new_password),
            ],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    assert_eq!(error_code(&me_as(token).await), "invalid_user_token");

    // 24 hours: the token lapses (the key still works).
    let body = serde_json::json!({ "login": "dev", "password": new_password }).to_string();
    let r = call(
        &app,
        "POST",
        "/api/v1/auth/user",
        Some(&key),
        &[],
        Some(body),
    )
    .await;
    let token = json(&r)["user_token"].as_str().expect("token").to_owned();
    clock.advance(chrono::Duration::hours(23));
    assert_eq!(me_as(token.clone()).await.status, 200);
    clock.advance(chrono::Duration::hours(2));
    assert_eq!(error_code(&me_as(token).await), "invalid_user_token");
    assert_eq!(
        call(&app, "GET", "/api/v1/me", Some(&key), &[], None)
            .await
            .status,
        200
    );
    // Expired tokens are purged.
    let state = &app.server.state;
    let purged = app::backend::jobs::purge_user_tokens(&state.db, state.clock.now())
        .await
        .expect("purge");
    assert_eq!(purged, app::backend::jobs::Round::Ran { deleted: 1 });
}

async fn user_id(app: &TestApp, username: &str) -> i64 {
    user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("user")
        .id
}
