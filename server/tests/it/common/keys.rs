//! Generating and checking keys through the server functions, in tests.
use app::backend::entities::api_key;
use app::backend::keys::format;
use app::backend::services::key_check;
use app::model::keys::KeyStatus;
use sea_orm::{EntityTrait, PaginatorTrait};

use super::{Client, TestApp, TestResponse};

pub const PAGE: &str = "/settings/integrations/public-api";

pub async fn create(client: &mut Client<'_>, form: &[(&str, &str)]) -> TestResponse {
    client.call("keys/create", form).await
}

/// Creates a key named `name` that never expires; returns (id, the key in
/// plain text).
pub async fn new_key(client: &mut Client<'_>, name: &str) -> (i64, String) {
    let r = create(client, &[("name", name), ("expires", "never")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let json: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    (
        json["id"].as_i64().expect("id"),
        json["key"].as_str().expect("key").to_owned(),
    )
}

/// The status the key check gives `key` (`None`: no such key).
pub async fn status_of(app: &TestApp, key: &str) -> Option<KeyStatus> {
    let parsed = format::parse(key).expect("well-formed");
    key_check::check(&app.server.state, &parsed)
        .await
        .expect("check")
        .map(|(_, status)| status)
}

pub async fn key_count(app: &TestApp) -> u64 {
    api_key::Entity::find()
        .count(&app.server.state.db)
        .await
        .expect("count")
}
