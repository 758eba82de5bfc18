//! "Nobody grants what they do not hold" (PRODUCT.md, Who may grant what),
//! over the real router. For each authority, a user whose custom role has
//! exactly that one tries every way of giving a role or an authority, with
//! Admin, Developer, Member and a custom role as the target; a user whose
//! custom role has all six (but is not Admin) is the control. Then the two
//! rules that need a lock are tested under real concurrency in
//! `grant_races.rs`.
mod common;

use app::authz::Authority;
use app::backend::entities::{invitation, membership, role, role_authority, user};
use common::grants::{put_in_role, user_id};
use common::{
    Client, GOOD_PASSWORD, Org, TestApp, app, as_admin, create_bot, custom_role, org, role_id,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Target {
    Admin,
    Developer,
    Member,
    /// A custom role with Manage Users.
    Custom,
}

const TARGETS: [Target; 4] = [
    Target::Admin,
    Target::Developer,
    Target::Member,
    Target::Custom,
];

impl Target {
    fn authorities(self) -> &'static [Authority] {
        match self {
            Target::Admin => &Authority::ALL,
            Target::Developer => &[Authority::ManageUserApiKey],
            Target::Member => &[],
            Target::Custom => &[Authority::ManageUsers],
        }
    }
}

/// Every way of giving something, for one target role.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Path {
    CreateProgrammaticUser,
    Invite,
    SetRoleOfAnother,
    SetRoleOfThemself,
    /// Their own role, with the target's authorities added.
    EditOwnRole,
    /// The target role, with an authority the actor lacks added.
    EditRoleAddingLacked,
    /// The target role, with the actor's own authority added.
    EditRoleAddingHeld,
    /// A new role with the target's authorities.
    CreateRoleLike,
    /// Their own role (no target).
    DeleteOwnRole,
}

const PATHS: [Path; 8] = [
    Path::CreateProgrammaticUser,
    Path::Invite,
    Path::SetRoleOfAnother,
    Path::SetRoleOfThemself,
    Path::EditOwnRole,
    Path::EditRoleAddingLacked,
    Path::EditRoleAddingHeld,
    Path::CreateRoleLike,
];

#[derive(Clone, Debug, PartialEq)]
enum Expected {
    Allowed,
    /// 403 from the guard: the call itself needs an authority they lack.
    Forbidden,
    /// 403 from the grant rules, with this reason.
    Refused(&'static str),
    /// 409: built-in roles are never edited.
    Builtin,
}

fn holds(actor: &[Authority], wanted: &[Authority]) -> bool {
    wanted.iter().all(|a| actor.contains(a))
}

/// The rules, written out independently of the service.
fn expected(actor: &[Authority], path: Path, target: Target) -> Expected {
    let needs = match path {
        Path::CreateProgrammaticUser | Path::Invite => Authority::ManageUsers,
        _ => Authority::ManageRoles,
    };
    if !actor.contains(&needs) {
        return Expected::Forbidden;
    }
    let give = || {
        if target == Target::Admin && !holds(actor, &Authority::ALL) {
            Expected::Refused("admin_role")
        } else if !holds(actor, target.authorities()) {
            Expected::Refused("role_exceeds_yours")
        } else {
            Expected::Allowed
        }
    };
    match path {
        Path::CreateProgrammaticUser
        | Path::Invite
        | Path::SetRoleOfAnother
        | Path::SetRoleOfThemself => give(),
        Path::EditOwnRole => Expected::Refused("own_role"),
        Path::EditRoleAddingLacked | Path::EditRoleAddingHeld if target != Target::Custom => {
            Expected::Builtin
        }
        Path::EditRoleAddingLacked | Path::EditRoleAddingHeld
            if !holds(actor, target.authorities()) =>
        {
            Expected::Refused("role_exceeds_yours")
        }
        Path::EditRoleAddingLacked => Expected::Refused("authority_not_held"),
        Path::EditRoleAddingHeld => Expected::Allowed,
        Path::CreateRoleLike if holds(actor, target.authorities()) => Expected::Allowed,
        Path::CreateRoleLike => Expected::Refused("authority_not_held"),
        Path::DeleteOwnRole => Expected::Refused("own_role"),
    }
}

/// The form field of an authority's checkbox.
fn boxes(authorities: &[Authority]) -> Vec<(&'static str, &'static str)> {
    authorities.iter().map(|a| (a.as_str(), "on")).collect()
}

/// Roles, their authorities, memberships, users and invitations of the
/// organization, as text: what any grant would change.
async fn snapshot(app: &TestApp, org_id: i64) -> String {
    let db = &app.server.state.db;
    let roles = role::Entity::find()
        .filter(role::Column::OrganizationId.eq(org_id))
        .order_by_asc(role::Column::Id)
        .all(db)
        .await
        .expect("roles");
    let authorities = role_authority::Entity::find()
        .filter(role_authority::Column::RoleId.is_in(roles.iter().map(|r| r.id)))
        .order_by_asc(role_authority::Column::RoleId)
        .order_by_asc(role_authority::Column::Authority)
        .all(db)
        .await
        .expect("authorities");
    let memberships = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(org_id))
        .order_by_asc(membership::Column::UserId)
        .all(db)
        .await
        .expect("memberships");
    let users = user::Entity::find()
        .order_by_asc(user::Column::Id)
        .all(db)
        .await
        .expect("users")
        .into_iter()
        .map(|u| (u.id, u.username, u.status))
        .collect::<Vec<_>>();
    let invitations = invitation::Entity::find()
        .filter(invitation::Column::OrganizationId.eq(org_id))
        .order_by_asc(invitation::Column::Id)
        .all(db)
        .await
        .expect("invitations");
    format!("{roles:?}\n{authorities:?}\n{memberships:?}\n{users:?}\n{invitations:?}")
}

async fn role_of(app: &TestApp, org: &Org, username: &str) -> i64 {
    membership::Entity::find_by_id((user_id(app, username).await, org.id))
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("membership")
        .role_id
}

/// Gives a role exactly `authorities`, behind the app's back.
async fn set_authorities(app: &TestApp, role_id: i64, authorities: &[Authority]) {
    let db = &app.server.state.db;
    role_authority::Entity::delete_many()
        .filter(role_authority::Column::RoleId.eq(role_id))
        .exec(db)
        .await
        .expect("clear");
    for a in authorities {
        role_authority::ActiveModel {
            role_id: Set(role_id),
            authority: Set(a.as_str().into()),
        }
        .insert(db)
        .await
        .expect("authority");
    }
}

async fn authorities_of(app: &TestApp, role_id: i64) -> Vec<String> {
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

fn sorted(authorities: &[Authority]) -> Vec<String> {
    let mut list: Vec<String> = authorities.iter().map(|a| a.as_str().to_owned()).collect();
    list.sort();
    list.dedup();
    list
}

struct Actor {
    login: String,
    role: i64,
    role_name: String,
    authorities: Vec<Authority>,
}

#[tokio::test]
async fn nobody_grants_what_they_do_not_hold() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let helpdesk = custom_role(&app, &acme, "Helpdesk", Target::Custom.authorities()).await;
    let blank = custom_role(&app, &acme, "Blank", &[]).await;
    create_bot(&app, &acme, "subject-bot", blank).await;
    let target_role = |t: Target| match t {
        Target::Admin => role_id(&acme, "Admin"),
        Target::Developer => role_id(&acme, "Developer"),
        Target::Member => role_id(&acme, "Member"),
        Target::Custom => helpdesk,
    };

    let mut actors = Vec::new();
    for (i, authority) in Authority::ALL.into_iter().enumerate() {
        let name = format!("Only {}", authority.as_str());
        let role = custom_role(&app, &acme, &name, &[authority]).await;
        let login = format!("actor-{i}");
        create_bot(&app, &acme, &login, role).await;
        actors.push(Actor {
            login,
            role,
            role_name: name,
            authorities: vec![authority],
        });
    }
    let owner = custom_role(&app, &acme, "Owner", &Authority::ALL).await;
    create_bot(&app, &acme, "owner-bot", owner).await;
    actors.push(Actor {
        login: "owner-bot".into(),
        role: owner,
        role_name: "Owner".into(),
        authorities: Authority::ALL.to_vec(),
    });

    let (mut allowed, mut refused, mut case_no) = (0, 0, 0);
    for (index, actor) in actors.iter().enumerate() {
        let mut client = Client::new(&app).with_ip([192, 0, 2, 50 + index as u8]);
        let r = client
            .call(
                "auth/sign-in",
                &[("login", actor.login.as_str()), ("password", GOOD_PASSWORD)],
            )
            .await;
        assert!(r.status < 400, "{}: {}", actor.login, r.body);

        let mut cases: Vec<(Path, Option<Target>)> = Vec::new();
        for path in PATHS {
            for target in TARGETS {
                cases.push((path, Some(target)));
            }
        }
        // Deleting their own role has no target (the argument is unused).
        cases.push((Path::DeleteOwnRole, None));
        for (path, target) in cases {
            case_no += 1;
            let expected = expected(&actor.authorities, path, target.unwrap_or(Target::Member));
            let target_id = target.map(target_role).unwrap_or(actor.role).to_string();
            let username = format!("made-{case_no}");
            let contact = format!("invitee-{case_no}@example.com");
            let new_role_name = format!("Made {case_no}");
            let lacked = Authority::ALL.into_iter().find(|a| {
                !actor.authorities.contains(a)
                    && !target.is_some_and(|t| t.authorities().contains(a))
            });
            if path == Path::EditRoleAddingLacked && lacked.is_none() {
                // The control holds every authority: nothing to lack.
                continue;
            }
            let before = snapshot(&app, acme.id).await;
            let response = match (path, target) {
                (Path::DeleteOwnRole, _) | (_, None) => {
                    client
                        .call("roles/delete", &[("role_id", target_id.as_str())])
                        .await
                }
                (Path::CreateProgrammaticUser, _) => {
                    client
                        .call(
                            "users/create-programmatic",
                            &[
                                ("username", username.as_str()),
                                ("name", ""),
                                ("password", GOOD_PASSWORD),
                                ("role_id", &target_id),
                            ],
                        )
                        .await
                }
                (Path::Invite, _) => {
                    client
                        .call(
                            "invitations/create",
                            &[("contact", contact.as_str()), ("role_id", &target_id)],
                        )
                        .await
                }
                (Path::SetRoleOfAnother | Path::SetRoleOfThemself, _) => {
                    let who = if path == Path::SetRoleOfAnother {
                        "subject-bot"
                    } else {
                        actor.login.as_str()
                    };
                    client
                        .call(
                            "users/set-role",
                            &[("username", who), ("role_id", &target_id)],
                        )
                        .await
                }
                (Path::EditOwnRole, Some(t)) => {
                    let mut wanted = actor.authorities.clone();
                    wanted.extend_from_slice(t.authorities());
                    wanted.sort();
                    wanted.dedup();
                    let own = actor.role.to_string();
                    let mut form = vec![
                        ("role_id", own.as_str()),
                        ("name", actor.role_name.as_str()),
                    ];
                    form.extend(boxes(&wanted));
                    client.call("roles/update", &form).await
                }
                (Path::EditRoleAddingLacked | Path::EditRoleAddingHeld, Some(t)) => {
                    let mut wanted = t.authorities().to_vec();
                    if path == Path::EditRoleAddingLacked {
                        wanted.extend(lacked);
                    } else {
                        wanted.extend(actor.authorities.iter().copied());
                    }
                    wanted.sort();
                    wanted.dedup();
                    let name = match t {
                        Target::Admin => "Admin",
                        Target::Developer => "Developer",
                        Target::Member => "Member",
                        Target::Custom => "Helpdesk",
                    };
                    let mut form = vec![("role_id", target_id.as_str()), ("name", name)];
                    form.extend(boxes(&wanted));
                    client.call("roles/update", &form).await
                }
                (Path::CreateRoleLike, Some(t)) => {
                    let mut form = vec![("name", new_role_name.as_str())];
                    form.extend(boxes(t.authorities()));
                    client.call("roles/create", &form).await
                }
            };
            let body: String = response.body.chars().take(300).collect();
            let case = format!(
                "{} ({:?}) {path:?} {target:?}: {} {body}",
                actor.login, actor.authorities, response.status
            );
            match &expected {
                Expected::Allowed => {
                    assert!(
                        response.status < 400,
                        "should be allowed, expected {expected:?}: {case}"
                    );
                    allowed += 1;
                }
                refusal => {
                    let (status, marker) = match refusal {
                        Expected::Forbidden => (403, "\"Forbidden\"".to_owned()),
                        Expected::Refused(reason) => {
                            (403, format!("{{\"GrantRefused\":\"{reason}\"}}"))
                        }
                        _ => (409, "builtin_role".to_owned()),
                    };
                    assert_eq!(response.status, status, "expected {expected:?}: {case}");
                    assert!(body.contains(&marker), "expected {marker}: {case}");
                    assert_eq!(
                        snapshot(&app, acme.id).await,
                        before,
                        "refused, yet changed: {case}"
                    );
                    refused += 1;
                    continue;
                }
            }
            // Allowed: the change is there; then the stage is set back.
            let t = target.expect("allowed cases have a target");
            match path {
                Path::CreateProgrammaticUser => {
                    assert_eq!(
                        role_of(&app, &acme, &username).await,
                        target_role(t),
                        "{case}"
                    );
                }
                Path::Invite => {
                    let made = invitation::Entity::find()
                        .filter(invitation::Column::Contact.eq(contact.as_str()))
                        .one(&app.server.state.db)
                        .await
                        .expect("q")
                        .expect("invitation");
                    assert_eq!(made.role_id, target_role(t), "{case}");
                }
                Path::SetRoleOfAnother => {
                    assert_eq!(role_of(&app, &acme, "subject-bot").await, target_role(t));
                    put_in_role(&app, &acme, "subject-bot", blank).await;
                }
                Path::SetRoleOfThemself => {
                    assert_eq!(role_of(&app, &acme, &actor.login).await, target_role(t));
                    put_in_role(&app, &acme, &actor.login, actor.role).await;
                }
                Path::EditRoleAddingHeld => {
                    let mut wanted = t.authorities().to_vec();
                    wanted.extend(actor.authorities.iter().copied());
                    assert_eq!(authorities_of(&app, helpdesk).await, sorted(&wanted));
                    set_authorities(&app, helpdesk, Target::Custom.authorities()).await;
                }
                Path::CreateRoleLike => {
                    let made = role::Entity::find()
                        .filter(role::Column::OrganizationId.eq(acme.id))
                        .filter(role::Column::Name.eq(new_role_name.as_str()))
                        .one(&app.server.state.db)
                        .await
                        .expect("q")
                        .expect("role");
                    assert_eq!(authorities_of(&app, made.id).await, sorted(t.authorities()));
                }
                Path::EditOwnRole | Path::EditRoleAddingLacked | Path::DeleteOwnRole => {
                    unreachable!("never allowed: {case}")
                }
            }
        }
    }
    println!("grant matrix: {allowed} allowed and {refused} refused calls");
    // The matrix must exercise both answers of every rule.
    assert!(allowed >= 20 && refused >= 150, "{allowed} / {refused}");
}

/// The role pickers offer only roles the caller may give: Manage Users alone
/// is not offered Admin nor Developer; every authority is offered Admin.
#[tokio::test]
async fn role_pickers_offer_only_what_may_be_given() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let support = custom_role(&app, &acme, "Support", &[Authority::ManageUsers]).await;
    custom_role(&app, &acme, "Auditor", &[Authority::ViewAuditLog]).await;
    let owner = custom_role(&app, &acme, "Owner", &Authority::ALL).await;
    create_bot(&app, &acme, "support-bot", support).await;
    create_bot(&app, &acme, "owner-bot", owner).await;
    create_bot(&app, &acme, "dev-bot", role_id(&acme, "Developer")).await;

    let names = |body: &str| -> Vec<String> {
        let list: serde_json::Value = serde_json::from_str(body).expect("json");
        list.as_array()
            .expect("list")
            .iter()
            .map(|r| r["name"].as_str().expect("name").to_owned())
            .collect()
    };
    let mut support = common::signed_in(&app, "support-bot").await;
    let offered = support.call("users/roles", &[]).await;
    assert_eq!(offered.status, 200, "{}", offered.body);
    assert_eq!(names(&offered.body), ["Member", "Support"]);
    // The details page's picker: what may be given, and the role held now.
    let details = support
        .call("users/details", &[("username", "dev-bot")])
        .await;
    let details: serde_json::Value = serde_json::from_str(&details.body).expect("json");
    let picker: Vec<&str> = details["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(picker, ["Developer", "Member", "Support"]);

    let mut owner = common::signed_in(&app, "owner-bot").await;
    let offered = owner.call("users/roles", &[]).await;
    assert_eq!(
        names(&offered.body),
        [
            "Admin",
            "Developer",
            "Member",
            "Support",
            "Auditor",
            "Owner"
        ]
    );
    let admin = as_admin(&app, &acme).call("users/roles", &[]).await;
    assert_eq!(names(&admin.body), names(&offered.body));
}

/// A refused grant reads as a sentence in the page's language, not as
/// "not allowed".
#[tokio::test]
async fn a_refused_grant_is_explained() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let support = custom_role(&app, &acme, "Support", &[Authority::ManageUsers]).await;
    create_bot(&app, &acme, "support-bot", support).await;
    let mut support = common::signed_in(&app, "support-bot").await;
    let admin_role = role_id(&acme, "Admin").to_string();
    let r = support
        .call(
            "invitations/create",
            &[("contact", "boss@example.com"), ("role_id", &admin_role)],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let err: app::error::AppError = serde_json::from_str(&r.body).expect("AppError");
    assert_eq!(err, app::error::AppError::GrantRefused("admin_role".into()));
    for (file, words) in [
        ("en", "Only someone who holds every authority"),
        ("pl", "Rolę Admin może nadać tylko"),
    ] {
        let path = format!("{}/../app/locales/{file}.json", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect("locale");
        let json: serde_json::Value = serde_json::from_str(&text).expect("json");
        for key in [
            "grant_admin_role",
            "grant_role_exceeds_yours",
            "grant_own_role",
            "grant_authority_not_held",
        ] {
            assert!(json[key].is_string(), "{key} in {file}");
        }
        assert!(
            json["grant_admin_role"]
                .as_str()
                .is_some_and(|s| s.starts_with(words)),
            "{file}"
        );
    }
}

/// The pages offer nothing the server would refuse: the new-user form's role
/// picker lacks the roles the caller may not give; the Roles page shows the
/// caller's own role without an editor, and an authority the caller does not
/// hold cannot be ticked.
#[tokio::test]
async fn the_pages_offer_only_what_may_be_given() {
    let app = app().await;
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let steward = custom_role(
        &app,
        &acme,
        "Steward",
        &[Authority::ManageUsers, Authority::ManageRoles],
    )
    .await;
    let auditor = custom_role(&app, &acme, "Auditor", &[Authority::ViewAuditLog]).await;
    create_bot(&app, &acme, "steward-bot", steward).await;
    let mut client = common::signed_in(&app, "steward-bot").await;

    let page = client.get("/admin/programmatic-users/new").await;
    assert_eq!(page.status, 200);
    let options: Vec<&str> = page
        .body
        .split("<option")
        .skip(1)
        .filter_map(|o| o.split('>').nth(1)?.split('<').next())
        .collect();
    assert_eq!(options, ["Member", "Steward"], "{}", page.body);

    let page = client.get("/admin/roles").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("You cannot change or delete the role you hold yourself."),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains(&format!("id=\"role-{steward}-name\"")),
        "no editor of their own role"
    );
    assert!(page.body.contains(&format!("id=\"role-{auditor}-name\"")));
    let checkbox = |id: String| -> String {
        let start = page.body.find(&format!("id=\"{id}\"")).expect(&id);
        let open = page.body[..start].rfind('<').expect("tag");
        let end = start + page.body[start..].find('>').expect("tag end");
        page.body[open..end].to_owned()
    };
    assert!(!checkbox("new-role-manage_roles".into()).contains("disabled"));
    assert!(checkbox("new-role-view_audit_log".into()).contains("disabled"));
    // Auditor's View Audit Log may be taken away, not Manage Integrations added.
    assert!(!checkbox(format!("role-{auditor}-view_audit_log")).contains("disabled"));
    assert!(checkbox(format!("role-{auditor}-manage_integrations")).contains("disabled"));
    assert!(!checkbox(format!("role-{auditor}-manage_users")).contains("disabled"));
}

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

    let mut users = common::signed_in(&app, "users-bot").await;
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

    let mut roles = common::signed_in(&app, "roles-bot").await;
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
