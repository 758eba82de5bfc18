//! Invitations by e-mail or phone number, with a role; a single-use link
//! valid for 7 days, stored as SHA-256 only. Creating, listing and revoking
//! them; using the link is in [`super::invitation_accept`] (re-exported
//! here).
use base64::Engine as _;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::invitation_accept::hash_token;
use crate::backend::audit::{Action, Entry};
use crate::backend::auth::operation::{Need, Operation};
use crate::backend::auth::session::Principal;
use crate::backend::entities::{invitation, role};
use crate::backend::request_meta::RequestMeta;
use crate::backend::services::grants::{self, Giver};
use crate::backend::state::AppState;
use crate::backend::unit_of_work::{Invalidate, Work};
use crate::model::authz::Authority as A;
use crate::model::error::AppError;
use crate::model::invitations::{ContactKind, InvitationRow};
use crate::model::validation::{self, Field, FieldError, Problem};

pub use super::invitation_accept::{
    ACCEPT, JOIN, Newcomer, PREVIEW, accept_existing, accept_new, preview,
};

pub const CREATE: Operation =
    Operation::new("invitations.create", Need::authority(A::ManageUsers)).rpc("invitations/create");
pub const LIST: Operation =
    Operation::new("invitations.list", Need::authority(A::ManageUsers)).rpc("invitations/list");
pub const REVOKE: Operation =
    Operation::new("invitations.revoke", Need::authority(A::ManageUsers)).rpc("invitations/revoke");

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
    // One conditional statement, like `claim` (in `super::invitation_accept`):
    // an invitation accepted while this revocation was in flight stays
    // accepted and is not also marked revoked (the revocation finds nothing
    // left to revoke).
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
