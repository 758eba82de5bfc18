//! Sending the expiry e-mail that `expiry_mail` writes: the due messages,
//! each claimed under a lease taken when it is sent (a slow send before it
//! never leaves it a lease already over) and only at the attempt this
//! sender read, checked again (a key disabled, leaked, given another expiry
//! or owner, or an owner gone meanwhile is not told of), sent to the
//! current owner, and on failure tried again after 5, 10, 20, 40 and 80
//! minutes, then given up.
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::expiry_mail::{recipients, stage_of, write_due};
use crate::backend::entities::{api_key, key_mail};
use crate::backend::mail::Mailer;
use crate::backend::state::AppState;

/// Attempts before a message is given up.
pub const ATTEMPTS: i32 = 6;
/// Messages one round sends at most.
const BATCH: u64 = 50;
/// How long a sender holds a message it took (well over a send's bound,
/// 2 × `mail::TIMEOUT`).
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

/// Sends up to [`BATCH`] due messages; returns (sent, given up).
pub async fn send_due(
    state: &AppState,
    mailer: &Mailer,
    now: DateTime<Utc>,
) -> Result<(u64, u64), DbErr> {
    let due: Vec<key_mail::Model> = key_mail::Entity::find()
        .filter(key_mail::Column::State.eq("pending"))
        .filter(key_mail::Column::NextAttemptAt.lte(now))
        .filter(free(now))
        .order_by_asc(key_mail::Column::Id)
        .limit(BATCH)
        .all(&state.db)
        .await?;
    let (mut sent, mut failed) = (0, 0);
    for mail in due {
        // Each claim at its own time: a slow send before it never leaves it
        // a lease already over.
        let t = Ord::max(state.clock.now(), now);
        let lease = t + Duration::seconds(LEASE_SECONDS);
        // The lease is the claim: of senders at once, one takes it, and
        // only while it is still due at the attempt this sender read.
        let taken = key_mail::Entity::update_many()
            .col_expr(key_mail::Column::LeaseUntil, Expr::value(lease))
            .filter(key_mail::Column::Id.eq(mail.id))
            .filter(key_mail::Column::State.eq("pending"))
            .filter(key_mail::Column::NextAttemptAt.lte(t))
            .filter(key_mail::Column::Attempts.eq(mail.attempts))
            .filter(free(t))
            .exec(&state.db)
            .await?
            .rows_affected;
        if taken != 1 {
            continue;
        }
        let mine = || {
            key_mail::Entity::update_many()
                .filter(key_mail::Column::Id.eq(mail.id))
                .filter(key_mail::Column::LeaseUntil.eq(lease))
                .col_expr(
                    key_mail::Column::LeaseUntil,
                    Expr::value(None::<DateTime<Utc>>),
                )
        };
        // Still so now? A key disabled, leaked, given another expiry or
        // another owner, or an owner gone, since it was written: the
        // current owner is told, or nobody.
        let Some(to) = still_due(state, &mail, t).await? else {
            mine()
                .col_expr(key_mail::Column::State, Expr::value("skipped"))
                .exec(&state.db)
                .await?;
            continue;
        };
        let attempts = mail.attempts + 1;
        match mailer.send(&to, &mail.subject, mail.body.clone()).await {
            Ok(()) => {
                sent += 1;
                mine()
                    .col_expr(key_mail::Column::State, Expr::value("sent"))
                    .col_expr(key_mail::Column::Attempts, Expr::value(attempts))
                    .col_expr(key_mail::Column::SentAt, Expr::value(state.clock.now()))
                    .col_expr(key_mail::Column::ToAddress, Expr::value(to))
                    .col_expr(key_mail::Column::LastError, Expr::value(None::<String>))
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
                let next = t + Duration::minutes(5 << (attempts - 1).clamp(0, 10));
                let state_now = if gave_up { "failed" } else { "pending" };
                mine()
                    .col_expr(key_mail::Column::State, Expr::value(state_now))
                    .col_expr(key_mail::Column::Attempts, Expr::value(attempts))
                    .col_expr(
                        key_mail::Column::NextAttemptAt,
                        Expr::value((!gave_up).then_some(next)),
                    )
                    .col_expr(key_mail::Column::LastError, Expr::value(error))
                    .exec(&state.db)
                    .await?;
            }
        }
    }
    Ok((sent, failed))
}

/// Not held by a sender at `t`.
fn free(t: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(key_mail::Column::LeaseUntil.is_null())
        .add(key_mail::Column::LeaseUntil.lt(t))
}

/// The address `mail` goes to now, if it is still due.
async fn still_due(
    state: &AppState,
    mail: &key_mail::Model,
    t: DateTime<Utc>,
) -> Result<Option<String>, DbErr> {
    let Some(key) = api_key::Entity::find_by_id(mail.api_key_id)
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    if key.expires_at != Some(mail.expires_at)
        || stage_of(&mail.stage, mail.expires_at, t).is_none()
    {
        return Ok(None);
    }
    let to = recipients(&state.db, std::slice::from_ref(&key)).await?;
    Ok(to.get(&key.id).cloned())
}
