//! Sessions through the real router, with a manual clock for the timeouts:
//! a new id at sign-in, sign-out, the idle and absolute timeouts, a
//! deactivated user, and a changed password ending the other sessions.

use crate::auth::{actions, login, registered};
use crate::common::{Client, GOOD_PASSWORD, app, app_with_clock, registration};
use app::backend::entities::user;
use app::model::users::UserStatus;
use sea_orm::EntityTrait;

#[tokio::test]
async fn sign_in_rotates_the_session_id() {
    let app = app().await;
    registered(&app).await;
    let mut client = Client::new(&app);
    assert!(
        client
            .call("auth/sign-in", &login("ada@example.com", GOOD_PASSWORD))
            .await
            .status
            < 400
    );
    let first = client.cookie.clone().expect("cookie");
    assert!(
        client
            .call("auth/sign-in", &login("ADA@example.com", GOOD_PASSWORD))
            .await
            .status
            < 400
    );
    let second = client.cookie.clone().expect("cookie");
    assert_ne!(first, second, "new id at sign-in");
    let mut stale = Client::new(&app);
    stale.cookie = Some(first);
    assert!(stale.me().await.is_null(), "the old id no longer signs in");
    assert_eq!(client.me().await["name"], "Ada Lovelace");
}

#[tokio::test]
async fn signed_out_session_cannot_be_replayed() {
    let app = app().await;
    registered(&app).await;
    let mut client = Client::new(&app);
    client
        .call("auth/sign-in", &login("ada@example.com", GOOD_PASSWORD))
        .await;
    let cookie = client.cookie.clone().expect("cookie");
    let out = client.call("auth/sign-out", &[]).await;
    assert!(out.status < 400, "{}", out.body);
    let mut replay = Client::new(&app);
    replay.cookie = Some(cookie);
    assert!(replay.me().await.is_null());
    assert!(actions(&app).await.iter().any(|a| a == "sign_out"));
}

#[tokio::test]
async fn idle_timeout_ends_the_session() {
    let (app, clock) = app_with_clock().await;
    registered(&app).await;
    let mut client = Client::new(&app);
    client
        .call("auth/sign-in", &login("ada@example.com", GOOD_PASSWORD))
        .await;
    clock.advance(chrono::Duration::minutes(29));
    assert!(
        !client.me().await.is_null(),
        "29 idle minutes: still signed in"
    );
    clock.advance(chrono::Duration::minutes(29));
    assert!(
        !client.me().await.is_null(),
        "activity resets the idle timer"
    );
    clock.advance(chrono::Duration::minutes(31));
    assert!(client.me().await.is_null(), "31 idle minutes: signed out");
}

#[tokio::test]
async fn absolute_timeout_ends_even_an_active_session() {
    let (app, clock) = app_with_clock().await;
    registered(&app).await;
    let mut client = Client::new(&app);
    client
        .call("auth/sign-in", &login("ada@example.com", GOOD_PASSWORD))
        .await;
    for _ in 0..35 {
        clock.advance(chrono::Duration::minutes(20));
        assert!(!client.me().await.is_null());
    }
    clock.advance(chrono::Duration::minutes(21));
    assert!(
        client.me().await.is_null(),
        "12 h after sign-in: signed out"
    );
}

#[tokio::test]
async fn deactivated_user_is_signed_out_on_the_next_request() {
    use sea_orm::{ActiveModelTrait, Set};
    let app = app().await;
    let mut client = Client::new(&app);
    client
        .call("auth/register", &registration("ada@example.com", "Acme"))
        .await;
    let stored = user::Entity::find()
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("user");
    let mut active: user::ActiveModel = stored.into();
    active.status = Set(UserStatus::Inactive);
    active
        .update(&app.server.state.db)
        .await
        .expect("deactivate");
    assert!(client.me().await.is_null());
    let again = Client::new(&app)
        .call("auth/sign-in", &login("ada@example.com", GOOD_PASSWORD))
        .await;
    assert_eq!(again.status, 401, "an inactive user cannot sign in");
}

#[tokio::test]
async fn changing_the_password_ends_other_sessions_only() {
    let app = app().await;
    registered(&app).await;
    let mut here = Client::new(&app);
    here.call("auth/sign-in", &login("ada@example.com", GOOD_PASSWORD))
        .await;
    let mut elsewhere = Client::new(&app);
    elsewhere
        .call("auth/sign-in", &login("ada@example.com", GOOD_PASSWORD))
        .await;
    let new = "a much better passphrase";

    let wrong = here
        .call(
            "auth/change-password",
            &[
                ("current_password", "not my password"),
                ("new_password", new),
                ("new_password_confirm", new),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("WrongPassword"));
    assert!(
        !elsewhere.me().await.is_null(),
        "a refused change ends nothing"
    );

    let ok = here
        .call(
            "auth/change-password",
            &[
                ("current_password", GOOD_PASSWORD),
                ("new_password", new),
                ("new_password_confirm", new),
            ],
        )
        .await;
    assert!(ok.status < 400, "{}", ok.body);
    assert!(!here.me().await.is_null(), "this session stays");
    assert!(elsewhere.me().await.is_null(), "other sessions end");
    let old = Client::new(&app)
        .call("auth/sign-in", &login("ada@example.com", GOOD_PASSWORD))
        .await;
    assert_eq!(old.status, 401);
    let fresh = Client::new(&app)
        .call("auth/sign-in", &login("ada@example.com", new))
        .await;
    assert!(fresh.status < 400);
    assert!(actions(&app).await.iter().any(|a| a == "password.changed"));
    let anonymous = Client::new(&app)
        .call(
            "auth/change-password",
            &[
                ("current_password", new),
                ("new_password", new),
                ("new_password_confirm", new),
            ],
        )
        .await;
    assert_eq!(anonymous.status, 401);
}
