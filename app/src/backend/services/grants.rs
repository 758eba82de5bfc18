//! Who may give what. A role is given (a new programmatic user, an
//! invitation, a role change) only by someone whose own authorities include
//! all of the role's; the built-in Admin role only by someone holding every
//! authority; authorities are added to a role only by someone holding them;
//! nobody edits or deletes the role they hold.
//!
//! The decisions are taken inside the write transaction, against the giver's
//! role as it is at that moment (not as the session found it when the
//! request began), with the organization locked: see [`lock_organization`].
use sea_orm::sea_query::LockType;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::backend::auth::session::Principal;
use crate::backend::entities::{membership, organization, role, role_authority};
use crate::model::authz::{Authority, BuiltinRole};
use crate::model::error::{AppError, GrantRefusal};
use crate::model::users::UserStatus;

fn refused(reason: GrantRefusal) -> AppError {
    AppError::GrantRefused(reason)
}

/// Serializes the changes to one organization's roles and memberships until
/// the transaction ends. PostgreSQL: a row lock on the organization, taken
/// before anything is counted, so two demotions at once cannot both see the
/// other Admin still there. `FOR NO KEY UPDATE`, not `FOR UPDATE`: inserts
/// that merely reference the organization (keys, audit rows) take
/// `FOR KEY SHARE` on it and must not wait. SQLite has no row locks (the
/// clause is left out); `Work::begin`'s `BEGIN IMMEDIATE` already lets one
/// writer in at a time.
pub async fn lock_organization<C: ConnectionTrait>(txn: &C, org_id: i64) -> Result<(), AppError> {
    organization::Entity::find_by_id(org_id)
        .lock(LockType::NoKeyUpdate)
        .one(txn)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(())
}

/// The authorities of a role.
pub async fn authorities_of<C: ConnectionTrait>(
    db: &C,
    role_id: i64,
) -> Result<Vec<Authority>, AppError> {
    Ok(role_authority::Entity::find()
        .filter(role_authority::Column::RoleId.eq(role_id))
        .all(db)
        .await?
        .iter()
        .filter_map(|a| Authority::parse(&a.authority))
        .collect())
}

/// Whether `role` is the organization's built-in Admin role.
pub fn is_admin_role(role: &role::Model) -> bool {
    role.builtin && role.name == BuiltinRole::Admin.name()
}

/// The one giving: their role and its authorities.
#[derive(Clone, Debug)]
pub struct Giver {
    pub role_id: i64,
    pub authorities: Vec<Authority>,
}

impl Giver {
    /// As the session found them; for what the pages offer.
    pub fn of(who: &Principal) -> Giver {
        Giver {
            role_id: who.role.id,
            authorities: who.authorities.clone(),
        }
    }

    /// As they are now, inside `txn`. No longer an active member: refused.
    pub async fn now<C: ConnectionTrait>(txn: &C, who: &Principal) -> Result<Giver, AppError> {
        let membership = membership::Entity::find_by_id((who.user.id, who.organization.id))
            .one(txn)
            .await?
            .filter(|m| m.status == UserStatus::Active)
            .ok_or(AppError::Forbidden)?;
        let authorities = authorities_of(txn, membership.role_id)
            .await?
            .into_iter()
            .filter(|a| who.authorities.contains(a))
            .collect();
        Ok(Giver {
            role_id: membership.role_id,
            authorities,
        })
    }

    pub fn holds_all(&self, authorities: &[Authority]) -> bool {
        authorities.iter().all(|a| self.authorities.contains(a))
    }

    /// May this giver give `role`, whose authorities are `authorities`?
    pub fn may_give(&self, role: &role::Model, authorities: &[Authority]) -> Result<(), AppError> {
        if is_admin_role(role) && !self.holds_all(&Authority::ALL) {
            return Err(refused(GrantRefusal::AdminRole));
        }
        if !self.holds_all(authorities) {
            return Err(refused(GrantRefusal::RoleExceedsYours));
        }
        Ok(())
    }

    /// May this giver change `role_id` to have `wanted`, where it has
    /// `current` now? Not their own role; nothing added they do not hold.
    pub fn may_edit(
        &self,
        role_id: Option<i64>,
        current: &[Authority],
        wanted: &[Authority],
    ) -> Result<(), AppError> {
        if role_id == Some(self.role_id) {
            return Err(refused(GrantRefusal::OwnRole));
        }
        // A role holding more than the giver is not theirs to reshape:
        // stripping it would demote everyone in it at once.
        if !self.holds_all(current) {
            return Err(refused(GrantRefusal::RoleExceedsYours));
        }
        let added: Vec<Authority> = wanted
            .iter()
            .copied()
            .filter(|a| !current.contains(a))
            .collect();
        if !self.holds_all(&added) {
            return Err(refused(GrantRefusal::AuthorityNotHeld));
        }
        Ok(())
    }

    /// May this giver delete `role_id`, whose authorities are `current`?
    /// Not their own role, nor one holding more than they do.
    pub fn may_delete(&self, role_id: i64, current: &[Authority]) -> Result<(), AppError> {
        if role_id == self.role_id {
            return Err(refused(GrantRefusal::OwnRole));
        }
        if !self.holds_all(current) {
            return Err(refused(GrantRefusal::RoleExceedsYours));
        }
        Ok(())
    }
}

/// The role `role_id` of organization `org_id` (`None` when it has no such
/// role), refused when `giver` may not give it.
pub async fn givable_role<C: ConnectionTrait>(
    txn: &C,
    org_id: i64,
    giver: &Giver,
    role_id: i64,
) -> Result<Option<role::Model>, AppError> {
    let Some(found) = role::Entity::find_by_id(role_id)
        .filter(role::Column::OrganizationId.eq(org_id))
        .one(txn)
        .await?
    else {
        return Ok(None);
    };
    giver.may_give(&found, &authorities_of(txn, found.id).await?)?;
    Ok(Some(found))
}

/// The roles of the caller's organization that the caller may give, in the
/// order the pickers show them.
pub async fn givable_roles<C: ConnectionTrait>(
    db: &C,
    who: &Principal,
) -> Result<Vec<role::Model>, AppError> {
    let giver = Giver::of(who);
    let roles = role::Entity::find()
        .filter(role::Column::OrganizationId.eq(who.organization.id))
        .order_by_asc(role::Column::Id)
        .all(db)
        .await?;
    let links = role_authority::Entity::find()
        .filter(role_authority::Column::RoleId.is_in(roles.iter().map(|r| r.id)))
        .all(db)
        .await?;
    Ok(roles
        .into_iter()
        .filter(|r| {
            let authorities: Vec<Authority> = links
                .iter()
                .filter(|l| l.role_id == r.id)
                .filter_map(|l| Authority::parse(&l.authority))
                .collect();
            giver.may_give(r, &authorities).is_ok()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Authority::*;

    fn role(name: &str, builtin: bool) -> role::Model {
        role::Model {
            id: 7,
            organization_id: 1,
            name: name.into(),
            builtin,
            created_at: chrono::DateTime::UNIX_EPOCH,
        }
    }

    fn giver(authorities: &[Authority]) -> Giver {
        Giver {
            role_id: 3,
            authorities: authorities.to_vec(),
        }
    }

    #[test]
    fn a_role_is_given_only_within_the_givers_authorities() {
        let users = giver(&[ManageUsers]);
        assert!(users.may_give(&role("Member", true), &[]).is_ok());
        assert!(
            users
                .may_give(&role("Support", false), &[ManageUsers])
                .is_ok()
        );
        assert_eq!(
            users.may_give(&role("Developer", true), &[ManageUserApiKey]),
            Err(AppError::GrantRefused(GrantRefusal::RoleExceedsYours))
        );
        assert_eq!(
            users.may_give(&role("Admin", true), &Authority::ALL),
            Err(AppError::GrantRefused(GrantRefusal::AdminRole))
        );
    }

    #[test]
    fn the_admin_role_needs_every_authority_even_if_it_lost_some() {
        let almost = giver(&Authority::ALL[1..]);
        assert_eq!(
            almost.may_give(&role("Admin", true), &[]),
            Err(AppError::GrantRefused(GrantRefusal::AdminRole))
        );
        assert!(
            giver(&Authority::ALL)
                .may_give(&role("Admin", true), &Authority::ALL)
                .is_ok()
        );
        // A custom role that happens to be called Admin is not the Admin role.
        assert!(
            almost
                .may_give(&role("Admin", false), &[ManageRoles])
                .is_ok()
        );
    }

    #[test]
    fn nobody_edits_their_own_role_nor_adds_what_they_lack() {
        let roles = giver(&[ManageRoles, ViewAuditLog]);
        assert_eq!(
            roles.may_edit(Some(3), &[ManageRoles], &[ManageRoles]),
            Err(AppError::GrantRefused(GrantRefusal::OwnRole))
        );
        assert_eq!(
            roles.may_delete(3, &[]),
            Err(AppError::GrantRefused(GrantRefusal::OwnRole))
        );
        assert!(roles.may_delete(4, &[ViewAuditLog]).is_ok());
        assert_eq!(
            roles.may_delete(4, &[ManageUsers]),
            Err(AppError::GrantRefused(GrantRefusal::RoleExceedsYours))
        );
        assert_eq!(
            roles.may_edit(Some(4), &[], &[ManageUsers]),
            Err(AppError::GrantRefused(GrantRefusal::AuthorityNotHeld))
        );
        // A role within the giver's authorities may be reshaped within them.
        assert!(
            roles
                .may_edit(Some(4), &[ViewAuditLog], &[ManageRoles, ViewAuditLog])
                .is_ok()
        );
        assert!(roles.may_edit(Some(4), &[ViewAuditLog], &[]).is_ok());
        // A role holding more than the giver is not theirs: not even to strip.
        assert_eq!(
            roles.may_edit(Some(4), &[ManageUsers], &[]),
            Err(AppError::GrantRefused(GrantRefusal::RoleExceedsYours))
        );
        assert!(roles.may_edit(None, &[], &[ViewAuditLog]).is_ok());
    }
}
