//! New users made by an administrator: programmatic users (services that
//! sign in with a username and password), and the roles a new user or an
//! invitation may be given.
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, Set, SqlErr};
use secrecy::SecretString;

use crate::backend::audit::{Action, Entry};
use crate::backend::auth::operation::{Need, Operation};
use crate::backend::auth::{password, session::Principal};
use crate::backend::entities::user;
use crate::backend::request_meta::RequestMeta;
use crate::backend::services::grants::{self, Giver};
use crate::backend::state::AppState;
use crate::backend::unit_of_work::{Invalidate, Work};
use crate::model::authz::Authority as A;
use crate::model::error::AppError;
use crate::model::users::{RoleOption, UserKind, UserStatus};
use crate::model::validation::{self, Field, FieldError, Problem};

pub const CREATE_PROGRAMMATIC: Operation =
    Operation::new("users.create_programmatic", Need::authority(A::ManageUsers))
        .rpc("users/create-programmatic");
/// The roles a user may be given, for the role select.
pub const ROLE_OPTIONS: Operation =
    Operation::new("users.role_options", Need::authority(A::ManageUsers)).rpc("users/roles");

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
}
