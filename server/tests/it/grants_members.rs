//! Giving access back, or changing a role, counts as giving the member's
//! role: nobody remakes a member who holds more than they do.

use crate::common::grants::snapshot;
use crate::common::{app, as_admin, create_bot, custom_role, org, role_id};
use app::model::authz::Authority;

/// Access given back, or a role changed, counts as giving the member's
/// role: someone with Manage Users alone cannot bring back an inactive
/// Admin, and someone with Manage Roles alone cannot remake an Admin (or a
/// Developer) into anything, though each may do so for a Member.
#[tokio::test]
async fn nobody_remakes_a_member_who_holds_more_than_they_do() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    create_bot(&app, &acme, "second-admin", role_id(&acme, "Admin")).await;
    create_bot(&app, &acme, "dev-bot", role_id(&acme, "Developer")).await;
    create_bot(&app, &acme, "member-bot", role_id(&acme, "Member")).await;
    let users_only = custom_role(&app, &acme, "Users only", &[Authority::ManageUsers]).await;
    let roles_only = custom_role(&app, &acme, "Roles only", &[Authority::ManageRoles]).await;
    create_bot(&app, &acme, "users-bot", users_only).await;
    create_bot(&app, &acme, "roles-bot", roles_only).await;
    let mut admin = as_admin(&app, &acme);
    for username in ["second-admin", "member-bot"] {
        let r = admin
            .call(
                "users/set-status",
                &[("username", username), ("active", "false")],
            )
            .await;
        assert!(r.status < 400, "{}", r.body);
    }

    let mut users = crate::common::signed_in(&app, "users-bot").await;
    let before = snapshot(&app, acme.id).await;
    let r = users
        .call(
            "users/set-status",
            &[("username", "second-admin"), ("active", "true")],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("admin_role"), "{}", r.body);
    assert_eq!(snapshot(&app, acme.id).await, before, "nothing changed");
    let r = users
        .call(
            "users/set-status",
            &[("username", "member-bot"), ("active", "true")],
        )
        .await;
    assert!(r.status < 400, "a Member may be let back in: {}", r.body);

    let mut roles = crate::common::signed_in(&app, "roles-bot").await;
    let member = role_id(&acme, "Member").to_string();
    for (username, reason) in [
        ("second-admin", "admin_role"),
        ("dev-bot", "role_exceeds_yours"),
    ] {
        let before = snapshot(&app, acme.id).await;
        let r = roles
            .call(
                "users/set-role",
                &[("username", username), ("role_id", &member)],
            )
            .await;
        assert_eq!(r.status, 403, "{username}: {}", r.body);
        assert!(r.body.contains(reason), "{username}: {}", r.body);
        assert_eq!(snapshot(&app, acme.id).await, before, "nothing changed");
    }
    let roles_only = roles_only.to_string();
    let r = roles
        .call(
            "users/set-role",
            &[("username", "member-bot"), ("role_id", &roles_only)],
        )
        .await;
    assert!(
        r.status < 400,
        "a Member may be given a role the giver holds: {}",
        r.body
    );
}
