//! Grace periods of rolled secrets end when the owner says so: a roll with
//! no grace (the key leaked) stops every earlier secret at once, and so does
//! "End grace period now" on the key's page (audited).

use crate::common::api::call;
use crate::common::keys::new_key;
use crate::common::{Client, TestApp, as_admin, create_bot, org, role_id, signed_in};
use app::backend::entities::audit_event;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// What the HTTP API answers `key` on `/api/v1/me`.
async fn me(app: &TestApp, key: &str) -> u16 {
    call(app, "GET", "/api/v1/me", Some(key), &[], None)
        .await
        .status
}

async fn roll(client: &mut Client<'_>, id: &str, grace: &str) -> String {
    let r = client
        .call("keys/roll", &[("id", id), ("grace_hours", grace)])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let json: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    json["key"].as_str().expect("key").to_owned()
}

#[tokio::test]
async fn a_roll_without_grace_ends_every_earlier_grace_period() {
    let app = crate::common::app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let (id, first) = new_key(&mut admin, "Leaky").await;
    let id = id.to_string();
    assert_eq!(me(&app, &first).await, 200);

    let second = roll(&mut admin, &id, "24").await;
    assert_eq!(me(&app, &first).await, 200, "the first works for 24 hours");
    assert_eq!(me(&app, &second).await, 200);

    let third = roll(&mut admin, &id, "0").await;
    assert_eq!(me(&app, &first).await, 401, "the first stops at once");
    assert_eq!(me(&app, &second).await, 401, "the second stops at once");
    assert_eq!(me(&app, &third).await, 200);

    let details = admin.call("keys/details", &[("id", &id)]).await;
    let details: serde_json::Value = serde_json::from_str(&details.body).expect("json");
    let states: Vec<&str> = details["secrets"]
        .as_array()
        .expect("secrets")
        .iter()
        .filter_map(|s| s["state"].as_str())
        .collect();
    assert_eq!(
        states.iter().filter(|s| **s == "current").count(),
        1,
        "{states:?}"
    );
    assert!(!states.contains(&"grace"), "{states:?}");
}

#[tokio::test]
async fn a_shorter_grace_caps_a_longer_earlier_one() {
    let (app, clock) = crate::common::app_with_clock().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let (id, first) = new_key(&mut admin, "Rolling").await;
    let id = id.to_string();
    let second = roll(&mut admin, &id, "168").await;
    let _third = roll(&mut admin, &id, "1").await;
    assert_eq!(me(&app, &first).await, 200);
    assert_eq!(me(&app, &second).await, 200);
    clock.advance(chrono::Duration::minutes(61));
    assert_eq!(
        me(&app, &first).await,
        401,
        "no longer than the newest grace"
    );
    assert_eq!(me(&app, &second).await, 401);
}

#[tokio::test]
async fn end_grace_period_now_stops_old_secrets_and_is_audited() {
    let app = crate::common::app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    create_bot(&app, &acme, "dev-bot", role_id(&acme, "Developer")).await;
    create_bot(&app, &acme, "member-bot", role_id(&acme, "Member")).await;
    let mut dev = signed_in(&app, "dev-bot").await;
    let (id, old) = new_key(&mut dev, "Dev key").await;
    let id = id.to_string();

    // Nothing in grace yet: refused, nothing audited.
    let none = dev.call("keys/end-grace", &[("id", &id)]).await;
    assert_eq!(none.status, 409, "{}", none.body);
    assert!(none.body.contains("no_grace"), "{}", none.body);

    let new = roll(&mut dev, &id, "168").await;
    // Used once: the key check now has it cached.
    assert_eq!(me(&app, &old).await, 200);

    // The page offers the button while a secret is in grace.
    let page = dev
        .get(&format!("/settings/integrations/public-api/keys/{id}"))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("End grace period now"), "button shown");

    // Someone who may not act on the key cannot end it.
    let mut member = signed_in(&app, "member-bot").await;
    let refused = member.call("keys/end-grace", &[("id", &id)]).await;
    assert_eq!(refused.status, 404, "{}", refused.body);
    assert_eq!(me(&app, &old).await, 200);

    // The form post without JavaScript: back to the key's page.
    let back = format!("/settings/integrations/public-api/keys/{id}");
    let body = crate::common::form_encode(&[("id", &id), ("back", &back)]);
    let posted = dev
        .request(
            axum::http::Request::post("/rpc/keys/end-grace")
                .header("content-type", "application/x-www-form-urlencoded")
                .header("accept", "text/html,application/xhtml+xml")
                .header("referer", format!("http://keyhouse.test{back}")),
            body,
        )
        .await;
    assert!(
        (300..400).contains(&posted.status),
        "{} {}",
        posted.status,
        posted.body
    );
    assert_eq!(posted.header("location"), Some(back.as_str()));

    assert_eq!(
        me(&app, &old).await,
        401,
        "the old secret is refused at once"
    );
    assert_eq!(me(&app, &new).await, 200, "the current one keeps working");
    let page = dev.get(&back).await;
    assert!(
        !page.body.contains("End grace period now"),
        "nothing left to end"
    );

    let audited = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("key.grace_ended"))
        .all(&app.server.state.db)
        .await
        .expect("audit");
    assert_eq!(audited.len(), 1);
    assert_eq!(
        audited[0].target.as_deref(),
        Some(format!("key:{id}").as_str())
    );
    let again = dev.call("keys/end-grace", &[("id", &id)]).await;
    assert_eq!(again.status, 409);
}
