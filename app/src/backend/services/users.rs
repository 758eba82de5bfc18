//! User Management: the list and a member's details, always within the
//! caller's organization. Activation and role changes
//! ([`super::user_access`]) and programmatic users ([`super::user_creation`])
//! are re-exported here.
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
    RelationTrait, Select,
};

use super::memberships::member;
use crate::backend::auth::operation::{Need, Operation};
use crate::backend::auth::session::Principal;
use crate::backend::entities::{membership, organization, role, role_authority, user};
use crate::backend::paging;
use crate::backend::services::grants;
use crate::backend::state::AppState;
use crate::model::authz::Authority;
use crate::model::authz::Authority as A;
use crate::model::error::AppError;
use crate::model::page::Page;
use crate::model::users::{
    MembershipRow, RoleOption, UserDetails, UserFilter, UserRow, UserStatus,
};

pub use super::user_access::{SET_ROLE, SET_STATUS, set_role, set_status};
pub use super::user_creation::{
    CREATE_PROGRAMMATIC, NewProgrammaticUser, ROLE_OPTIONS, create_programmatic, role_options,
    valid_username,
};

/// User Management (Admin → Users → User Management).
pub const LIST: Operation = Operation::new(
    "users.list",
    Need::authority(A::ManageUsers).api_set("users:read"),
)
.rpc("users/list")
.http(&["GET /api/v1/users"]);
pub const DETAILS: Operation = Operation::new(
    "users.details",
    Need::authority(A::ManageUsers).api_set("users:read"),
)
.rpc("users/details")
.http(&["GET /api/v1/users/{username}"]);

pub const PAGE_SIZE: u64 = 20;

fn like_pattern(search: &str) -> String {
    let escaped: String = search
        .trim()
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("%{escaped}%")
}

fn row(user: user::Model, membership: &membership::Model, role: &str) -> UserRow {
    UserRow {
        username: user.username,
        name: user.name,
        email: user.email,
        kind: user.kind,
        role: role.to_owned(),
        status: if user.status == UserStatus::Active {
            membership.status
        } else {
            user.status
        },
        last_sign_in_at: user.last_sign_in_at.map(|t| t.to_rfc3339()),
    }
}

async fn roles_of(state: &AppState, org_id: i64) -> Result<Vec<role::Model>, AppError> {
    Ok(role::Entity::find()
        .filter(role::Column::OrganizationId.eq(org_id))
        .order_by_asc(role::Column::Id)
        .all(&state.db)
        .await?)
}

/// The members of the caller's organization that `filter` asks for.
fn filtered(who: &Principal, filter: &UserFilter) -> Select<user::Entity> {
    let mut query = user::Entity::find()
        .join(JoinType::InnerJoin, user::Relation::Membership.def())
        .filter(membership::Column::OrganizationId.eq(who.organization.id));
    if !filter.search.trim().is_empty() {
        let pattern = like_pattern(&filter.search);
        let lower = |col: user::Column| Expr::expr(Func::lower(Expr::col((user::Entity, col))));
        query = query.filter(
            Condition::any()
                .add(
                    lower(user::Column::Username)
                        .like(LikeExpr::new(pattern.as_str()).escape('\\')),
                )
                .add(lower(user::Column::Name).like(LikeExpr::new(pattern.as_str()).escape('\\')))
                .add(lower(user::Column::Email).like(LikeExpr::new(pattern.as_str()).escape('\\'))),
        );
    }
    if let Some(status) = filter.status {
        query = query.filter(membership::Column::Status.eq(status));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(user::Column::Kind.eq(kind));
    }
    query
}

/// The rows of `users`, members of the caller's organization.
async fn rows_of(
    state: &AppState,
    who: &Principal,
    users: Vec<user::Model>,
) -> Result<Vec<UserRow>, AppError> {
    let org_id = who.organization.id;
    let ids: Vec<i64> = users.iter().map(|u| u.id).collect();
    let memberships = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(org_id))
        .filter(membership::Column::UserId.is_in(ids))
        .all(&state.db)
        .await?;
    let roles = roles_of(state, org_id).await?;
    Ok(users
        .into_iter()
        .filter_map(|u| {
            let m = memberships.iter().find(|m| m.user_id == u.id)?;
            let role = roles
                .iter()
                .find(|r| r.id == m.role_id)
                .map(|r| r.name.as_str())
                .unwrap_or("");
            Some(row(u, m, role))
        })
        .collect())
}

pub async fn list(
    state: &AppState,
    who: &Principal,
    filter: &UserFilter,
) -> Result<Page<UserRow>, AppError> {
    let query = filtered(who, filter).order_by_asc(user::Column::Username);
    paging::page(&state.db, query, PAGE_SIZE, filter.page, |users| {
        rows_of(state, who, users)
    })
    .await
}

/// For the HTTP API: up to `limit` members after the username `after`
/// (alphabetical), and the username to continue after, when there are more.
pub async fn list_after(
    state: &AppState,
    who: &Principal,
    filter: &UserFilter,
    after: Option<&str>,
    limit: u64,
) -> Result<(Vec<UserRow>, Option<String>), AppError> {
    let cursor = filtered(who, filter).cursor_by(user::Column::Username);
    let after = after.map(str::to_owned);
    let (users, next) =
        paging::after(&state.db, cursor, after, limit, |u| u.username.clone()).await?;
    Ok((rows_of(state, who, users).await?, next))
}

pub async fn details(
    state: &AppState,
    who: &Principal,
    username: &str,
) -> Result<UserDetails, AppError> {
    let org_id = who.organization.id;
    let (user, membership) = member(state, org_id, username).await?;
    let roles = roles_of(state, org_id).await?;
    let role_name = roles
        .iter()
        .find(|r| r.id == membership.role_id)
        .map(|r| r.name.clone());
    let is_self = user.id == who.user.id;
    let memberships = shared_memberships(state, who, user.id).await?;
    // The role picker offers what the viewer may give, and shows the role
    // the user has now (keeping it is not giving anything).
    let givable = grants::givable_roles(&state.db, who).await?;
    Ok(UserDetails {
        memberships,
        role_id: membership.role_id,
        member_since: membership.created_at.to_rfc3339(),
        user: row(user, &membership, role_name.as_deref().unwrap_or("")),
        roles: roles
            .into_iter()
            .filter(|r| r.id == membership.role_id || givable.iter().any(|g| g.id == r.id))
            .map(|r| RoleOption {
                id: r.id,
                name: r.name,
            })
            .collect(),
        is_self,
        may_manage_users: who.may(Authority::ManageUsers),
        may_manage_roles: who.may(Authority::ManageRoles),
        may_manage_user_api_key: who.may(Authority::ManageUserApiKey),
        may_manage_all_api_keys: who.may(Authority::ManageAllApiKeys),
    })
}

/// `user_id`'s memberships in organizations `who` also belongs to.
async fn shared_memberships(
    state: &AppState,
    who: &Principal,
    user_id: i64,
) -> Result<Vec<MembershipRow>, AppError> {
    // Organizations where the viewer could open this page too: an active
    // membership whose role has Manage Users.
    let viewer = membership::Entity::find()
        .filter(membership::Column::UserId.eq(who.user.id))
        .filter(membership::Column::Status.eq(UserStatus::Active))
        .all(&state.db)
        .await?;
    let managing_roles: Vec<i64> = role_authority::Entity::find()
        .filter(role_authority::Column::RoleId.is_in(viewer.iter().map(|m| m.role_id)))
        .filter(role_authority::Column::Authority.eq(Authority::ManageUsers.as_str()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|a| a.role_id)
        .collect();
    let viewer_orgs: Vec<i64> = viewer
        .iter()
        .filter(|m| managing_roles.contains(&m.role_id) || m.organization_id == who.organization.id)
        .map(|m| m.organization_id)
        .collect();
    let theirs = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .filter(membership::Column::OrganizationId.is_in(viewer_orgs))
        .find_also_related(organization::Entity)
        .all(&state.db)
        .await?;
    let role_ids: Vec<i64> = theirs.iter().map(|(m, _)| m.role_id).collect();
    let roles = role::Entity::find()
        .filter(role::Column::Id.is_in(role_ids))
        .all(&state.db)
        .await?;
    let mut rows: Vec<MembershipRow> = theirs
        .into_iter()
        .filter_map(|(m, org)| {
            let org = org?;
            let role = roles.iter().find(|r| r.id == m.role_id)?;
            Some(MembershipRow {
                current: org.id == who.organization.id,
                organization: org.name,
                role: role.name.clone(),
                status: m.status,
                since: m.created_at.to_rfc3339(),
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        b.current
            .cmp(&a.current)
            .then(a.organization.cmp(&b.organization))
    });
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_patterns_escape_wildcards() {
        assert_eq!(like_pattern(" Ada "), "%ada%");
        assert_eq!(like_pattern("100%_"), "%100\\%\\_%");
    }
}
