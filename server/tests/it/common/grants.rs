//! Grants and memberships, set up behind the app's back.
use app::backend::entities::{membership, user};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

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
