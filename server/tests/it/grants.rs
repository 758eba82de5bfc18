//! "Nobody grants what they do not hold" (PRODUCT.md, Who may grant what),
//! over the real router. For each authority, a user whose custom role has
//! exactly that one tries every way of giving a role or an authority, with
//! Admin, Developer, Member and a custom role as the target; a user whose
//! custom role has all six (but is not Admin) is the control. The answer
//! each call should get is written out in [`model`]. What the pages offer:
//! `grants_pages.rs`; members who hold more than the giver:
//! `grants_members.rs`. Then the two rules that need a lock are tested under
//! real concurrency in `grant_races.rs`.

mod model;

use crate::common::grants::{put_in_role, snapshot, user_id};
use crate::common::{
    Client, GOOD_PASSWORD, Org, TestApp, app, create_bot, custom_role, org, role_id,
};
use app::backend::entities::{invitation, membership, role, role_authority};
use app::model::authz::Authority;
use model::{Expected, PATHS, Path, TARGETS, Target, boxes, expected};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

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
