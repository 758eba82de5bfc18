//! The session cookie as configured for the real server.

use axum::{Router, body::Body, http::Request, routing::get};
use tower::ServiceExt;
use tower_sessions::Session;

async fn remember(session: Session) -> &'static str {
    session.insert("seen", true).await.expect("session insert");
    "ok"
}

async fn cookie_for(secure: bool) -> String {
    let (url, _dir) = crate::common::fresh_database_url().await;
    let mut config = server::config::Config::for_database(&url);
    config.secure_cookies = secure;
    let built = server::build(&config).await.expect("server builds");
    let layer = server::router::session_layer(built.sessions.clone(), &config);
    let router = Router::new().route("/", get(remember)).layer(layer);
    let response = router
        .oneshot(Request::get("/").body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("session cookie set")
        .to_owned();
    // The session row exists in the database.
    use sea_orm::EntityTrait;
    let rows = app::backend::entities::session::Entity::find()
        .all(&built.state.db)
        .await
        .expect("query sessions");
    assert_eq!(rows.len(), 1);
    cookie
}

#[tokio::test]
async fn session_cookie_is_httponly_lax_and_not_secure_by_default() {
    let cookie = cookie_for(false).await;
    assert!(cookie.starts_with("keyhouse_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert!(cookie.contains("Max-Age=1800"), "30 min idle: {cookie}");
}

#[tokio::test]
async fn session_cookie_is_secure_when_configured() {
    let cookie = cookie_for(true).await;
    assert!(cookie.contains("Secure"), "{cookie}");
}
