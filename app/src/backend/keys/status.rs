//! The ONE place that decides whether a key works. The key list, the key
//! detail page and the HTTP API all ask [`status`].
use chrono::{DateTime, Utc};

use crate::backend::entities::{api_key, api_key_secret, membership, organization, user};
use crate::model::keys::KeyStatus;
use crate::model::users::UserStatus;

/// Everything the decision needs, loaded by the caller.
pub struct Facts<'a> {
    pub key: &'a api_key::Model,
    pub owner: &'a user::Model,
    /// The owner's membership in the key's organization, if any remains.
    pub membership: Option<&'a membership::Model>,
    pub organization: &'a organization::Model,
}

/// A key works only while no secret of it was reported leaked (until it is
/// rolled), it is enabled, not expired, its owner is active
/// and still an active member of the organization, and the organization's
/// Public API is on. The first rule broken is the reason given.
pub fn status(facts: &Facts<'_>, now: DateTime<Utc>) -> KeyStatus {
    let owner_active = facts.owner.status == UserStatus::Active
        && facts.membership.is_some_and(|m| {
            m.status == UserStatus::Active && m.organization_id == facts.key.organization_id
        });
    if facts.key.leaked_at.is_some() {
        KeyStatus::Leaked
    } else if !facts.key.enabled {
        KeyStatus::Disabled
    } else if facts.key.expires_at.is_some_and(|at| at <= now) {
        KeyStatus::Expired
    } else if !owner_active {
        KeyStatus::OwnerInactive
    } else if !facts.organization.public_api_enabled {
        KeyStatus::PublicApiOff
    } else {
        KeyStatus::Active
    }
}

/// Whether a presented secret of the key is still accepted: the current
/// one, or a rolled one within its grace period.
pub fn secret_accepted(secret: &api_key_secret::Model, now: DateTime<Utc>) -> bool {
    match secret.superseded_at {
        None => true,
        Some(_) => secret.grace_until.is_some_and(|until| until > now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::users::UserKind;
    use chrono::Duration;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-24T12:00:00Z")
            .expect("date")
            .with_timezone(&Utc)
    }

    fn key() -> api_key::Model {
        api_key::Model {
            id: 1,
            organization_id: 10,
            user_id: 5,
            name: "CRM".into(),
            description: String::new(),
            enabled: true,
            expires_at: None,
            created_at: now() - Duration::days(1),
            request_token: None,
            last_used_at: None,
            last_used_ip: None,
            rate_limit_per_minute: None,
            leaked_at: None,
            leak_url: None,
            leak_source: None,
            allowed_addresses: None,
            decoy: false,
        }
    }

    fn owner() -> user::Model {
        user::Model {
            id: 5,
            username: "ada@example.com".into(),
            email: Some("ada@example.com".into()),
            name: "Ada".into(),
            kind: UserKind::Human,
            password_hash: "$argon2id$…".into(),
            status: UserStatus::Active,
            created_at: now(),
            last_sign_in_at: None,
            credential_version: 0,
        }
    }

    fn member() -> membership::Model {
        membership::Model {
            user_id: 5,
            organization_id: 10,
            role_id: 1,
            created_at: now(),
            status: UserStatus::Active,
        }
    }

    fn org() -> organization::Model {
        organization::Model {
            id: 10,
            name: "Acme".into(),
            slug: "acme".into(),
            public_api_enabled: true,
            created_at: now(),
        }
    }

    /// The rules as a table: each row breaks some rules; the first broken
    /// rule, in the documented order, is the answer.
    #[test]
    fn status_rules() {
        struct Row {
            enabled: bool,
            expires_in: Option<i64>,
            owner_active: bool,
            membership: Option<UserStatus>,
            public_api: bool,
            expected: KeyStatus,
        }
        let rows = [
            Row {
                enabled: true,
                expires_in: None,
                owner_active: true,
                membership: Some(UserStatus::Active),
                public_api: true,
                expected: KeyStatus::Active,
            },
            Row {
                enabled: true,
                expires_in: Some(60),
                owner_active: true,
                membership: Some(UserStatus::Active),
                public_api: true,
                expected: KeyStatus::Active,
            },
            Row {
                enabled: false,
                expires_in: None,
                owner_active: true,
                membership: Some(UserStatus::Active),
                public_api: true,
                expected: KeyStatus::Disabled,
            },
            Row {
                enabled: false,
                expires_in: Some(-1),
                owner_active: false,
                membership: None,
                public_api: false,
                expected: KeyStatus::Disabled,
            },
            Row {
                enabled: true,
                expires_in: Some(0),
                owner_active: true,
                membership: Some(UserStatus::Active),
                public_api: true,
                expected: KeyStatus::Expired,
            },
            Row {
                enabled: true,
                expires_in: Some(-60),
                owner_active: false,
                membership: None,
                public_api: false,
                expected: KeyStatus::Expired,
            },
            Row {
                enabled: true,
                expires_in: None,
                owner_active: false,
                membership: Some(UserStatus::Active),
                public_api: true,
                expected: KeyStatus::OwnerInactive,
            },
            Row {
                enabled: true,
                expires_in: None,
                owner_active: true,
                membership: Some(UserStatus::Inactive),
                public_api: true,
                expected: KeyStatus::OwnerInactive,
            },
            Row {
                enabled: true,
                expires_in: None,
                owner_active: true,
                membership: None,
                public_api: false,
                expected: KeyStatus::OwnerInactive,
            },
            Row {
                enabled: true,
                expires_in: None,
                owner_active: true,
                membership: Some(UserStatus::Active),
                public_api: false,
                expected: KeyStatus::PublicApiOff,
            },
        ];
        for (i, row) in rows.iter().enumerate() {
            let mut k = key();
            k.enabled = row.enabled;
            k.expires_at = row.expires_in.map(|s| now() + Duration::seconds(s));
            let mut u = owner();
            if !row.owner_active {
                u.status = UserStatus::Inactive;
            }
            let m = row
                .membership
                .map(|status| membership::Model { status, ..member() });
            let mut o = org();
            o.public_api_enabled = row.public_api;
            let facts = Facts {
                key: &k,
                owner: &u,
                membership: m.as_ref(),
                organization: &o,
            };
            assert_eq!(status(&facts, now()), row.expected, "row {i}");
        }
    }

    #[test]
    fn a_leaked_key_is_leaked_before_anything_else() {
        let leaked = api_key::Model {
            leaked_at: Some(now() - Duration::minutes(5)),
            enabled: false,
            expires_at: Some(now() - Duration::days(1)),
            ..key()
        };
        let facts = Facts {
            key: &leaked,
            owner: &owner(),
            membership: Some(&member()),
            organization: &org(),
        };
        assert_eq!(status(&facts, now()), KeyStatus::Leaked);
        // Enabled again by hand, it still does not work until rolled.
        let enabled = api_key::Model {
            enabled: true,
            expires_at: None,
            ..leaked.clone()
        };
        let facts = Facts {
            key: &enabled,
            ..facts
        };
        assert_eq!(status(&facts, now()), KeyStatus::Leaked);
    }

    #[test]
    fn a_membership_of_another_organization_does_not_count() {
        let k = key();
        let u = owner();
        let m = membership::Model {
            organization_id: 11,
            ..member()
        };
        let o = org();
        let facts = Facts {
            key: &k,
            owner: &u,
            membership: Some(&m),
            organization: &o,
        };
        assert_eq!(status(&facts, now()), KeyStatus::OwnerInactive);
    }

    #[test]
    fn rolled_secrets_work_only_within_their_grace_period() {
        let current = api_key_secret::Model {
            id: 1,
            api_key_id: 1,
            secret_hash: "h".into(),
            visible_start: "kh_abcd".into(),
            created_at: now(),
            superseded_at: None,
            grace_until: None,
            last_used_at: None,
            last_used_ip: None,
            retire_when_unused: false,
            retired_at: None,
        };
        assert!(secret_accepted(&current, now()));
        let rolled = api_key_secret::Model {
            superseded_at: Some(now() - Duration::minutes(5)),
            grace_until: Some(now() + Duration::minutes(55)),
            ..current.clone()
        };
        assert!(secret_accepted(&rolled, now()));
        assert!(!secret_accepted(&rolled, now() + Duration::hours(1)));
        let no_grace = api_key_secret::Model {
            grace_until: None,
            ..rolled
        };
        assert!(!secret_accepted(&no_grace, now()));
    }
}
