//! Grants and memberships, set up behind the app's back, and read back.
use app::backend::entities::{invitation, membership, role, role_authority, user};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{Org, TestApp};

pub async fn user_id(app: &TestApp, username: &str) -> i64 {
    user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("user")
        .id
}

/// Puts a member back in a role, behind the app's back (test set-up).
pub async fn put_in_role(app: &TestApp, org: &Org, username: &str, role_id: i64) {
    membership::Entity::update_many()
        .col_expr(membership::Column::RoleId, Expr::value(role_id))
        .col_expr(membership::Column::Status, Expr::value("active"))
        .filter(membership::Column::UserId.eq(user_id(app, username).await))
        .filter(membership::Column::OrganizationId.eq(org.id))
        .exec(&app.server.state.db)
        .await
        .expect("reset membership");
}

/// Roles, their authorities, memberships, users and invitations of the
/// organization, as text: what any grant would change.
pub async fn snapshot(app: &TestApp, org_id: i64) -> String {
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
