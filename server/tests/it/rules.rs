//! The rules that hold whichever front door is used, tested on the services
//! themselves (`app::backend::services`, no router, no HTTP), on SQLite and
//! PostgreSQL: an organization always keeps an active Admin (here), nobody
//! passes the per-user key limit (`rules_keys.rs`), and nobody gives a role
//! with authorities they do not hold (`rules_grants.rs`). Every refusal is
//! the specific error, and leaves the database as it was; every rule also
//! has its control, where the same call goes through. The helpers here
//! drive the services for all three.

use app::backend::auth::session::{self, Principal};
use app::backend::entities::{audit_event, membership, role, user};
use app::backend::request_meta::RequestMeta;
use app::backend::services::{accounts, roles, users};
use app::backend::state::AppState;
use app::model::authz::{Authority, BuiltinRole};
use app::model::error::{AppError, Conflict, GrantRefusal};
use app::model::users::UserStatus;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use secrecy::SecretString;

use crate::common::{GOOD_PASSWORD, app};

pub(crate) fn meta() -> RequestMeta {
    RequestMeta::default()
}

fn password() -> SecretString {
    SecretString::from(GOOD_PASSWORD)
}

pub(crate) fn refused(reason: GrantRefusal) -> AppError {
    AppError::GrantRefused(reason)
}

/// The active member `user_id` of `org_id`, as a session would load them.
async fn principal(state: &AppState, user_id: i64, org_id: i64) -> Principal {
    session::load(state, user_id, org_id)
        .await
        .expect("load")
        .expect("an active member")
}

/// Signs `email` up with a new organization `org`; its Admin.
pub(crate) async fn register(state: &AppState, email: &str, org: &str) -> Principal {
    let auth = accounts::register(
        state,
        accounts::Registration {
            name: "Ada Lovelace".into(),
            email: email.into(),
            password: password(),
            password_confirm: password(),
            location_name: org.into(),
        },
        &meta(),
    )
    .await
    .expect("registered");
    principal(state, auth.user_id, auth.org_id).await
}

async fn user_id(state: &AppState, username: &str) -> i64 {
    user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(&state.db)
        .await
        .expect("q")
        .expect("user")
        .id
}

/// A programmatic user of `by`'s organization in `role_id`, made by `by`.
pub(crate) async fn bot(
    state: &AppState,
    by: &Principal,
    username: &str,
    role_id: i64,
) -> Principal {
    users::create_programmatic(state, by, new_bot(username, role_id), &meta())
        .await
        .expect("bot created");
    principal(state, user_id(state, username).await, by.organization.id).await
}

pub(crate) fn new_bot(username: &str, role_id: i64) -> users::NewProgrammaticUser {
    users::NewProgrammaticUser {
        username: username.into(),
        name: String::new(),
        password: password(),
        role_id,
    }
}

pub(crate) async fn builtin_role(state: &AppState, org_id: i64, which: BuiltinRole) -> i64 {
    role::Entity::find()
        .filter(role::Column::OrganizationId.eq(org_id))
        .filter(role::Column::Builtin.eq(true))
        .filter(role::Column::Name.eq(which.name()))
        .one(&state.db)
        .await
        .expect("q")
        .expect("built-in role")
        .id
}

/// A custom role of `by`'s organization, made by `by` through the service.
pub(crate) async fn custom_role(
    state: &AppState,
    by: &Principal,
    name: &str,
    authorities: &[Authority],
) -> i64 {
    roles::create(state, by, name, authorities, &meta())
        .await
        .expect("role created");
    role::Entity::find()
        .filter(role::Column::OrganizationId.eq(by.organization.id))
        .filter(role::Column::Name.eq(name))
        .one(&state.db)
        .await
        .expect("q")
        .expect("role")
        .id
}

/// Every membership of the organization: (user, role, status).
pub(crate) async fn memberships(state: &AppState, org_id: i64) -> Vec<(i64, i64, UserStatus)> {
    membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(org_id))
        .order_by_asc(membership::Column::UserId)
        .all(&state.db)
        .await
        .expect("memberships")
        .into_iter()
        .map(|m| (m.user_id, m.role_id, m.status))
        .collect()
}

pub(crate) async fn audited(state: &AppState, action: &str) -> u64 {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(action))
        .count(&state.db)
        .await
        .expect("count")
}

pub(crate) fn username(p: &Principal) -> &str {
    &p.user.username
}

// ---------------------------------------------------------------------------
// An organization always keeps an active Admin.

#[tokio::test]
async fn the_last_admin_cannot_be_deactivated() {
    let app = app().await;
    let state = &app.server.state;
    let admin = register(state, "admin@acme.example", "Acme").await;
    let org = admin.organization.id;
    // Someone holding every authority, but not in the Admin role: every
    // grant rule lets them act on the Admin; only the last-Admin rule stops
    // them.
    let steward_role = custom_role(state, &admin, "Steward", &Authority::ALL).await;
    let steward = bot(state, &admin, "steward-bot", steward_role).await;
    let before = memberships(state, org).await;

    for who in [&admin, &steward] {
        assert_eq!(
            users::set_status(state, who, username(&admin), false, &meta()).await,
            Err(AppError::Conflict(Conflict::LastAdmin)),
            "{} deactivates the only Admin",
            username(who)
        );
    }
    assert_eq!(memberships(state, org).await, before, "nothing changed");
    assert_eq!(audited(state, "user.deactivated").await, 0);
    session::load(state, admin.user.id, org)
        .await
        .expect("load")
        .expect("the Admin is still an active member");

    // Control: with a second active Admin, the first may go.
    let admin_role = builtin_role(state, org, BuiltinRole::Admin).await;
    let second = bot(state, &admin, "second-admin", admin_role).await;
    users::set_status(state, &steward, username(&admin), false, &meta())
        .await
        .expect("not the last Admin any more");
    assert_eq!(audited(state, "user.deactivated").await, 1);
    // And now the second one is the last.
    assert_eq!(
        users::set_status(state, &second, username(&second), false, &meta()).await,
        Err(AppError::Conflict(Conflict::LastAdmin))
    );
    let after = memberships(state, org).await;
    let status_of = |id: i64| {
        after
            .iter()
            .find(|(user, _, _)| *user == id)
            .map(|(_, _, status)| *status)
    };
    assert_eq!(status_of(admin.user.id), Some(UserStatus::Inactive));
    assert_eq!(status_of(second.user.id), Some(UserStatus::Active));
}

#[tokio::test]
async fn the_last_admin_cannot_be_demoted() {
    let app = app().await;
    let state = &app.server.state;
    let admin = register(state, "admin@acme.example", "Acme").await;
    let org = admin.organization.id;
    let member = builtin_role(state, org, BuiltinRole::Member).await;
    let developer = builtin_role(state, org, BuiltinRole::Developer).await;
    let admin_role = builtin_role(state, org, BuiltinRole::Admin).await;
    // A custom role with every authority is still not the Admin role.
    let everything = custom_role(state, &admin, "Everything", &Authority::ALL).await;
    let before = memberships(state, org).await;

    for to in [member, developer, everything] {
        assert_eq!(
            users::set_role(state, &admin, username(&admin), to, &meta()).await,
            Err(AppError::Conflict(Conflict::LastAdmin)),
            "demoted to role {to}"
        );
    }
    assert_eq!(memberships(state, org).await, before, "nothing changed");
    assert_eq!(audited(state, "role.changed").await, 0);

    // An inactive Admin does not count.
    let second = bot(state, &admin, "second-admin", admin_role).await;
    users::set_status(state, &admin, username(&second), false, &meta())
        .await
        .expect("two Admins: one may be deactivated");
    let before = memberships(state, org).await;
    assert_eq!(
        users::set_role(state, &admin, username(&admin), member, &meta()).await,
        Err(AppError::Conflict(Conflict::LastAdmin)),
        "the other Admin is inactive"
    );
    assert_eq!(memberships(state, org).await, before);

    // Control: with the second Admin active again, the first may step down.
    users::set_status(state, &admin, username(&second), true, &meta())
        .await
        .expect("reactivated");
    users::set_role(state, &admin, username(&admin), member, &meta())
        .await
        .expect("not the last Admin");
    assert!(
        memberships(state, org)
            .await
            .contains(&(admin.user.id, member, UserStatus::Active))
    );
    assert_eq!(audited(state, "role.changed").await, 1);
}
