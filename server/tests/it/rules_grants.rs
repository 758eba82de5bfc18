//! Nobody gives what they do not hold, tested on the services themselves
//! (no router), on SQLite and PostgreSQL; see `rules.rs`.

use crate::rules::{
    audited, bot, builtin_role, custom_role, memberships, meta, new_bot, refused, register,
    username,
};
use app::backend::entities::{role, user};
use app::backend::services::{grants, roles, users};
use app::backend::state::AppState;
use app::model::authz::{Authority, BuiltinRole};
use app::model::error::GrantRefusal;
use app::model::users::UserStatus;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::common::app;

/// Every role of the organization with its authorities, sorted.
async fn roles_and_authorities(state: &AppState, org_id: i64) -> Vec<(i64, String, Vec<String>)> {
    let mut out = Vec::new();
    for r in role::Entity::find()
        .filter(role::Column::OrganizationId.eq(org_id))
        .order_by_asc(role::Column::Id)
        .all(&state.db)
        .await
        .expect("roles")
    {
        let mut authorities: Vec<String> = grants::authorities_of(&state.db, r.id)
            .await
            .expect("authorities")
            .iter()
            .map(|a| a.as_str().to_owned())
            .collect();
        authorities.sort();
        out.push((r.id, r.name, authorities));
    }
    out
}

async fn user_count(state: &AppState) -> u64 {
    user::Entity::find().count(&state.db).await.expect("count")
}

#[tokio::test]
async fn a_delegated_admin_gives_no_role_beyond_their_own_authorities() {
    let app = app().await;
    let state = &app.server.state;
    let admin = register(state, "admin@acme.example", "Acme").await;
    let org = admin.organization.id;
    let admin_role = builtin_role(state, org, BuiltinRole::Admin).await;
    let developer = builtin_role(state, org, BuiltinRole::Developer).await;
    let member = builtin_role(state, org, BuiltinRole::Member).await;
    // The delegate manages users and roles, and nothing else.
    let people = custom_role(
        state,
        &admin,
        "People",
        &[Authority::ManageUsers, Authority::ManageRoles],
    )
    .await;
    let within = custom_role(state, &admin, "Within", &[Authority::ManageUsers]).await;
    let beyond = custom_role(
        state,
        &admin,
        "Beyond",
        &[Authority::ManageUsers, Authority::ManageAllApiKeys],
    )
    .await;
    let delegate = bot(state, &admin, "delegate-bot", people).await;
    let newbie = bot(state, &admin, "newbie-bot", member).await;

    let users_before = user_count(state).await;
    let memberships_before = memberships(state, org).await;
    let roles_before = roles_and_authorities(state, org).await;
    let created_before = audited(state, "user.created").await;

    // A new user in a role they could not hold themselves.
    for (role_id, reason) in [
        (admin_role, GrantRefusal::AdminRole),
        (developer, GrantRefusal::RoleExceedsYours),
        (beyond, GrantRefusal::RoleExceedsYours),
    ] {
        assert_eq!(
            users::create_programmatic(state, &delegate, new_bot("sneaky-bot", role_id), &meta())
                .await,
            Err(refused(reason)),
            "new user in role {role_id}"
        );
    }
    // An existing member moved into such a role.
    for (role_id, reason) in [
        (admin_role, GrantRefusal::AdminRole),
        (developer, GrantRefusal::RoleExceedsYours),
        (beyond, GrantRefusal::RoleExceedsYours),
    ] {
        assert_eq!(
            users::set_role(state, &delegate, username(&newbie), role_id, &meta()).await,
            Err(refused(reason)),
            "newbie moved to role {role_id}"
        );
    }
    // An authority they lack added to a role, new or existing.
    assert_eq!(
        roles::create(
            state,
            &delegate,
            "Auditors",
            &[Authority::ManageUsers, Authority::ViewAuditLog],
            &meta()
        )
        .await,
        Err(refused(GrantRefusal::AuthorityNotHeld))
    );
    assert_eq!(
        roles::update(
            state,
            &delegate,
            within,
            "Within",
            &[Authority::ManageUsers, Authority::ManageIntegrations],
            &meta()
        )
        .await,
        Err(refused(GrantRefusal::AuthorityNotHeld))
    );

    assert_eq!(user_count(state).await, users_before, "no user made");
    assert_eq!(memberships(state, org).await, memberships_before);
    assert_eq!(roles_and_authorities(state, org).await, roles_before);
    assert_eq!(audited(state, "user.created").await, created_before);
    assert_eq!(audited(state, "role.changed").await, 0);
    assert_eq!(audited(state, "role.edited").await, 0);

    // Control: within their authorities, the same calls go through.
    users::create_programmatic(state, &delegate, new_bot("helper-bot", within), &meta())
        .await
        .expect("a role within the delegate's authorities");
    users::set_role(state, &delegate, username(&newbie), within, &meta())
        .await
        .expect("moved within the delegate's authorities");
    assert!(
        memberships(state, org)
            .await
            .contains(&(newbie.user.id, within, UserStatus::Active))
    );
    assert_eq!(user_count(state).await, users_before + 1);
}

/// The grant is decided on the giver's role as it is inside the write, not
/// as their session found it: a delegate whose role lost Manage Users since
/// gives nothing that needs it any more.
#[tokio::test]
async fn a_grant_is_decided_on_the_givers_role_as_it_is_now() {
    let app = app().await;
    let state = &app.server.state;
    let admin = register(state, "admin@acme.example", "Acme").await;
    let org = admin.organization.id;
    let member = builtin_role(state, org, BuiltinRole::Member).await;
    let people = custom_role(state, &admin, "People", &[Authority::ManageUsers]).await;
    let within = custom_role(state, &admin, "Within", &[Authority::ManageUsers]).await;
    let delegate = bot(state, &admin, "delegate-bot", people).await;
    let first = bot(state, &admin, "first-bot", member).await;
    let second = bot(state, &admin, "second-bot", member).await;

    // Control: while their role holds Manage Users, the delegate gives it.
    users::set_role(state, &delegate, username(&first), within, &meta())
        .await
        .expect("within the delegate's authorities");

    roles::update(state, &admin, people, "People", &[], &meta())
        .await
        .expect("the delegate's role loses Manage Users");
    assert!(
        delegate.may(Authority::ManageUsers),
        "the delegate's session still says they hold it"
    );
    let before = memberships(state, org).await;
    assert_eq!(
        users::set_role(state, &delegate, username(&second), within, &meta()).await,
        Err(refused(GrantRefusal::RoleExceedsYours))
    );
    assert_eq!(memberships(state, org).await, before, "nothing changed");
    assert_eq!(audited(state, "role.changed").await, 1, "only the control");
}
