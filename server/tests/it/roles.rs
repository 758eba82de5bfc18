//! Custom roles: create, rename, re-authorize, delete; built-in roles fixed;
//! every roles server function × who may call it.

use crate::common::{Client, TestApp, app, as_admin, create_bot, org, role_id, signed_in};
use app::backend::entities::{audit_event, role, role_authority};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

async fn role_named(app: &TestApp, org_id: i64, name: &str) -> Option<role::Model> {
    role::Entity::find()
        .filter(role::Column::OrganizationId.eq(org_id))
        .filter(role::Column::Name.eq(name))
        .one(&app.server.state.db)
        .await
        .expect("q")
}

async fn authorities(app: &TestApp, role_id: i64) -> Vec<String> {
    let mut list: Vec<String> = role_authority::Entity::find()
        .filter(role_authority::Column::RoleId.eq(role_id))
        .all(&app.server.state.db)
        .await
        .expect("q")
        .into_iter()
        .map(|a| a.authority)
        .collect();
    list.sort();
    list
}

#[tokio::test]
async fn custom_role_lifecycle() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);

    let created = admin
        .call(
            "roles/create",
            &[
                ("name", "Support"),
                ("manage_users", "on"),
                ("view_audit_log", "on"),
            ],
        )
        .await;
    assert!(created.status < 400, "{}", created.body);
    let support = role_named(&app, acme.id, "Support").await.expect("created");
    assert!(!support.builtin);
    assert_eq!(
        authorities(&app, support.id).await,
        ["manage_users", "view_audit_log"]
    );

    let dup = admin.call("roles/create", &[("name", "support")]).await;
    assert_eq!(dup.status, 422);
    assert!(dup.body.contains("NameTaken"));
    let empty = admin.call("roles/create", &[("name", "  ")]).await;
    assert_eq!(empty.status, 422);

    // A holder of the role gains an authority on their next request.
    create_bot(&app, &acme, "helpdesk", support.id).await;
    let mut holder = signed_in(&app, "helpdesk").await;
    assert_eq!(holder.call("roles/list", &[]).await.status, 403);
    let id = support.id.to_string();
    let updated = admin
        .call(
            "roles/update",
            &[
                ("role_id", &id),
                ("name", "Support desk"),
                ("manage_roles", "on"),
            ],
        )
        .await;
    assert!(updated.status < 400, "{}", updated.body);
    assert_eq!(authorities(&app, support.id).await, ["manage_roles"]);
    assert_eq!(holder.call("roles/list", &[]).await.status, 200);
    assert!(role_named(&app, acme.id, "Support desk").await.is_some());

    let in_use = admin.call("roles/delete", &[("role_id", &id)]).await;
    assert_eq!(in_use.status, 409);
    assert!(in_use.body.contains("role_in_use"));
    let member = role_id(&acme, "Member").to_string();
    admin
        .call(
            "users/set-role",
            &[("username", "helpdesk"), ("role_id", &member)],
        )
        .await;
    let deleted = admin.call("roles/delete", &[("role_id", &id)]).await;
    assert!(deleted.status < 400, "{}", deleted.body);
    assert!(role_named(&app, acme.id, "Support desk").await.is_none());
    assert!(
        authorities(&app, support.id).await.is_empty(),
        "authorities go with the role"
    );

    let actions: Vec<String> = audit_event::Entity::find()
        .all(&app.server.state.db)
        .await
        .expect("audit")
        .into_iter()
        .map(|e| e.action)
        .collect();
    for expected in [
        "role.created",
        "role.edited",
        "role.deleted",
        "role.changed",
    ] {
        assert!(actions.iter().any(|a| a == expected), "{expected}");
    }
}

#[tokio::test]
async fn built_in_roles_cannot_be_changed() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let admin_role = role_id(&acme, "Admin").to_string();
    let before = authorities(&app, role_id(&acme, "Admin")).await;
    let update = admin
        .call(
            "roles/update",
            &[("role_id", &admin_role), ("name", "Boss")],
        )
        .await;
    assert_eq!(update.status, 409);
    let delete = admin
        .call("roles/delete", &[("role_id", &admin_role)])
        .await;
    assert_eq!(delete.status, 409);
    assert_eq!(authorities(&app, role_id(&acme, "Admin")).await, before);
    assert!(role_named(&app, acme.id, "Admin").await.is_some());
}

#[tokio::test]
async fn permission_matrix_of_roles() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let other = org(&app, "admin@other.example", "Other").await;
    create_bot(&app, &acme, "member-bot", role_id(&acme, "Member")).await;
    create_bot(&app, &acme, "dev-bot", role_id(&acme, "Developer")).await;
    let created = as_admin(&app, &acme)
        .call("roles/create", &[("name", "Target")])
        .await;
    assert!(created.status < 400);
    let target = role_named(&app, acme.id, "Target")
        .await
        .expect("role")
        .id
        .to_string();

    let calls: [(&str, Vec<(&str, &str)>); 3] = [
        ("roles/list", vec![]),
        (
            "roles/update",
            vec![
                ("role_id", target.as_str()),
                ("name", "Renamed"),
                ("manage_users", "on"),
            ],
        ),
        ("roles/delete", vec![("role_id", target.as_str())]),
    ];
    for (who, expected) in [
        ("anonymous", [401, 401, 401]),
        ("member", [403, 403, 403]),
        ("developer", [403, 403, 403]),
        ("other-admin", [200, 404, 404]),
    ] {
        for ((endpoint, args), expected) in calls.iter().zip(expected) {
            let mut client = match who {
                "anonymous" => Client::new(&app),
                "member" => signed_in(&app, "member-bot").await,
                "developer" => signed_in(&app, "dev-bot").await,
                _ => as_admin(&app, &other),
            };
            let response = client.call(endpoint, args).await;
            assert_eq!(
                response.status, expected,
                "{who} {endpoint}: {}",
                response.body
            );
            if who == "other-admin" && *endpoint == "roles/list" {
                assert!(
                    !response.body.contains("Target"),
                    "no other organization's roles"
                );
            }
            let still = role_named(&app, acme.id, "Target")
                .await
                .expect("unchanged");
            assert!(
                authorities(&app, still.id).await.is_empty(),
                "{who} {endpoint} changed nothing"
            );
        }
    }
    let mut admin = as_admin(&app, &acme);
    for (endpoint, args) in &calls {
        let response = admin.call(endpoint, args).await;
        assert!(response.status < 400, "admin {endpoint}: {}", response.body);
    }
}
