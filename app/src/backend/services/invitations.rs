//! Invitations by e-mail or phone number, with a role; a single-use link
//! valid for 7 days, stored as SHA-256 only.
use base64::Engine as _;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
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
use crate::model::authz::Authority as A;
use crate::model::error::{AppError, Conflict};
use crate::model::invitations::{ContactKind, InvitationPreview, InvitationRow};
use crate::model::users::{UserKind, UserStatus};
use crate::model::validation::{self, Field, FieldError, Problem};

pub const CREATE: Operation =
    Operation::new("invitations.create", Need::authority(A::ManageUsers)).rpc("invitations/create");
pub const LIST: Operation =
    Operation::new("invitations.list", Need::authority(A::ManageUsers)).rpc("invitations/list");
pub const REVOKE: Operation =
    Operation::new("invitations.revoke", Need::authority(A::ManageUsers)).rpc("invitations/revoke");
/// The invitation link: anyone holding it.
pub const PREVIEW: Operation =
    Operation::new("invitations.preview", Need::anyone()).rpc("invitations/preview");
pub const ACCEPT: Operation =
    Operation::new("invitations.accept", Need::anyone()).rpc("invitations/accept");
/// Joining with the account one is signed in with.
pub const JOIN: Operation =
    Operation::new("invitations.join", Need::member()).rpc("invitations/join");

pub const VALID_DAYS: i64 = 7;

/// `+` and 8-15 digits (E.164), after dropping spaces, dashes, dots and
/// parentheses.
pub fn phone(value: &str) -> Result<String, Problem> {
    let compact: String = value
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let digits = compact.strip_prefix('+').ok_or(Problem::InvalidPhone)?;
    let ok = (8..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0');
    if ok {
        Ok(compact)
    } else {
        Err(Problem::InvalidPhone)
    }
}

/// An e-mail address or a phone number, normalised, with its kind.
pub fn contact(value: &str) -> Result<(String, ContactKind), Problem> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Problem::Required);
    }
    if trimmed.contains('@') {
        validation::email(trimmed).map(|e| (e, ContactKind::Email))
    } else {
        phone(trimmed).map(|p| (p, ContactKind::Phone))
    }
}

fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn new_token() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(AppError::internal)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Creates an invitation; returns the token, shown once.
pub async fn create(
    state: &AppState,
    who: &Principal,
    raw_contact: &str,
    role_id: i64,
    meta: &RequestMeta,
) -> Result<String, AppError> {
    let mut errors = Vec::new();
    let parsed = contact(raw_contact)
        .map_err(|problem| {
            errors.push(FieldError {
                field: Field::Contact,
                problem,
            })
        })
        .ok();
    let role_ok = super::memberships::role_in_org(&state.db, who.organization.id, role_id).await?;
    if !role_ok {
        errors.push(FieldError {
            field: Field::Role,
            problem: Problem::Required,
        });
    }
    let Some((contact, kind)) = parsed.filter(|_| errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };
    let token = new_token()?;
    let now = state.clock.now();
    let mut work = Work::begin(state).await?;
    // Nobody invites into a role they could not give themselves.
    grants::lock_organization(&work, who.organization.id).await?;
    let giver = Giver::now(&work, who).await?;
    grants::givable_role(&work, who.organization.id, &giver, role_id)
        .await?
        .ok_or_else(|| {
            AppError::Invalid(vec![FieldError {
                field: Field::Role,
                problem: Problem::Required,
            }])
        })?;
    let created = invitation::ActiveModel {
        organization_id: Set(who.organization.id),
        role_id: Set(role_id),
        contact: Set(contact),
        contact_kind: Set(kind),
        token_hash: Set(hash_token(&token)),
        invited_by: Set(Some(who.user.id)),
        created_at: Set(now),
        expires_at: Set(now + chrono::Duration::days(VALID_DAYS)),
        ..Default::default()
    }
    .insert(&work)
    .await?;
    work.audit(Entry::new(
        Action::UserInvited,
        who.organization.id,
        who.user.id,
        format!("invitation:{}", created.id),
        meta,
        state.clock.now(),
    ));
    work.commit(Invalidate::None).await?;
    Ok(token)
}

pub async fn pending(state: &AppState, who: &Principal) -> Result<Vec<InvitationRow>, AppError> {
    let now = state.clock.now();
    let list = invitation::Entity::find()
        .filter(invitation::Column::OrganizationId.eq(who.organization.id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .filter(invitation::Column::ExpiresAt.gt(now))
        .order_by_desc(invitation::Column::CreatedAt)
        .all(&state.db)
        .await?;
    let roles = role::Entity::find()
        .filter(role::Column::OrganizationId.eq(who.organization.id))
        .all(&state.db)
        .await?;
    Ok(list
        .into_iter()
        .map(|i| InvitationRow {
            id: i.id,
            role: roles
                .iter()
                .find(|r| r.id == i.role_id)
                .map(|r| r.name.clone())
                .unwrap_or_default(),
            contact: i.contact,
            contact_kind: i.contact_kind,
            expires_at: i.expires_at.to_rfc3339(),
        })
        .collect())
}

pub async fn revoke(
    state: &AppState,
    who: &Principal,
    id: i64,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    // One conditional statement, like `claim`: an invitation accepted while
    // this revocation was in flight stays accepted and is not also marked
    // revoked (the revocation finds nothing left to revoke).
    let mut work = Work::begin(state).await?;
    let revoked = invitation::Entity::update_many()
        .col_expr(
            invitation::Column::RevokedAt,
            Expr::value(Some(state.clock.now())),
        )
        .filter(invitation::Column::Id.eq(id))
        .filter(invitation::Column::OrganizationId.eq(who.organization.id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .exec(&work)
        .await?
        .rows_affected;
    if revoked != 1 {
        return Err(AppError::NotFound);
    }
    work.audit(Entry::new(
        Action::InvitationRevoked,
        who.organization.id,
        who.user.id,
        format!("invitation:{id}"),
        meta,
        state.clock.now(),
    ));
    work.commit(Invalidate::None).await?;
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_e164() {
        assert_eq!(phone("+48 600-700-800"), Ok("+48600700800".into()));
        assert_eq!(phone("600700800"), Err(Problem::InvalidPhone));
        assert_eq!(phone("+0123456789"), Err(Problem::InvalidPhone));
        assert_eq!(phone("+48 600 abc"), Err(Problem::InvalidPhone));
        assert_eq!(phone("+1234567"), Err(Problem::InvalidPhone));
    }

    #[test]
    fn contact_is_email_or_phone() {
        assert_eq!(
            contact("Ada@Example.com"),
            Ok(("ada@example.com".into(), ContactKind::Email))
        );
        assert_eq!(
            contact("+48 600 700 800"),
            Ok(("+48600700800".into(), ContactKind::Phone))
        );
        assert_eq!(contact(""), Err(Problem::Required));
        assert_eq!(contact("ada@"), Err(Problem::InvalidEmail));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token().expect("token"), new_token().expect("token"));
        assert_ne!(a, b);
        assert_eq!(a.len(), 43, "32 bytes, base64url");
        assert_eq!(hash_token(&a).len(), 64);
        assert_ne!(hash_token(&a), a);
    }
}
