//! User Management: list, details, activation, role changes and
//! programmatic users, always within the caller's organization.
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait, Select, Set, SqlErr,
};
use secrecy::SecretString;

use crate::backend::audit::{Action, Entry};
use crate::backend::auth::{password, session::Principal};
use crate::backend::entities::{membership, organization, role, role_authority, user};
use crate::backend::paging;
use crate::backend::request_meta::RequestMeta;
use crate::backend::services::grants::{self, Giver};
use crate::backend::state::AppState;
use crate::backend::unit_of_work::{Invalidate, Work};
use crate::model::authz::Authority;
use crate::model::error::AppError;
use crate::model::page::Page;
use crate::model::users::{
    MembershipRow, RoleOption, UserDetails, UserFilter, UserKind, UserRow, UserStatus,
};
use crate::model::validation::{self, Field, FieldError, Problem};

pub use super::user_access::{set_role, set_status};
use crate::backend::auth::operation::{Need, Operation};
use crate::model::authz::Authority as A;

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
/// Activate / Deactivate a member.
pub const SET_STATUS: Operation = Operation::new(
    "users.set_status",
    Need::authority(A::ManageUsers).api_set("users:write"),
)
.rpc("users/set-status")
.http(&[
    "POST /api/v1/users/{username}/deactivate",
    "POST /api/v1/users/{username}/activate",
]);
pub const SET_ROLE: Operation =
    Operation::new("users.set_role", Need::authority(A::ManageRoles)).rpc("users/set-role");
pub const CREATE_PROGRAMMATIC: Operation =
    Operation::new("users.create_programmatic", Need::authority(A::ManageUsers))
        .rpc("users/create-programmatic");
/// The roles a user may be given, for the role select.
pub const ROLE_OPTIONS: Operation =
    Operation::new("users.role_options", Need::authority(A::ManageUsers)).rpc("users/roles");

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

/// The user and their membership, only if they belong to the caller's
/// organization; anything else is "not found", never "forbidden".
pub(super) async fn member(
    state: &AppState,
    org_id: i64,
    username: &str,
) -> Result<(user::Model, membership::Model), AppError> {
    let user = user::Entity::find()
        .filter(user::Column::Username.eq(username.trim().to_lowercase()))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let membership = membership::Entity::find_by_id((user.id, org_id))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((user, membership))
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

/// Usernames of programmatic users: 3-64 of `a-z 0-9 . _ -`.
pub fn valid_username(value: &str) -> Result<String, Problem> {
    let v = value.trim().to_lowercase();
    if v.is_empty() {
        return Err(Problem::Required);
    }
    if v.chars().count() > 64 {
        return Err(Problem::TooLong);
    }
    if v.chars().count() < 3
        || !v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(Problem::InvalidUsername);
    }
    Ok(v)
}

pub struct NewProgrammaticUser {
    pub username: String,
    pub name: String,
    pub password: SecretString,
    pub role_id: i64,
}

pub async fn create_programmatic(
    state: &AppState,
    who: &Principal,
    new: NewProgrammaticUser,
    meta: &RequestMeta,
) -> Result<String, AppError> {
    use secrecy::ExposeSecret;
    let org_id = who.organization.id;
    let mut errors = Vec::new();
    let username = valid_username(&new.username).unwrap_or_else(|problem| {
        errors.push(FieldError {
            field: Field::Username,
            problem,
        });
        String::new()
    });
    let name = if new.name.trim().is_empty() {
        username.clone()
    } else {
        validation::short_text(&new.name, validation::NAME_MAX).unwrap_or_else(|problem| {
            errors.push(FieldError {
                field: Field::Name,
                problem,
            });
            String::new()
        })
    };
    if let Err(problem) = password::check_policy(new.password.expose_secret()) {
        errors.push(FieldError {
            field: Field::Password,
            problem,
        });
    }
    let role_ok = super::memberships::role_in_org(&state.db, org_id, new.role_id).await?;
    if !role_ok {
        errors.push(FieldError {
            field: Field::Role,
            problem: Problem::Required,
        });
    }
    if !username.is_empty()
        && user::Entity::find()
            .filter(
                Condition::any()
                    .add(user::Column::Username.eq(username.as_str()))
                    .add(user::Column::Email.eq(username.as_str())),
            )
            .one(&state.db)
            .await?
            .is_some()
    {
        errors.push(FieldError {
            field: Field::Username,
            problem: Problem::UsernameTaken,
        });
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let hash = password::hash(new.password).await?;
    let now = state.clock.now();
    let mut work = Work::begin(state).await?;
    grants::lock_organization(&work, org_id).await?;
    let giver = Giver::now(&work, who).await?;
    grants::givable_role(&work, org_id, &giver, new.role_id)
        .await?
        .ok_or_else(|| {
            AppError::Invalid(vec![FieldError {
                field: Field::Role,
                problem: Problem::Required,
            }])
        })?;
    let inserted = user::ActiveModel {
        username: Set(username.clone()),
        name: Set(name),
        email: Set(None),
        kind: Set(UserKind::Programmatic),
        password_hash: Set(hash),
        status: Set(UserStatus::Active),
        created_at: Set(now),
        last_sign_in_at: Set(None),
        ..Default::default()
    }
    .insert(&work)
    .await;
    let user = match inserted {
        Ok(u) => u,
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Err(AppError::Invalid(vec![FieldError {
                field: Field::Username,
                problem: Problem::UsernameTaken,
            }]));
        }
        Err(err) => return Err(err.into()),
    };
    super::memberships::add(&work, user.id, org_id, new.role_id, now).await?;
    work.audit(
        Entry::new(
            Action::UserCreated,
            who.organization.id,
            who.user.id,
            format!("user:{}", user.id),
            meta,
            now,
        )
        .with_details(serde_json::json!({ "username": username, "kind": UserKind::Programmatic })),
    );
    work.commit(Invalidate::None).await?;
    Ok(username)
}

/// The roles the caller may give (a new user, an invitation): the pickers
/// offer nothing the server would refuse.
pub async fn role_options(state: &AppState, who: &Principal) -> Result<Vec<RoleOption>, AppError> {
    Ok(grants::givable_roles(&state.db, who)
        .await?
        .into_iter()
        .map(|r| RoleOption {
            id: r.id,
            name: r.name,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_short_lowercase_words() {
        assert_eq!(valid_username(" CRM-Sync "), Ok("crm-sync".into()));
        assert_eq!(valid_username("ab"), Err(Problem::InvalidUsername));
        assert_eq!(valid_username("has space"), Err(Problem::InvalidUsername));
        assert_eq!(valid_username(""), Err(Problem::Required));
        assert_eq!(valid_username(&"a".repeat(65)), Err(Problem::TooLong));
    }

    #[test]
    fn search_patterns_escape_wildcards() {
        assert_eq!(like_pattern(" Ada "), "%ada%");
        assert_eq!(like_pattern("100%_"), "%100\\%\\_%");
    }
}
