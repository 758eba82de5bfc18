//! The e-mail to a key's owner 7 days and 1 day before the key expires,
//! when `KEYHOUSE_SMTP_URL` is set. The housekeeping round writes each
//! message once per key, stage and expiry (a unique row: any number of
//! rounds and instances write it once); `expiry_mail_send` sends them. Only
//! an enabled key of a person who is active, with an address, is told of;
//! the message names the key, its organization and expiry, never a secret.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::backend::entities::{api_key, key_mail, membership, organization, user};
use crate::i18n::{Locale, td_string};
use crate::model::users::{UserKind, UserStatus};

/// Messages one round writes at most, per stage.
const WRITE_BATCH: u64 = 500;

/// The stage a key expiring at `at` is in at `now`, if any, and the days
/// left (rounded up).
fn stage(at: DateTime<Utc>, now: DateTime<Utc>) -> Option<(&'static str, i64)> {
    let left = at - now;
    let days = (left.num_seconds() + 86_399).div_euclid(86_400);
    if at <= now {
        None
    } else if left <= Duration::days(1) {
        Some(("expiring1", 1))
    } else if left <= Duration::days(7) {
        Some(("expiring7", days))
    } else {
        None
    }
}

/// Of `keys`, the ones whose owner is told, with the owner's address: a
/// person (a programmatic user has none), active, and still an active
/// member of the key's organization (else the key is Owner inactive: it
/// works for nobody, and is a matter for the admins); the key enabled, not
/// leaked, not a decoy.
pub(super) async fn recipients<C: ConnectionTrait>(
    db: &C,
    keys: &[api_key::Model],
) -> Result<HashMap<i64, String>, DbErr> {
    let mut owners: Vec<i64> = keys.iter().map(|k| k.user_id).collect();
    owners.sort_unstable();
    owners.dedup();
    let addresses: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(owners.iter().copied()))
        .filter(user::Column::Status.eq(UserStatus::Active))
        .filter(user::Column::Kind.eq(UserKind::Human))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|u| Some((u.id, u.email?)))
        .collect();
    let members: HashSet<(i64, i64)> = membership::Entity::find()
        .filter(membership::Column::UserId.is_in(addresses.keys().copied()))
        .filter(membership::Column::Status.eq(UserStatus::Active))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.user_id, m.organization_id))
        .collect();
    Ok(keys
        .iter()
        .filter(|k| k.enabled && k.leaked_at.is_none() && !k.decoy)
        .filter(|k| members.contains(&(k.user_id, k.organization_id)))
        .filter_map(|k| Some((k.id, addresses.get(&k.user_id)?.clone())))
        .collect())
}

/// Writes a message for every key in a stage that has none yet for its
/// expiry: at most [`WRITE_BATCH`] per stage and round (the rest next
/// round), found with the messages already written left out.
pub async fn write_due<C: ConnectionTrait>(db: &C, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let mut written = 0;
    for (stage, from, to) in [
        ("expiring1", now, now + Duration::days(1)),
        (
            "expiring7",
            now + Duration::days(1),
            now + Duration::days(7),
        ),
    ] {
        // `stage` is one of the two constants above, never input. Keys
        // already written, and keys nobody would be told of (whose owner is
        // no active person and member with an address), are left out in
        // the query, so neither can hold the others past the LIMIT.
        let unwritten = Expr::cust(format!(
            "NOT EXISTS (SELECT 1 FROM key_mails m WHERE m.api_key_id = api_keys.id \
             AND m.stage = '{stage}' AND m.expires_at = api_keys.expires_at)"
        ));
        let told = Expr::cust(
            "EXISTS (SELECT 1 FROM users u JOIN memberships ms ON ms.user_id = u.id \
             WHERE u.id = api_keys.user_id AND u.status = 'active' AND u.kind = 'human' \
             AND u.email IS NOT NULL AND ms.organization_id = api_keys.organization_id \
             AND ms.status = 'active')",
        );
        let keys: Vec<api_key::Model> = api_key::Entity::find()
            .filter(api_key::Column::Decoy.eq(false))
            .filter(api_key::Column::Enabled.eq(true))
            .filter(api_key::Column::LeakedAt.is_null())
            .filter(api_key::Column::ExpiresAt.gt(from))
            .filter(api_key::Column::ExpiresAt.lte(to))
            .filter(unwritten)
            .filter(told)
            .order_by_asc(api_key::Column::Id)
            .limit(WRITE_BATCH)
            .all(db)
            .await?;
        if keys.is_empty() {
            continue;
        }
        let to_whom = recipients(db, &keys).await?;
        let mut orgs: Vec<i64> = keys.iter().map(|k| k.organization_id).collect();
        orgs.sort_unstable();
        orgs.dedup();
        let orgs: HashMap<i64, String> = organization::Entity::find()
            .filter(organization::Column::Id.is_in(orgs))
            .all(db)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        for key in keys {
            let (Some(at), Some(to)) = (key.expires_at, to_whom.get(&key.id)) else {
                continue;
            };
            let Some((_, days)) = stage_of(stage, at, now) else {
                continue;
            };
            let org = orgs.get(&key.organization_id).map_or("", String::as_str);
            let (subject, body) = compose(&key.name, org, at, days);
            written += key_mail::Entity::insert(key_mail::ActiveModel {
                api_key_id: Set(key.id),
                organization_id: Set(key.organization_id),
                to_address: Set(to.clone()),
                stage: Set(stage.into()),
                expires_at: Set(at),
                subject: Set(subject),
                body: Set(body),
                created_at: Set(now),
                state: Set("pending".into()),
                attempts: Set(0),
                next_attempt_at: Set(Some(now)),
                ..Default::default()
            })
            .on_conflict(
                OnConflict::columns([
                    key_mail::Column::ApiKeyId,
                    key_mail::Column::Stage,
                    key_mail::Column::ExpiresAt,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
        }
    }
    Ok(written)
}

/// The days left when a key expiring at `at` is in `stage` now.
pub(super) fn stage_of(
    wanted: &str,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<(&'static str, i64)> {
    stage(at, now).filter(|(s, _)| *s == wanted)
}

/// The message, in English and then Polish (a user's language is known
/// only to their browser).
fn compose(name: &str, org: &str, at: DateTime<Utc>, days: i64) -> (String, String) {
    let date = at.format("%Y-%m-%d %H:%M UTC").to_string();
    let (en_subject, pl_subject) = if days <= 1 {
        (
            td_string!(Locale::en, mail_expiring_subject_1, name = name).to_string(),
            td_string!(Locale::pl, mail_expiring_subject_1, name = name).to_string(),
        )
    } else {
        (
            td_string!(
                Locale::en,
                mail_expiring_subject_days,
                name = name,
                days = days
            )
            .to_string(),
            td_string!(
                Locale::pl,
                mail_expiring_subject_days,
                name = name,
                days = days
            )
            .to_string(),
        )
    };
    let en = td_string!(
        Locale::en,
        mail_expiring_body,
        name = name,
        organization = org,
        date = date.as_str()
    );
    let pl = td_string!(
        Locale::pl,
        mail_expiring_body,
        name = name,
        organization = org,
        date = date.as_str()
    );
    (
        format!("{en_subject} / {pl_subject}"),
        format!("{en}\n\n--\n\n{pl}\n"),
    )
}

/// Deletes the messages older than 30 days that are no longer waiting.
pub async fn purge_old<C: ConnectionTrait>(db: &C, now: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(key_mail::Entity::delete_many()
        .filter(key_mail::Column::State.ne("pending"))
        .filter(key_mail::Column::CreatedAt.lt(now - Duration::days(30)))
        .exec(db)
        .await?
        .rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stage_is_the_nearest_of_7_days_and_1_day() {
        let now = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).expect("time");
        let at = |d: Duration| stage(now + d, now);
        assert_eq!(at(Duration::days(8)), None);
        assert_eq!(at(Duration::days(7)), Some(("expiring7", 7)));
        assert_eq!(at(Duration::days(3)), Some(("expiring7", 3)));
        assert_eq!(at(Duration::hours(25)), Some(("expiring7", 2)));
        assert_eq!(at(Duration::days(1)), Some(("expiring1", 1)));
        assert_eq!(at(Duration::minutes(1)), Some(("expiring1", 1)));
        assert_eq!(at(Duration::zero()), None);
    }

    #[test]
    fn the_message_names_the_key_in_english_and_polish() {
        let at = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).expect("time");
        let (subject, body) = compose("Billing", "Acme", at, 7);
        assert_eq!(
            subject,
            "Your API key “Billing” expires in 7 days / Twój klucz API „Billing” wygasa za 7 dni"
        );
        assert!(body.contains("Acme"), "{body}");
        assert!(body.contains("2027-01-15 08:00 UTC"), "{body}");
        assert!(body.contains("Roll"), "{body}");
        assert!(body.contains("Wymień sekret"), "{body}");
        let (subject, _) = compose("Billing", "Acme", at, 1);
        assert!(subject.starts_with("Your API key “Billing” expires within a day"));
        let (subject, _) = compose("Billing", "Acme", at, 3);
        assert!(subject.ends_with("„Billing” wygasa za 3 dni"), "{subject}");
    }
}
