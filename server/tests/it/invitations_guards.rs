//! Invitations are guarded and validated, and hold only while their inviter
//! may still give the role.

use crate::common::{Client, app_with_clock, as_admin, create_bot, org, role_id, signed_in};
use crate::invitations::{newcomer, token_of};
use app::backend::entities::{invitation, user};
use sea_orm::EntityTrait;

#[tokio::test]
async fn invitations_are_guarded_and_validated() {
    let (app, _clock) = app_with_clock().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let other = org(&app, "admin@other.example", "Other").await;
    create_bot(&app, &acme, "member-bot", role_id(&acme, "Member")).await;
    let member = role_id(&acme, "Member").to_string();
    let foreign = role_id(&other, "Admin").to_string();

    assert_eq!(
        Client::new(&app)
            .call(
                "invitations/create",
                &[("contact", "x@example.com"), ("role_id", &member)]
            )
            .await
            .status,
        401
    );
    let mut bot = signed_in(&app, "member-bot").await;
    assert_eq!(
        bot.call(
            "invitations/create",
            &[("contact", "x@example.com"), ("role_id", &member)]
        )
        .await
        .status,
        403
    );
    assert_eq!(bot.call("invitations/list", &[]).await.status, 403);

    let mut admin = as_admin(&app, &acme);
    for (contact, role, problem) in [
        ("not a contact", member.as_str(), "InvalidPhone"),
        ("x@", member.as_str(), "InvalidEmail"),
        ("", member.as_str(), "Required"),
        ("x@example.com", foreign.as_str(), "Role"),
    ] {
        let r = admin
            .call(
                "invitations/create",
                &[("contact", contact), ("role_id", role)],
            )
            .await;
        assert_eq!(r.status, 422, "{contact}: {}", r.body);
        assert!(r.body.contains(problem), "{contact}: {}", r.body);
    }
    assert!(
        invitation::Entity::find()
            .all(&app.server.state.db)
            .await
            .expect("q")
            .is_empty()
    );

    // Another organization's Admin can neither see nor revoke Acme's.
    let made = admin
        .call(
            "invitations/create",
            &[("contact", "y@example.com"), ("role_id", &member)],
        )
        .await;
    assert_eq!(made.status, 200);
    let id = invitation::Entity::find()
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("row")
        .id
        .to_string();
    let mut other_admin = as_admin(&app, &other);
    assert_eq!(other_admin.call("invitations/list", &[]).await.body, "[]");
    assert_eq!(
        other_admin
            .call("invitations/revoke", &[("id", &id)])
            .await
            .status,
        404
    );
    let unknown = Client::new(&app)
        .call("invitations/preview", &[("token", "made-up-token")])
        .await;
    assert_eq!(unknown.status, 409);
}

/// An invitation gives its role on the inviter's authority: once the
/// inviter may no longer give it (demoted, or deactivated), the link no
/// longer works, and nothing is created; an Admin's invitation still does.
#[tokio::test]
async fn an_invitation_holds_only_while_its_inviter_may_give_the_role() {
    let (app, _clock) = app_with_clock().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let inviter_role = crate::common::custom_role(
        &app,
        &acme,
        "Team lead",
        &[
            app::model::authz::Authority::ManageUsers,
            app::model::authz::Authority::ManageUserApiKey,
        ],
    )
    .await;
    create_bot(&app, &acme, "lead-bot", inviter_role).await;
    let developer = role_id(&acme, "Developer").to_string();
    let mut lead = signed_in(&app, "lead-bot").await;
    let r = lead
        .call(
            "invitations/create",
            &[("contact", "first@example.com"), ("role_id", &developer)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let demoted_link = token_of(&r.body);
    let r = lead
        .call(
            "invitations/create",
            &[("contact", "second@example.com"), ("role_id", &developer)],
        )
        .await;
    let deactivated_link = token_of(&r.body);
    let r = as_admin(&app, &acme)
        .call(
            "invitations/create",
            &[("contact", "third@example.com"), ("role_id", &developer)],
        )
        .await;
    let admins_link = token_of(&r.body);

    // The lead becomes a Member: their pending invitation stops working.
    let mut admin = as_admin(&app, &acme);
    let member = role_id(&acme, "Member").to_string();
    let r = admin
        .call(
            "users/set-role",
            &[("username", "lead-bot"), ("role_id", &member)],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    let users_before = user::Entity::find()
        .all(&app.server.state.db)
        .await
        .expect("q")
        .len();
    let r = Client::new(&app)
        .call("invitations/accept", &newcomer(&demoted_link))
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("invitation_invalid"), "{}", r.body);
    // Back in their role but deactivated: still not.
    let lead_role = inviter_role.to_string();
    admin
        .call(
            "users/set-role",
            &[("username", "lead-bot"), ("role_id", &lead_role)],
        )
        .await;
    admin
        .call(
            "users/set-status",
            &[("username", "lead-bot"), ("active", "false")],
        )
        .await;
    let r = Client::new(&app)
        .call("invitations/accept", &newcomer(&deactivated_link))
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(
        user::Entity::find()
            .all(&app.server.state.db)
            .await
            .expect("q")
            .len(),
        users_before,
        "nobody was created"
    );
    // The Admin's invitation is untouched by all that.
    let r = Client::new(&app)
        .call("invitations/accept", &newcomer(&admins_link))
        .await;
    assert!(r.status < 400, "{}", r.body);
}
