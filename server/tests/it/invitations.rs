//! Invitations: single use, 7 days, revocable, stored hashed; newcomers and
//! existing accounts join; nobody else's organization is touched. Who may
//! invite, and for how long: `invitations_guards.rs`.

use crate::common::{Client, GOOD_PASSWORD, app_with_clock, as_admin, org, role_id, signed_in};
use app::backend::entities::{invitation, membership, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

pub(crate) fn token_of(link_json: &str) -> String {
    let link: String = serde_json::from_str(link_json).expect("json string");
    link.strip_prefix("/invite/")
        .expect("invite path")
        .to_owned()
}

pub(crate) fn newcomer(token: &str) -> Vec<(&'static str, &str)> {
    vec![
        ("token", token),
        ("name", "Grace"),
        ("password", GOOD_PASSWORD),
        ("password_confirm", GOOD_PASSWORD),
    ]
}

#[tokio::test]
async fn invited_newcomer_joins_once() {
    let (app, _clock) = app_with_clock().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let developer = role_id(&acme, "Developer").to_string();
    let mut admin = as_admin(&app, &acme);
    let created = admin
        .call(
            "invitations/create",
            &[("contact", "Grace@Example.com"), ("role_id", &developer)],
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(created.header("cache-control"), Some("no-store"));
    let token = token_of(&created.body);
    let stored = invitation::Entity::find()
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("row");
    assert_ne!(stored.token_hash, token, "only the hash is stored");
    assert_eq!(stored.contact, "grace@example.com");

    let preview = Client::new(&app)
        .call("invitations/preview", &[("token", &token)])
        .await;
    assert!(
        preview.body.contains("Acme") && preview.body.contains("Developer"),
        "{}",
        preview.body
    );

    let mut grace = Client::new(&app);
    let bad = grace
        .call(
            "invitations/accept",
            &[
                ("token", &token),
                ("name", "Grace"),
                ("password", "short"),
                ("password_confirm", "short"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "bad input keeps the invitation usable");
    let accepted = grace.call("invitations/accept", &newcomer(&token)).await;
    assert!(accepted.status < 400, "{}", accepted.body);
    let me = grace.me().await;
    assert_eq!(
        (
            me["username"].as_str(),
            me["organization"].as_str(),
            me["role"].as_str()
        ),
        (Some("grace@example.com"), Some("Acme"), Some("Developer"))
    );

    let again = Client::new(&app)
        .call("invitations/accept", &newcomer(&token))
        .await;
    assert_eq!(again.status, 409, "single use");
    assert!(again.body.contains("invitation_invalid"));
    let pending = admin.call("invitations/list", &[]).await;
    assert_eq!(pending.body, "[]");
}

#[tokio::test]
async fn expired_and_revoked_links_do_not_work() {
    let (app, clock) = app_with_clock().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let member = role_id(&acme, "Member").to_string();
    let mut admin = as_admin(&app, &acme);
    let expiring = token_of(
        &admin
            .call(
                "invitations/create",
                &[("contact", "+48 600 700 800"), ("role_id", &member)],
            )
            .await
            .body,
    );
    let revoked = token_of(
        &admin
            .call(
                "invitations/create",
                &[("contact", "bob@example.com"), ("role_id", &member)],
            )
            .await
            .body,
    );
    let list: serde_json::Value =
        serde_json::from_str(&admin.call("invitations/list", &[]).await.body).expect("json");
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    let bob_id = list
        .as_array()
        .expect("list")
        .iter()
        .find(|i| i["contact"] == "bob@example.com")
        .expect("bob")["id"]
        .to_string();
    assert!(
        admin
            .call("invitations/revoke", &[("id", &bob_id)])
            .await
            .status
            < 400
    );
    assert_eq!(
        Client::new(&app)
            .call("invitations/accept", &newcomer(&revoked))
            .await
            .status,
        409
    );

    clock.advance(chrono::Duration::days(7) + chrono::Duration::minutes(1));
    assert_eq!(
        Client::new(&app)
            .call("invitations/accept", &newcomer(&expiring))
            .await
            .status,
        409
    );
    assert_eq!(
        user::Entity::find()
            .all(&app.server.state.db)
            .await
            .expect("q")
            .len(),
        1,
        "nobody joined"
    );
}

#[tokio::test]
async fn an_existing_account_joins_a_second_organization() {
    let (app, _clock) = app_with_clock().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let _other = org(&app, "admin@other.example", "Other").await;
    let member = role_id(&acme, "Member").to_string();
    let token = token_of(
        &as_admin(&app, &acme)
            .call(
                "invitations/create",
                &[("contact", "admin@other.example"), ("role_id", &member)],
            )
            .await
            .body,
    );

    let taken = Client::new(&app)
        .call("invitations/accept", &newcomer(&token))
        .await;
    assert_eq!(taken.status, 409);
    assert!(taken.body.contains("account_exists"));

    let mut other_admin = signed_in(&app, "admin@other.example").await;
    let joined = other_admin
        .call("invitations/join", &[("token", &token)])
        .await;
    assert!(joined.status < 400, "{}", joined.body);
    assert_eq!(
        other_admin.me().await["organization"],
        "Acme",
        "now acting in the organization joined"
    );
    let joined_user = user::Entity::find()
        .filter(user::Column::Username.eq("admin@other.example"))
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("u");
    let memberships = membership::Entity::find()
        .filter(membership::Column::UserId.eq(joined_user.id))
        .all(&app.server.state.db)
        .await
        .expect("q");
    assert_eq!(memberships.len(), 2, "member of both");

    let orgs: serde_json::Value =
        serde_json::from_str(&other_admin.call("auth/organizations", &[]).await.body)
            .expect("json");
    let orgs = orgs.as_array().expect("list");
    assert_eq!(orgs.len(), 2);
    let home = orgs.iter().find(|o| o["name"] == "Other").expect("Other")["id"].to_string();
    let switched = other_admin
        .call("auth/switch-organization", &[("org_id", &home)])
        .await;
    assert!(switched.status < 400, "{}", switched.body);
    assert_eq!(other_admin.me().await["organization"], "Other");
    assert_eq!(
        other_admin.me().await["role"],
        "Admin",
        "the role of that organization"
    );

    // Not a member of a third organization: refused, nothing changes.
    let third = org(&app, "admin@third.example", "Third").await;
    let foreign = third.id.to_string();
    let refused = other_admin
        .call("auth/switch-organization", &[("org_id", &foreign)])
        .await;
    assert_eq!(refused.status, 404);
    assert_eq!(other_admin.me().await["organization"], "Other");
}
