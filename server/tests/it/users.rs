//! User Management over the real router: the permission matrix (every users
//! server function × anonymous, Member, Developer, Admin, a custom role and
//! an Admin of another organization), scoping, and the last-Admin rule.

use crate::common::{
    Client, GOOD_PASSWORD, TestApp, app, as_admin, create_bot, custom_role, org, role_id, signed_in,
};
use app::backend::entities::{audit_event, membership, user};
use app::model::users::UserStatus;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

async fn snapshot(app: &TestApp) -> (usize, Vec<(i64, i64, UserStatus)>) {
    let users = user::Entity::find()
        .all(&app.server.state.db)
        .await
        .expect("users")
        .len();
    let mut memberships: Vec<(i64, i64, UserStatus)> = membership::Entity::find()
        .all(&app.server.state.db)
        .await
        .expect("memberships")
        .into_iter()
        .map(|m| (m.user_id, m.role_id, m.status))
        .collect();
    memberships.sort();
    (users, memberships)
}

#[tokio::test]
async fn permission_matrix_of_user_management() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let other = org(&app, "admin@other.example", "Other").await;
    create_bot(&app, &acme, "member-bot", role_id(&acme, "Member")).await;
    create_bot(&app, &acme, "dev-bot", role_id(&acme, "Developer")).await;
    let support = custom_role(
        &app,
        &acme,
        "Support",
        &[app::model::authz::Authority::ManageUsers],
    )
    .await;
    create_bot(&app, &acme, "support-bot", support).await;
    create_bot(&app, &acme, "target-bot", role_id(&acme, "Member")).await;
    let member_role = role_id(&acme, "Member").to_string();
    let developer_role = role_id(&acme, "Developer").to_string();

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Who {
        Anonymous,
        Member,
        Developer,
        Admin,
        Custom,
        OtherAdmin,
    }
    let mut cases = 0;
    let mut endpoints = 0;
    let everyone = [
        Who::Anonymous,
        Who::Member,
        Who::Developer,
        Who::Custom,
        Who::OtherAdmin,
        Who::Admin,
    ];
    for (index, who) in everyone.into_iter().enumerate() {
        let new_name = format!("new-bot-{index}");
        // (endpoint, args, needs Manage Roles, changes state)
        type Call<'a> = (&'a str, Vec<(&'a str, &'a str)>, bool, bool);
        let calls: Vec<Call> = vec![
            (
                "users/list",
                vec![
                    ("filter[search]", ""),
                    ("filter[status]", ""),
                    ("filter[kind]", ""),
                    ("filter[page]", "1"),
                ],
                false,
                false,
            ),
            (
                "users/details",
                vec![("username", "target-bot")],
                false,
                false,
            ),
            ("users/roles", vec![], false, false),
            (
                "users/set-status",
                vec![("username", "target-bot"), ("active", "false")],
                false,
                true,
            ),
            (
                "users/set-role",
                vec![("username", "target-bot"), ("role_id", &developer_role)],
                true,
                true,
            ),
            (
                "users/create-programmatic",
                vec![
                    ("username", new_name.as_str()),
                    ("name", ""),
                    ("password", GOOD_PASSWORD),
                    ("role_id", &member_role),
                ],
                false,
                true,
            ),
        ];
        endpoints = calls.len();
        for (endpoint, args, needs_roles, changes) in &calls {
            let before = snapshot(&app).await;
            let mut client = match who {
                Who::Anonymous => Client::new(&app),
                Who::Member => signed_in(&app, "member-bot").await,
                Who::Developer => signed_in(&app, "dev-bot").await,
                Who::Custom => signed_in(&app, "support-bot").await,
                Who::Admin => as_admin(&app, &acme),
                Who::OtherAdmin => as_admin(&app, &other),
            };
            let response = client.call(endpoint, args).await;
            let expected: u16 = match who {
                Who::Anonymous => 401,
                Who::Member | Who::Developer => 403,
                Who::Custom if *needs_roles => 403,
                Who::OtherAdmin
                    if matches!(
                        *endpoint,
                        "users/details" | "users/set-status" | "users/set-role"
                    ) =>
                {
                    404
                }
                // Acme's Member role is unknown in the other organization.
                Who::OtherAdmin if *endpoint == "users/create-programmatic" => 422,
                _ => 200,
            };
            let status = if (300..400).contains(&response.status) {
                200
            } else {
                response.status
            };
            assert_eq!(status, expected, "{who:?} {endpoint}: {}", response.body);
            if expected != 200 || !changes {
                assert_eq!(
                    snapshot(&app).await,
                    before,
                    "{who:?} {endpoint} changed nothing"
                );
            }
            if who == Who::OtherAdmin && *endpoint == "users/list" {
                assert!(
                    !response.body.contains("target-bot"),
                    "no other organization's users"
                );
            }
            cases += 1;
        }
        if who == Who::Custom {
            // Undo what the custom role did, so the Admin row starts clean.
            let r = as_admin(&app, &acme)
                .call(
                    "users/set-status",
                    &[("username", "target-bot"), ("active", "true")],
                )
                .await;
            assert!(r.status < 400);
        }
    }
    assert_eq!(cases, 6 * endpoints);
    let other_org_bot = user::Entity::find()
        .filter(user::Column::Username.eq("new-bot-3"))
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("created by an allowed caller");
    let m = membership::Entity::find()
        .filter(membership::Column::UserId.eq(other_org_bot.id))
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("membership");
    assert_eq!(
        m.organization_id, acme.id,
        "the custom role created it in its own organization"
    );
}

#[tokio::test]
async fn search_filters_and_pagination() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    for i in 0..23 {
        create_bot(
            &app,
            &acme,
            &format!("bot-{i:02}"),
            role_id(&acme, "Member"),
        )
        .await;
    }
    let mut admin = as_admin(&app, &acme);
    let list = |search: &'static str, kind: &'static str, page: &'static str| {
        vec![
            ("filter[search]", search),
            ("filter[status]", ""),
            ("filter[kind]", kind),
            ("filter[page]", page),
        ]
    };
    let page1: serde_json::Value =
        serde_json::from_str(&admin.call("users/list", &list("", "", "1")).await.body)
            .expect("json");
    assert_eq!(page1["total"], 24);
    assert_eq!(page1["pages"], 2);
    assert_eq!(page1["rows"].as_array().map(Vec::len), Some(20));
    let page2: serde_json::Value =
        serde_json::from_str(&admin.call("users/list", &list("", "", "2")).await.body)
            .expect("json");
    assert_eq!(page2["rows"].as_array().map(Vec::len), Some(4));
    let humans: serde_json::Value =
        serde_json::from_str(&admin.call("users/list", &list("", "human", "1")).await.body)
            .expect("json");
    assert_eq!(humans["total"], 1);
    let search: serde_json::Value =
        serde_json::from_str(&admin.call("users/list", &list("BOT-1", "", "1")).await.body)
            .expect("json");
    assert_eq!(search["total"], 10, "bot-10..bot-19, case-insensitive");
    let wildcard: serde_json::Value =
        serde_json::from_str(&admin.call("users/list", &list("%", "", "1")).await.body)
            .expect("json");
    assert_eq!(wildcard["total"], 0, "% is a literal, not a wildcard");
}

#[tokio::test]
async fn the_last_admin_cannot_be_demoted_or_deactivated() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let member = role_id(&acme, "Member").to_string();
    let before = snapshot(&app).await;
    let demote = admin
        .call(
            "users/set-role",
            &[("username", "admin@acme.example"), ("role_id", &member)],
        )
        .await;
    assert_eq!(demote.status, 409, "{}", demote.body);
    assert!(demote.body.contains("last_admin"));
    create_bot(&app, &acme, "ops-bot", role_id(&acme, "Admin")).await;
    let mut bot = signed_in(&app, "ops-bot").await;
    let deactivate = bot
        .call(
            "users/set-status",
            &[("username", "ops-bot"), ("active", "false")],
        )
        .await;
    assert_eq!(
        deactivate.status, 200,
        "another Admin remains: {}",
        deactivate.body
    );
    let last = admin
        .call(
            "users/set-status",
            &[("username", "admin@acme.example"), ("active", "false")],
        )
        .await;
    assert_eq!(last.status, 409);
    let after = snapshot(&app).await;
    assert_eq!(after.0, before.0 + 1);
}

#[tokio::test]
async fn deactivation_signs_the_user_out_and_is_audited() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    create_bot(&app, &acme, "crm-sync", role_id(&acme, "Developer")).await;
    let mut bot = signed_in(&app, "crm-sync").await;
    assert_eq!(bot.me().await["username"], "crm-sync");
    let r = as_admin(&app, &acme)
        .call(
            "users/set-status",
            &[("username", "crm-sync"), ("active", "false")],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    let after = bot.me().await;
    let rows = membership::Entity::find()
        .all(&app.server.state.db)
        .await
        .expect("m");
    assert!(
        after.is_null(),
        "signed out on the next request: {after} {r:?} {rows:?}",
        r = (r.status, &r.body)
    );
    let again = Client::new(&app)
        .call(
            "auth/sign-in",
            &[("login", "crm-sync"), ("password", GOOD_PASSWORD)],
        )
        .await;
    assert_eq!(again.status, 401);
    let r = as_admin(&app, &acme)
        .call(
            "users/set-status",
            &[("username", "crm-sync"), ("active", "true")],
        )
        .await;
    assert!(r.status < 400);
    signed_in(&app, "crm-sync").await;
    let actions: Vec<String> = audit_event::Entity::find()
        .all(&app.server.state.db)
        .await
        .expect("audit")
        .into_iter()
        .map(|e| e.action)
        .collect();
    for expected in ["user.deactivated", "user.activated", "user.created"] {
        assert!(actions.iter().any(|a| a == expected), "{expected}");
    }
}

#[tokio::test]
async fn bad_programmatic_user_input_is_refused() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let other = org(&app, "admin@other.example", "Other").await;
    let mut admin = as_admin(&app, &acme);
    let member = role_id(&acme, "Member").to_string();
    let foreign_role = role_id(&other, "Admin").to_string();
    let before = snapshot(&app).await;
    for (username, password, role, problem) in [
        ("a b", GOOD_PASSWORD, member.as_str(), "InvalidUsername"),
        ("ok-bot", "short", member.as_str(), "PasswordTooShort"),
        (
            "admin@acme.example",
            GOOD_PASSWORD,
            member.as_str(),
            "InvalidUsername",
        ),
        ("ok-bot", GOOD_PASSWORD, foreign_role.as_str(), "Role"),
    ] {
        let r = admin
            .call(
                "users/create-programmatic",
                &[
                    ("username", username),
                    ("name", ""),
                    ("password", password),
                    ("role_id", role),
                ],
            )
            .await;
        assert_eq!(r.status, 422, "{username}: {}", r.body);
        assert!(r.body.contains(problem), "{username}: {}", r.body);
    }
    create_bot(&app, &acme, "dup-bot", role_id(&acme, "Member")).await;
    let dup = admin
        .call(
            "users/create-programmatic",
            &[
                ("username", "DUP-bot"),
                ("name", ""),
                ("password", GOOD_PASSWORD),
                ("role_id", &member),
            ],
        )
        .await;
    assert!(dup.body.contains("UsernameTaken"), "{}", dup.body);
    assert_eq!(snapshot(&app).await.0, before.0 + 1);
}
