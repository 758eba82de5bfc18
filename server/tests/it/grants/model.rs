//! The grant rules of `grants.rs`, written out independently of the
//! service: the target roles, every way of giving something, and the answer
//! each should get.

use app::model::authz::Authority;

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Target {
    Admin,
    Developer,
    Member,
    /// A custom role with Manage Users.
    Custom,
}

pub(super) const TARGETS: [Target; 4] = [
    Target::Admin,
    Target::Developer,
    Target::Member,
    Target::Custom,
];

impl Target {
    pub(super) fn authorities(self) -> &'static [Authority] {
        match self {
            Target::Admin => &Authority::ALL,
            Target::Developer => &[Authority::ManageUserApiKey],
            Target::Member => &[],
            Target::Custom => &[Authority::ManageUsers],
        }
    }
}

/// Every way of giving something, for one target role.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Path {
    CreateProgrammaticUser,
    Invite,
    SetRoleOfAnother,
    SetRoleOfThemself,
    /// Their own role, with the target's authorities added.
    EditOwnRole,
    /// The target role, with an authority the actor lacks added.
    EditRoleAddingLacked,
    /// The target role, with the actor's own authority added.
    EditRoleAddingHeld,
    /// A new role with the target's authorities.
    CreateRoleLike,
    /// Their own role (no target).
    DeleteOwnRole,
}

pub(super) const PATHS: [Path; 8] = [
    Path::CreateProgrammaticUser,
    Path::Invite,
    Path::SetRoleOfAnother,
    Path::SetRoleOfThemself,
    Path::EditOwnRole,
    Path::EditRoleAddingLacked,
    Path::EditRoleAddingHeld,
    Path::CreateRoleLike,
];

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Expected {
    Allowed,
    /// 403 from the guard: the call itself needs an authority they lack.
    Forbidden,
    /// 403 from the grant rules, with this reason.
    Refused(&'static str),
    /// 409: built-in roles are never edited.
    Builtin,
}

fn holds(actor: &[Authority], wanted: &[Authority]) -> bool {
    wanted.iter().all(|a| actor.contains(a))
}

/// The rules, written out independently of the service.
pub(super) fn expected(actor: &[Authority], path: Path, target: Target) -> Expected {
    let needs = match path {
        Path::CreateProgrammaticUser | Path::Invite => Authority::ManageUsers,
        _ => Authority::ManageRoles,
    };
    if !actor.contains(&needs) {
        return Expected::Forbidden;
    }
    let give = || {
        if target == Target::Admin && !holds(actor, &Authority::ALL) {
            Expected::Refused("admin_role")
        } else if !holds(actor, target.authorities()) {
            Expected::Refused("role_exceeds_yours")
        } else {
            Expected::Allowed
        }
    };
    match path {
        Path::CreateProgrammaticUser
        | Path::Invite
        | Path::SetRoleOfAnother
        | Path::SetRoleOfThemself => give(),
        Path::EditOwnRole => Expected::Refused("own_role"),
        Path::EditRoleAddingLacked | Path::EditRoleAddingHeld if target != Target::Custom => {
            Expected::Builtin
        }
        Path::EditRoleAddingLacked | Path::EditRoleAddingHeld
            if !holds(actor, target.authorities()) =>
        {
            Expected::Refused("role_exceeds_yours")
        }
        Path::EditRoleAddingLacked => Expected::Refused("authority_not_held"),
        Path::EditRoleAddingHeld => Expected::Allowed,
        Path::CreateRoleLike if holds(actor, target.authorities()) => Expected::Allowed,
        Path::CreateRoleLike => Expected::Refused("authority_not_held"),
        Path::DeleteOwnRole => Expected::Refused("own_role"),
    }
}

/// The form field of an authority's checkbox.
pub(super) fn boxes(authorities: &[Authority]) -> Vec<(&'static str, &'static str)> {
    authorities.iter().map(|a| (a.as_str(), "on")).collect()
}
