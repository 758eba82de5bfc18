//! The e-mail to a key's owner 7 days and 1 day before the key expires,
//! when `KEYHOUSE_SMTP_URL` is set. The housekeeping round writes each
//! message once per key, stage and expiry (a unique row: any number of
//! rounds and instances write it once), then sends the due ones, each
//! under a lease so two senders never send the same one; a failure is
//! tried again after 5, 10, 20, 40 and 80 minutes, then given up. Only an
//! enabled key of a person who is active, with an address, is told of; the
//! message names the key, its organization and expiry, never a secret.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::backend::entities::{api_key, key_mail, membership, organization, user};
use crate::backend::mail::Mailer;
use crate::backend::state::AppState;
use crate::i18n::{Locale, td_string};
use crate::model::users::{UserKind, UserStatus};

/// Attempts before a message is given up.
pub const ATTEMPTS: i32 = 6;
/// Messages one round sends at most.
const BATCH: u64 = 50;
/// How long a sender holds a message it took.
const LEASE_SECONDS: i64 = 120;

/// What a round did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub written: u64,
    pub sent: u64,
    pub failed: u64,
}

/// Writes the messages due now, then sends what is due (the housekeeping
/// round, when a mailer is configured).
pub async fn run(state: &AppState, mailer: &Mailer, now: DateTime<Utc>) -> Result<Round, DbErr> {
    let written = write_due(&state.db, now).await?;
    let (sent, failed) = send_due(state, mailer, now).await?;
    Ok(Round {
        written,
        sent,
        failed,
    })
}

/// The stage a key expiring at `at` is in at `now`, if any.
fn stage(at: DateTime<Utc>, now: DateTime<Utc>) -> Option<(&'static str, u32)> {
    if at <= now {
        None
    } else if at - now <= Duration::days(1) {
        Some(("expiring1", 1))
    } else if at - now <= Duration::days(7) {
        Some(("expiring7", 7))
    } else {
        None
    }
}

/// Writes a message for every key in a stage that has none yet.
pub async fn write_due<C: ConnectionTrait>(db: &C, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let keys: Vec<api_key::Model> = api_key::Entity::find()
        .filter(api_key::Column::Decoy.eq(false))
        .filter(api_key::Column::Enabled.eq(true))
        .filter(api_key::Column::LeakedAt.is_null())
        .filter(api_key::Column::ExpiresAt.gt(now))
        .filter(api_key::Column::ExpiresAt.lte(now + Duration::days(7)))
        .order_by_asc(api_key::Column::Id)
        .all(db)
        .await?;
    if keys.is_empty() {
        return Ok(0);
    }
    let ids = |of: fn(&api_key::Model) -> i64| {
        let mut ids: Vec<i64> = keys.iter().map(of).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let orgs: HashMap<i64, String> = organization::Entity::find()
        .filter(organization::Column::Id.is_in(ids(|k| k.organization_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    // People still active, with an address (a programmatic user has none).
    let owners: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(ids(|k| k.user_id)))
        .filter(user::Column::Status.eq(UserStatus::Active))
        .filter(user::Column::Kind.eq(UserKind::Human))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|u| Some((u.id, u.email?)))
        .collect();
    // …and still members of the key's organization (else the key is Owner
    // inactive: it works for nobody, and is a matter for the admins).
    let members: HashSet<(i64, i64)> = membership::Entity::find()
        .filter(membership::Column::UserId.is_in(owners.keys().copied()))
        .filter(membership::Column::Status.eq(UserStatus::Active))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.user_id, m.organization_id))
        .collect();
    let mut written = 0;
    for key in keys {
        let (Some(at), Some(to)) = (key.expires_at, owners.get(&key.user_id).cloned()) else {
            continue;
        };
        let Some((stage, days)) = stage(at, now) else {
            continue;
        };
        if !members.contains(&(key.user_id, key.organization_id)) {
            continue;
        }
        let org = orgs.get(&key.organization_id).map_or("", String::as_str);
        let (subject, body) = compose(&key.name, org, at, days);
        written += key_mail::Entity::insert(key_mail::ActiveModel {
            api_key_id: Set(key.id),
            organization_id: Set(key.organization_id),
            to_address: Set(to),
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
    Ok(written)
}

/// The message, in English and then Polish (a user's language is known
/// only to their browser).
fn compose(name: &str, org: &str, at: DateTime<Utc>, days: u32) -> (String, String) {
    let date = at.format("%Y-%m-%d %H:%M UTC").to_string();
    let (en_subject, pl_subject) = if days == 1 {
        (
            td_string!(Locale::en, mail_expiring_subject_1, name = name).to_string(),
            td_string!(Locale::pl, mail_expiring_subject_1, name = name).to_string(),
        )
    } else {
        (
            td_string!(Locale::en, mail_expiring_subject_7, name = name).to_string(),
            td_string!(Locale::pl, mail_expiring_subject_7, name = name).to_string(),
        )
    };
    let body = |locale: Locale| match locale {
        Locale::en => td_string!(
            Locale::en,
            mail_expiring_body,
            name = name,
            organization = org,
            date = date.as_str()
        )
        .to_string(),
        Locale::pl => td_string!(
            Locale::pl,
            mail_expiring_body,
            name = name,
            organization = org,
            date = date.as_str()
        )
        .to_string(),
    };
    (
        format!("{en_subject} / {pl_subject}"),
        format!("{}\n\n--\n\n{}\n", body(Locale::en), body(Locale::pl)),
    )
}

/// Sends up to [`BATCH`] due messages; returns (sent, given up).
pub async fn send_due(
    state: &AppState,
    mailer: &Mailer,
    now: DateTime<Utc>,
) -> Result<(u64, u64), DbErr> {
    let due: Vec<key_mail::Model> = key_mail::Entity::find()
        .filter(key_mail::Column::State.eq("pending"))
        .filter(key_mail::Column::NextAttemptAt.lte(now))
        .filter(
            Condition::any()
                .add(key_mail::Column::LeaseUntil.is_null())
                .add(key_mail::Column::LeaseUntil.lt(now)),
        )
        .order_by_asc(key_mail::Column::Id)
        .limit(BATCH)
        .all(&state.db)
        .await?;
    let (mut sent, mut failed) = (0, 0);
    for mail in due {
        let lease = now + Duration::seconds(LEASE_SECONDS);
        // The lease is the claim: of senders at once, one takes it.
        let taken = key_mail::Entity::update_many()
            .col_expr(key_mail::Column::LeaseUntil, Expr::value(lease))
            .filter(key_mail::Column::Id.eq(mail.id))
            .filter(key_mail::Column::State.eq("pending"))
            .filter(
                Condition::any()
                    .add(key_mail::Column::LeaseUntil.is_null())
                    .add(key_mail::Column::LeaseUntil.lt(now)),
            )
            .exec(&state.db)
            .await?
            .rows_affected;
        if taken != 1 {
            continue;
        }
        // A key given another expiry (or deleted) meanwhile is not told of
        // the old one.
        let current = api_key::Entity::find_by_id(mail.api_key_id)
            .one(&state.db)
            .await?
            .and_then(|k| k.expires_at);
        let mine = || {
            key_mail::Entity::update_many()
                .filter(key_mail::Column::Id.eq(mail.id))
                .filter(key_mail::Column::LeaseUntil.eq(lease))
        };
        if current != Some(mail.expires_at) {
            mine()
                .col_expr(key_mail::Column::State, Expr::value("skipped"))
                .col_expr(
                    key_mail::Column::LeaseUntil,
                    Expr::value(None::<DateTime<Utc>>),
                )
                .exec(&state.db)
                .await?;
            continue;
        }
        let attempts = mail.attempts + 1;
        match mailer
            .send(&mail.to_address, &mail.subject, mail.body.clone())
            .await
        {
            Ok(()) => {
                sent += 1;
                mine()
                    .col_expr(key_mail::Column::State, Expr::value("sent"))
                    .col_expr(key_mail::Column::Attempts, Expr::value(attempts))
                    .col_expr(key_mail::Column::SentAt, Expr::value(state.clock.now()))
                    .col_expr(key_mail::Column::LastError, Expr::value(None::<String>))
                    .col_expr(
                        key_mail::Column::LeaseUntil,
                        Expr::value(None::<DateTime<Utc>>),
                    )
                    .exec(&state.db)
                    .await?;
            }
            Err(error) => {
                tracing::warn!(
                    mail = mail.id,
                    key_id = mail.api_key_id,
                    error,
                    "an expiry e-mail was not sent"
                );
                let gave_up = attempts >= ATTEMPTS;
                failed += u64::from(gave_up);
                let next = now + Duration::minutes(5 << (attempts - 1).clamp(0, 10));
                mine()
                    .col_expr(
                        key_mail::Column::State,
                        Expr::value(if gave_up { "failed" } else { "pending" }),
                    )
                    .col_expr(key_mail::Column::Attempts, Expr::value(attempts))
                    .col_expr(
                        key_mail::Column::NextAttemptAt,
                        Expr::value((!gave_up).then_some(next)),
                    )
                    .col_expr(key_mail::Column::LastError, Expr::value(error))
                    .col_expr(
                        key_mail::Column::LeaseUntil,
                        Expr::value(None::<DateTime<Utc>>),
                    )
                    .exec(&state.db)
                    .await?;
            }
        }
    }
    Ok((sent, failed))
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
        assert_eq!(stage(now + Duration::days(8), now), None);
        assert_eq!(stage(now + Duration::days(7), now), Some(("expiring7", 7)));
        assert_eq!(
            stage(now + Duration::hours(25), now),
            Some(("expiring7", 7))
        );
        assert_eq!(stage(now + Duration::days(1), now), Some(("expiring1", 1)));
        assert_eq!(
            stage(now + Duration::minutes(1), now),
            Some(("expiring1", 1))
        );
        assert_eq!(stage(now, now), None);
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
        assert!(subject.starts_with("Your API key “Billing” expires tomorrow"));
    }
}
