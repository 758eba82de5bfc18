//! Sign-up: the first account of a new organization (with its first API
//! key, when asked for), and the organizations a signed-in user may switch
//! between. Signing in ([`super::sign_in`]), signing out and changing the
//! password ([`super::credentials`]) are re-exported here.
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set,
    SqlErr,
};
use secrecy::{ExposeSecret, SecretString};

use crate::backend::audit::{Action, Entry};
use crate::backend::auth::operation::{Need, Operation};
use crate::backend::auth::session::SessionAuth;
use crate::backend::auth::{password, throttle};
use crate::backend::entities::{membership, role, role_authority, user};
use crate::backend::keys::handover::{Delivery, Ticket};
use crate::backend::request_meta::RequestMeta;
use crate::backend::state::AppState;
use crate::backend::unit_of_work::{Invalidate, Work};
use crate::model::authz::BuiltinRole;
use crate::model::error::AppError;
use crate::model::users::{UserKind, UserStatus};
use crate::model::validation::{self, Field, FieldError, Problem};

pub use super::credentials::{
    CHANGE_PASSWORD, PasswordChange, SIGN_OUT, change_password, sign_out,
};
pub use super::sign_in::{SIGN_IN, sign_in, sign_in_to};

pub const SIGN_UP_OPEN: Operation =
    Operation::new("accounts.sign_up_open", Need::anyone()).rpc("auth/sign-up-open");
pub const REGISTER: Operation =
    Operation::new("accounts.register", Need::anyone()).rpc("auth/register");
/// "Who am I" for the user menu: nobody, for a visitor.
pub const ME: Operation = Operation::new("accounts.me", Need::anyone()).rpc("auth/me");
pub const ORGANIZATIONS: Operation =
    Operation::new("accounts.organizations", Need::member()).rpc("auth/organizations");
pub const SWITCH_ORGANIZATION: Operation =
    Operation::new("accounts.switch_organization", Need::member()).rpc("auth/switch-organization");

/// What the sign-up form sends. Passwords stay wrapped until hashed.
pub struct Registration {
    pub name: String,
    pub email: String,
    pub password: SecretString,
    pub password_confirm: SecretString,
    pub location_name: String,
}

struct ValidRegistration {
    name: String,
    email: String,
    location_name: String,
}

fn validate(reg: &Registration) -> Result<ValidRegistration, AppError> {
    let mut errors = Vec::new();
    let mut check = |field: Field, result: Result<String, Problem>| match result {
        Ok(value) => value,
        Err(problem) => {
            errors.push(FieldError { field, problem });
            String::new()
        }
    };
    let name = check(
        Field::Name,
        validation::short_text(&reg.name, validation::NAME_MAX),
    );
    let email = check(Field::Email, validation::email(&reg.email));
    let location_name = check(
        Field::LocationName,
        validation::short_text(&reg.location_name, validation::NAME_MAX),
    );
    let secret = reg.password.expose_secret();
    if let Err(problem) = password::check_policy(secret) {
        errors.push(FieldError {
            field: Field::Password,
            problem,
        });
    } else if secret != reg.password_confirm.expose_secret() {
        errors.push(FieldError {
            field: Field::PasswordConfirm,
            problem: Problem::PasswordMismatch,
        });
    }
    if errors.is_empty() {
        Ok(ValidRegistration {
            name,
            email,
            location_name,
        })
    } else {
        Err(AppError::Invalid(errors))
    }
}

fn email_taken() -> AppError {
    AppError::Invalid(vec![FieldError {
        field: Field::Email,
        problem: Problem::EmailTaken,
    }])
}

/// Whether anyone may sign up now: always with `KEYHOUSE_SIGNUP=open`; with
/// `invite-only` only while the instance has no account at all (its very
/// first one).
pub async fn sign_up_open<C: sea_orm::ConnectionTrait>(
    state: &AppState,
    db: &C,
) -> Result<bool, AppError> {
    if !state.settings.invite_only_signup {
        return Ok(true);
    }
    Ok(user::Entity::find().one(db).await?.is_none())
}

/// Creates the organization, its built-in roles, the user as its Admin, and
/// the audit rows, in one transaction. Returns the session to start.
pub async fn register(
    state: &AppState,
    reg: Registration,
    meta: &RequestMeta,
) -> Result<SessionAuth, AppError> {
    if !sign_up_open(state, &state.db).await? {
        return Err(AppError::Forbidden);
    }
    // Every sign-up counts against its client address, before any work.
    let now = state.clock.now();
    if let Err(wait) = throttle::reserve_sign_up(
        &state.db,
        meta.client_ip,
        state.settings.sign_ups_per_hour,
        now,
    )
    .await?
    {
        return Err(AppError::TooManyRequests(wait));
    }
    // Report every problem at once: a taken e-mail alongside, say, a
    // mismatched confirmation.
    let taken = match validation::email(&reg.email) {
        Ok(email) => user::Entity::find()
            .filter(
                Condition::any()
                    .add(user::Column::Email.eq(email.as_str()))
                    .add(user::Column::Username.eq(email.as_str())),
            )
            .one(&state.db)
            .await?
            .is_some(),
        Err(_) => false,
    };
    let valid = match (validate(&reg), taken) {
        (Ok(valid), false) => valid,
        (Ok(_), true) => {
            // The same work as for a new address, so the time taken does
            // not tell which addresses have accounts.
            password::hash(reg.password).await?;
            return Err(email_taken());
        }
        (Err(AppError::Invalid(mut errors)), true) => {
            errors.push(FieldError {
                field: Field::Email,
                problem: Problem::EmailTaken,
            });
            return Err(AppError::Invalid(errors));
        }
        (Err(err), _) => return Err(err),
    };
    let password_hash = password::hash(reg.password).await?;

    let mut work = Work::begin(state).await?;
    // Again under the write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: an
    // advisory lock held to the end of the transaction): two "first"
    // sign-ups at once make one.
    if state.settings.invite_only_signup
        && work.get_database_backend() == sea_orm::DbBackend::Postgres
    {
        work.execute_unprepared("SELECT pg_advisory_xact_lock(7460131)")
            .await?;
    }
    if !sign_up_open(state, &work).await? {
        return Err(AppError::Forbidden);
    }
    let org = super::org_slugs::insert_organization(work.txn(), &valid.location_name, now).await?;
    let mut admin_role_id = None;
    for builtin in BuiltinRole::ALL {
        let role = role::ActiveModel {
            organization_id: Set(org.id),
            name: Set(builtin.name().to_owned()),
            builtin: Set(true),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&work)
        .await?;
        for authority in builtin.authorities() {
            role_authority::ActiveModel {
                role_id: Set(role.id),
                authority: Set(authority.as_str().to_owned()),
            }
            .insert(&work)
            .await?;
        }
        if builtin == BuiltinRole::Admin {
            admin_role_id = Some(role.id);
        }
    }
    let admin_role_id = admin_role_id.ok_or_else(|| AppError::internal("no Admin role"))?;
    let inserted = user::ActiveModel {
        username: Set(valid.email.clone()),
        name: Set(valid.name),
        email: Set(Some(valid.email)),
        kind: Set(UserKind::Human),
        password_hash: Set(password_hash),
        status: Set(UserStatus::Active),
        created_at: Set(now),
        last_sign_in_at: Set(Some(now)),
        ..Default::default()
    }
    .insert(&work)
    .await;
    let user = match inserted {
        Ok(user) => user,
        // Two sign-ups with one address at the same moment: one wins.
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Err(email_taken());
        }
        Err(err) => return Err(err.into()),
    };
    super::memberships::add(&work, user.id, org.id, admin_role_id, now).await?;
    for (action, target) in [
        (
            Action::OrganizationCreated,
            format!("organization:{}", org.id),
        ),
        (Action::UserCreated, format!("user:{}", user.id)),
        (Action::SignInSuccess, format!("user:{}", user.id)),
    ] {
        work.audit(Entry {
            action,
            organization_id: Some(org.id),
            actor_user_id: Some(user.id),
            target: Some(target),
            details: None,
            meta,
            at: now,
        });
    }
    work.commit(Invalidate::None).await?;
    Ok(SessionAuth::new(&user, org.id, now))
}

/// The organizations where the user is an active member (loaded with the
/// principal, in the same statement).
pub fn organizations_of(
    who: &crate::backend::auth::session::Principal,
) -> Vec<crate::model::auth::OrgChoice> {
    who.organizations.clone()
}

/// `org_id` if the user is an active member there; otherwise 404.
pub async fn switchable(
    state: &AppState,
    who: &crate::backend::auth::session::Principal,
    org_id: i64,
) -> Result<i64, AppError> {
    membership::Entity::find_by_id((who.user.id, org_id))
        .filter(membership::Column::Status.eq(UserStatus::Active))
        .one(&state.db)
        .await?
        .map(|m| m.organization_id)
        .ok_or(AppError::NotFound)
}

/// "Create my first API key now" at sign-up: a key for the new account,
/// left in the hand-over for the Save generated key dialog; the ticket is
/// for the browser. The account exists by now, so a problem with its first
/// key must not turn sign-up into an error: it is logged (`None`), and a bad
/// name falls back to a plain one.
pub async fn first_key(
    state: &AppState,
    auth: &SessionAuth,
    name: &str,
    meta: &RequestMeta,
) -> Option<Ticket> {
    use crate::backend::auth::session;
    use crate::backend::services::api_keys;
    use crate::model::validation::{NAME_MAX, short_text};
    let who = match session::load(state, auth.user_id, auth.org_id).await {
        Ok(Some(who)) => who,
        Ok(None) => {
            tracing::warn!("no principal after sign-up");
            return None;
        }
        Err(err) => {
            tracing::warn!(error = %err, "no principal after sign-up");
            return None;
        }
    };
    let first = api_keys::NewKey {
        name: short_text(name, NAME_MAX).unwrap_or_else(|_| "API key".to_owned()),
        description: String::new(),
        api_sets: Vec::new(),
        expires: "never".into(),
        expires_on: String::new(),
        request_token: String::new(),
    };
    match api_keys::create(state, &who, first, meta, Delivery::HandOver).await {
        Ok(issued) => issued.ticket,
        Err(err) => {
            tracing::warn!(error = %err, "first API key at sign-up not created");
            None
        }
    }
}
