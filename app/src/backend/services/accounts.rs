//! Sign-up, sign-in and sign-out.
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set, SqlErr,
};
use secrecy::{ExposeSecret, SecretString};

use crate::backend::audit::{Action, Entry};
use crate::backend::auth::operation::{Need, Operation};
use crate::backend::auth::session::SessionAuth;
use crate::backend::auth::{password, throttle};
use crate::backend::entities::{membership, organization, role, role_authority, user};
use crate::backend::request_meta::RequestMeta;
use crate::backend::state::AppState;
use crate::backend::unit_of_work::{Invalidate, Work};
use crate::model::authz::BuiltinRole;
use crate::model::error::AppError;
use crate::model::users::{UserKind, UserStatus};
use crate::model::validation::{self, Field, FieldError, Problem};

pub const SIGN_UP_OPEN: Operation =
    Operation::new("accounts.sign_up_open", Need::anyone()).rpc("auth/sign-up-open");
pub const REGISTER: Operation =
    Operation::new("accounts.register", Need::anyone()).rpc("auth/register");
pub const SIGN_IN: Operation =
    Operation::new("accounts.sign_in", Need::anyone()).rpc("auth/sign-in");
pub const SIGN_OUT: Operation =
    Operation::new("accounts.sign_out", Need::anyone()).rpc("auth/sign-out");
/// "Who am I" for the user menu: nobody, for a visitor.
pub const ME: Operation = Operation::new("accounts.me", Need::anyone()).rpc("auth/me");
pub const CHANGE_PASSWORD: Operation =
    Operation::new("accounts.change_password", Need::member()).rpc("auth/change-password");
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

/// Checks a login (username or e-mail) and password. Unknown login and wrong
/// password give the same error after the same work (a dummy hash is
/// verified); too many recent failures give 429 without checking anything.
pub async fn sign_in(
    state: &AppState,
    login: &str,
    password: SecretString,
    meta: &RequestMeta,
) -> Result<SessionAuth, AppError> {
    sign_in_to(state, login, password, None, meta).await
}

/// [`sign_in`], into one organization (`None`: the user's first active
/// membership). Not being an active member of it fails like a wrong
/// password.
pub async fn sign_in_to(
    state: &AppState,
    login: &str,
    password: SecretString,
    organization: Option<i64>,
    meta: &RequestMeta,
) -> Result<SessionAuth, AppError> {
    let login = login.trim().to_lowercase();
    let now = state.clock.now();
    let failure = |actor: Option<i64>, org: Option<i64>| Entry {
        action: Action::SignInFailure,
        organization_id: org,
        actor_user_id: actor,
        target: Some(throttle::login_target(&login)),
        details: None,
        meta,
        at: now,
    };

    // Counted before the password is checked, so parallel attempts cannot
    // get more than the limit through to argon2.
    let reservation =
        match throttle::reserve_sign_in(&state.db, &login, meta.client_ip, now).await? {
            Ok(reservation) => reservation,
            Err(wait) => {
                let entry = Entry {
                    action: Action::SignInThrottled,
                    ..failure(None, None)
                };
                Work::audit_alone(state, entry).await?;
                return Err(AppError::TooManyRequests(wait));
            }
        };

    let found = if login.is_empty() || login.chars().count() > validation::EMAIL_MAX {
        None
    } else {
        user::Entity::find()
            .filter(
                Condition::any()
                    .add(user::Column::Username.eq(login.as_str()))
                    .add(user::Column::Email.eq(login.as_str())),
            )
            .one(&state.db)
            .await?
    };
    let ok = password::verify(password, found.as_ref().map(|u| u.password_hash.clone())).await?;
    let membership = match &found {
        Some(user) if ok && user.status == UserStatus::Active => {
            let mut query = membership::Entity::find()
                .filter(membership::Column::UserId.eq(user.id))
                .filter(membership::Column::Status.eq(UserStatus::Active));
            if let Some(org) = organization {
                query = query.filter(membership::Column::OrganizationId.eq(org));
            }
            query
                .order_by_asc(membership::Column::CreatedAt)
                .one(&state.db)
                .await?
        }
        _ => None,
    };
    let (Some(user), Some(membership)) = (found.clone(), membership) else {
        // A failure on a known account shows in its organization's log.
        let org = match &found {
            Some(user) => membership::Entity::find()
                .filter(membership::Column::UserId.eq(user.id))
                .order_by_asc(membership::Column::CreatedAt)
                .one(&state.db)
                .await?
                .map(|m| m.organization_id),
            None => None,
        };
        // The reservation stays: it counts as this failure.
        drop(reservation);
        Work::audit_alone(state, failure(found.map(|u| u.id), org)).await?;
        return Err(AppError::SignInFailed);
    };

    let mut work = Work::begin(state).await?;
    let mut active: user::ActiveModel = user.clone().into();
    active.last_sign_in_at = Set(Some(now));
    active.update(&work).await?;
    throttle::release(&work, reservation).await?;
    work.audit(Entry {
        action: Action::SignInSuccess,
        organization_id: Some(membership.organization_id),
        actor_user_id: Some(user.id),
        target: Some(format!("user:{}", user.id)),
        details: None,
        meta,
        at: now,
    });
    work.commit(Invalidate::None).await?;
    Ok(SessionAuth::new(&user, membership.organization_id, now))
}

/// Records the sign-out and revokes the user's user tokens; the caller
/// ends the session.
pub async fn sign_out(
    state: &AppState,
    auth: &SessionAuth,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let mut work = Work::begin(state).await?;
    super::user_tokens::revoke_all(&work, auth.user_id).await?;
    work.audit(Entry {
        action: Action::SignOut,
        organization_id: Some(auth.org_id),
        actor_user_id: Some(auth.user_id),
        target: Some(format!("user:{}", auth.user_id)),
        details: None,
        meta,
        at: state.clock.now(),
    });
    work.commit(Invalidate::None).await?;
    Ok(())
}

pub struct PasswordChange {
    pub current: SecretString,
    pub new: SecretString,
    pub confirm: SecretString,
}

/// Needs the current password (checked under the sign-in throttle); on
/// success the user's credential version goes up, which ends every other
/// session of the user, and the one making the change (`keep`) is given the
/// new version, returned for the caller's copy of the session.
pub async fn change_password(
    state: &AppState,
    who: &crate::backend::auth::session::Principal,
    change: PasswordChange,
    keep: Option<tower_sessions::session::Id>,
    meta: &RequestMeta,
) -> Result<i64, AppError> {
    let mut errors = Vec::new();
    if let Err(problem) = password::check_policy(change.new.expose_secret()) {
        errors.push(FieldError {
            field: Field::Password,
            problem,
        });
    } else if change.new.expose_secret() != change.confirm.expose_secret() {
        errors.push(FieldError {
            field: Field::PasswordConfirm,
            problem: Problem::PasswordMismatch,
        });
    }
    let login = who.user.username.as_str();
    let now = state.clock.now();
    let reservation = throttle::reserve_sign_in(&state.db, login, meta.client_ip, now)
        .await?
        .map_err(AppError::TooManyRequests)?;
    let ok = password::verify(change.current, Some(who.user.password_hash.clone())).await?;
    if ok {
        throttle::release(&state.db, reservation).await?;
    } else {
        // Counted like a failed sign-in (the reservation stays), and logged
        // like one: somebody holding the session may be guessing.
        drop(reservation);
        let failure = Entry {
            action: Action::SignInFailure,
            organization_id: Some(who.organization.id),
            actor_user_id: Some(who.user.id),
            target: Some(throttle::login_target(login)),
            details: None,
            meta,
            at: now,
        };
        Work::audit_alone(state, failure).await?;
        errors.push(FieldError {
            field: Field::CurrentPassword,
            problem: Problem::WrongPassword,
        });
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let hash = password::hash(change.new).await?;
    let mut work = Work::begin(state).await?;
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .col_expr(
            user::Column::CredentialVersion,
            Expr::col(user::Column::CredentialVersion).add(1),
        )
        .filter(user::Column::Id.eq(who.user.id))
        .exec(&work)
        .await?;
    let version = user::Entity::find_by_id(who.user.id)
        .one(&work)
        .await?
        .ok_or(AppError::Unauthorized)?
        .credential_version;
    if let Some(keep) = keep {
        crate::backend::session_store::set_credential_version(&work, keep, version).await?;
    }
    // A token obtained with the old password must not outlive it.
    super::user_tokens::revoke_all(&work, who.user.id).await?;
    work.audit(Entry {
        action: Action::PasswordChanged,
        organization_id: Some(who.organization.id),
        actor_user_id: Some(who.user.id),
        target: Some(format!("user:{}", who.user.id)),
        details: None,
        meta,
        at: state.clock.now(),
    });
    work.commit(Invalidate::None).await?;
    state
        .sessions
        .delete_for_user(who.user.id, keep)
        .await
        .map_err(AppError::internal)?;
    Ok(version)
}

/// The organizations where the user is an active member.
pub async fn organizations_of(
    state: &AppState,
    who: &crate::backend::auth::session::Principal,
) -> Result<Vec<crate::model::auth::OrgChoice>, AppError> {
    let memberships = membership::Entity::find()
        .filter(membership::Column::UserId.eq(who.user.id))
        .filter(membership::Column::Status.eq(UserStatus::Active))
        .order_by_asc(membership::Column::CreatedAt)
        .all(&state.db)
        .await?;
    let ids: Vec<i64> = memberships.iter().map(|m| m.organization_id).collect();
    let orgs = organization::Entity::find()
        .filter(organization::Column::Id.is_in(ids.clone()))
        .all(&state.db)
        .await?;
    Ok(ids
        .into_iter()
        .filter_map(|id| orgs.iter().find(|o| o.id == id))
        .map(|o| crate::model::auth::OrgChoice {
            id: o.id,
            name: o.name.clone(),
            current: o.id == who.organization.id,
        })
        .collect())
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
/// left in the hand-over for the Save generated key dialog. The account
/// exists by now, so a problem with its first key must not turn sign-up
/// into an error: it is logged, and a bad name falls back to a plain one.
pub async fn first_key(
    state: &AppState,
    auth: &crate::backend::auth::session::SessionAuth,
    name: &str,
    meta: &RequestMeta,
) {
    use crate::backend::services::api_keys;
    use crate::model::validation::{NAME_MAX, short_text};
    let who = match crate::backend::auth::session::load(state, auth.user_id, auth.org_id).await {
        Ok(Some(who)) => who,
        Ok(None) => return tracing::warn!("no principal after sign-up"),
        Err(err) => return tracing::warn!(error = %err, "no principal after sign-up"),
    };
    let first = api_keys::NewKey {
        name: short_text(name, NAME_MAX).unwrap_or_else(|_| "API key".to_owned()),
        description: String::new(),
        api_sets: Vec::new(),
        expires: "never".into(),
        expires_on: String::new(),
        request_token: String::new(),
    };
    match api_keys::create(state, &who, first, meta).await {
        Ok(key) => state.handover.put(who.user.id, who.organization.id, key),
        Err(err) => tracing::warn!(error = %err, "first API key at sign-up not created"),
    }
}
