//! Using an invitation link: what it offers (organization, role), and
//! accepting it with a new account or joining with the signed-in one. The
//! link is single-use, checked and marked used in one statement.
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::backend::audit::{Action, Entry};
use crate::backend::auth::operation::{Need, Operation};
use crate::backend::auth::password;
use crate::backend::auth::session::{Principal, SessionAuth};
use crate::backend::entities::{invitation, membership, organization, role, user};
use crate::backend::request_meta::RequestMeta;
use crate::backend::services::grants::{self, Giver};
use crate::backend::state::AppState;
use crate::backend::unit_of_work::{Invalidate, Work};
use crate::model::error::{AppError, Conflict};
use crate::model::invitations::{ContactKind, InvitationPreview};
use crate::model::users::{UserKind, UserStatus};
use crate::model::validation::{self, Field, FieldError, Problem};

/// The invitation link: anyone holding it.
pub const PREVIEW: Operation =
    Operation::new("invitations.preview", Need::anyone()).rpc("invitations/preview");
pub const ACCEPT: Operation =
    Operation::new("invitations.accept", Need::anyone()).rpc("invitations/accept");
/// Joining with the account one is signed in with.
pub const JOIN: Operation =
    Operation::new("invitations.join", Need::member()).rpc("invitations/join");

pub(super) fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The invitation behind a token, if it can still be used. Unknown, used,
/// revoked and expired all look the same to the holder of the link.
async fn usable(state: &AppState, token: &str) -> Result<invitation::Model, AppError> {
    let invalid = || AppError::Conflict(Conflict::InvitationInvalid);
    if token.len() > 100 {
        return Err(invalid());
    }
    let found = invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(hash_token(token)))
        .one(&state.db)
        .await?
        .ok_or_else(invalid)?;
    if found.accepted_at.is_some()
        || found.revoked_at.is_some()
        || found.expires_at <= state.clock.now()
    {
        return Err(invalid());
    }
    Ok(found)
}

pub async fn preview(state: &AppState, token: &str) -> Result<InvitationPreview, AppError> {
    let inv = usable(state, token).await?;
    let org = organization::Entity::find_by_id(inv.organization_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let role = role::Entity::find_by_id(inv.role_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(InvitationPreview {
        organization: org.name,
        role: role.name,
        contact: inv.contact,
        contact_kind: inv.contact_kind,
    })
}

/// Marks the invitation used, in `txn`, only if it is still usable at this
/// moment: not used, not revoked, not expired. The check and the write are
/// one statement, so a revocation or a second use that commits while this
/// acceptance is in flight (the password hash takes a while) is seen:
/// SQLite runs one writer at a time, and PostgreSQL re-reads the row's
/// condition after a concurrent writer commits. The checks of [`usable`]
/// before the transaction only spare the work.
async fn claim<C: sea_orm::ConnectionTrait>(
    txn: &C,
    inv: &invitation::Model,
    user_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    let result = invitation::Entity::update_many()
        .col_expr(invitation::Column::AcceptedAt, Expr::value(now))
        .col_expr(invitation::Column::AcceptedUserId, Expr::value(user_id))
        .filter(invitation::Column::Id.eq(inv.id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .filter(invitation::Column::ExpiresAt.gt(now))
        .exec(txn)
        .await?;
    if result.rows_affected != 1 {
        return Err(AppError::Conflict(Conflict::InvitationInvalid));
    }
    inviter_may_still_give(txn, inv).await
}

/// An invitation gives its role on the inviter's authority: it holds only
/// while the inviter is still an active member who may invite (Manage
/// Users) and give that role now. Checked with the organization locked, so
/// a demotion of the inviter and an acceptance cannot pass each other.
async fn inviter_may_still_give<C: sea_orm::ConnectionTrait>(
    txn: &C,
    inv: &invitation::Model,
) -> Result<(), AppError> {
    let invalid = || AppError::Conflict(Conflict::InvitationInvalid);
    grants::lock_organization(txn, inv.organization_id).await?;
    let Some(inviter) = inv.invited_by else {
        return Err(invalid());
    };
    let Some(membership) = membership::Entity::find_by_id((inviter, inv.organization_id))
        .one(txn)
        .await?
        .filter(|m| m.status == UserStatus::Active)
    else {
        return Err(invalid());
    };
    let giver = Giver {
        role_id: membership.role_id,
        authorities: grants::authorities_of(txn, membership.role_id).await?,
    };
    if !giver.holds_all(&[crate::model::authz::Authority::ManageUsers]) {
        return Err(invalid());
    }
    match grants::givable_role(txn, inv.organization_id, &giver, inv.role_id).await {
        Ok(Some(_)) => Ok(()),
        Ok(None) | Err(AppError::GrantRefused(_)) => Err(invalid()),
        Err(other) => Err(other),
    }
}

pub struct Newcomer {
    pub name: String,
    pub password: SecretString,
    pub password_confirm: SecretString,
}

pub async fn accept_new(
    state: &AppState,
    token: &str,
    new: Newcomer,
    meta: &RequestMeta,
) -> Result<SessionAuth, AppError> {
    let inv = usable(state, token).await?;
    let mut errors = Vec::new();
    let name = validation::short_text(&new.name, validation::NAME_MAX)
        .map_err(|problem| {
            errors.push(FieldError {
                field: Field::Name,
                problem,
            })
        })
        .unwrap_or_default();
    if let Err(problem) = password::check_policy(new.password.expose_secret()) {
        errors.push(FieldError {
            field: Field::Password,
            problem,
        });
    } else if new.password.expose_secret() != new.password_confirm.expose_secret() {
        errors.push(FieldError {
            field: Field::PasswordConfirm,
            problem: Problem::PasswordMismatch,
        });
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let exists = user::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(user::Column::Username.eq(inv.contact.as_str()))
                .add(user::Column::Email.eq(inv.contact.as_str())),
        )
        .one(&state.db)
        .await?
        .is_some();
    if exists {
        return Err(AppError::Conflict(Conflict::AccountExists));
    }
    let hash = password::hash(new.password).await?;
    let now = state.clock.now();
    let mut work = Work::begin(state).await?;
    let created = user::ActiveModel {
        username: Set(inv.contact.clone()),
        name: Set(name),
        email: Set((inv.contact_kind == ContactKind::Email).then(|| inv.contact.clone())),
        kind: Set(UserKind::Human),
        password_hash: Set(hash),
        status: Set(UserStatus::Active),
        created_at: Set(now),
        last_sign_in_at: Set(Some(now)),
        ..Default::default()
    }
    .insert(&work)
    .await?;
    claim(&work, &inv, created.id, now).await?;
    super::memberships::add(&work, created.id, inv.organization_id, inv.role_id, now).await?;
    work.audit(Entry::new(
        Action::UserJoined,
        inv.organization_id,
        created.id,
        format!("user:{}", created.id),
        meta,
        state.clock.now(),
    ));
    work.commit(Invalidate::None).await?;
    Ok(SessionAuth::new(&created, inv.organization_id, now))
}

pub async fn accept_existing(
    state: &AppState,
    who: &Principal,
    token: &str,
    meta: &RequestMeta,
) -> Result<SessionAuth, AppError> {
    let inv = usable(state, token).await?;
    if membership::Entity::find_by_id((who.user.id, inv.organization_id))
        .one(&state.db)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict(Conflict::AlreadyMember));
    }
    let now = state.clock.now();
    let mut work = Work::begin(state).await?;
    claim(&work, &inv, who.user.id, now).await?;
    super::memberships::add(&work, who.user.id, inv.organization_id, inv.role_id, now).await?;
    work.audit(Entry::new(
        Action::UserJoined,
        inv.organization_id,
        who.user.id,
        format!("user:{}", who.user.id),
        meta,
        state.clock.now(),
    ));
    work.commit(Invalidate::Keys).await?;
    Ok(SessionAuth::new(&who.user, inv.organization_id, now))
}
