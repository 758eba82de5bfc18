//! The organization's key policy: the longest a key may live, whether it
//! must expire, the Create dialog's default, and the daily disabling of
//! keys unused for a number of days. Create and Roll ask [`check`];
//! "Shorten to the policy" brings the keys made before it within it.
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, LockType, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::backend::advisory::{self, Lock};
use crate::backend::audit::{Action, Entry};
use crate::backend::auth::operation::{Need, Operation};
use crate::backend::auth::session::Principal;
use crate::backend::entities::{api_key, key_policy, organization, user};
use crate::backend::request_meta::RequestMeta;
use crate::backend::state::AppState;
use crate::backend::unit_of_work::{Invalidate, Work};
use crate::model::authz::Authority as A;
use crate::model::error::AppError;
use crate::model::keys::ExpiringKey;
use crate::model::policy::{BEYOND_SHOWN, BeyondKey, KeyPolicy, KeyPolicyPage, PolicyForm};
use crate::model::validation::Problem;

pub const PAGE: Operation =
    Operation::new("key_policy.page", Need::member()).rpc("key-policy/page");
pub const SAVE: Operation =
    Operation::new("key_policy.save", Need::authority(A::ManageIntegrations))
        .rpc("key-policy/save");
pub const SHORTEN: Operation =
    Operation::new("key_policy.shorten", Need::authority(A::ManageIntegrations))
        .rpc("key-policy/shorten");

/// The caller's own keys that expire within 7 days (the home page's banner).
pub const EXPIRING: Operation =
    Operation::new("keys.expiring", Need::member()).rpc("keys/expiring");

/// The first moment past the policy for a key made at `now`: the start of
/// the day after `now` + the maximum lifetime (a date chosen in the Expires
/// field works through that whole day). `None`: no maximum.
pub fn latest_expiry(policy: &KeyPolicy, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let days = policy.max_lifetime_days?;
    let last = (now + Duration::days(i64::from(days))).date_naive();
    last.succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// Whether a key made (or rolled) at `now` may expire at `expires_at`.
pub fn check(
    policy: &KeyPolicy,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), Problem> {
    match (expires_at, latest_expiry(policy, now)) {
        (None, _) if policy.requires_expiry() => Err(Problem::ExpiryRequired),
        (Some(at), Some(latest)) if at > latest => Err(Problem::BeyondPolicy),
        _ => Ok(()),
    }
}

fn of_row(row: Option<key_policy::Model>, now: DateTime<Utc>) -> KeyPolicy {
    let days = |d: Option<i32>| d.and_then(|d| u32::try_from(d).ok());
    let mut policy = row.map_or_else(KeyPolicy::default, |r| KeyPolicy {
        max_lifetime_days: days(r.max_lifetime_days),
        expiry_required: r.expiry_required,
        default_expiry: r.default_expiry,
        disable_unused_days: days(r.disable_unused_days),
        latest_date: None,
    });
    policy.latest_date = policy.max_lifetime_days.map(|d| {
        (now + Duration::days(i64::from(d)))
            .format("%Y-%m-%d")
            .to_string()
    });
    policy
}

/// `organization`'s policy as of `now` (the default when it has none).
pub async fn of<C: ConnectionTrait>(
    db: &C,
    organization: i64,
    now: DateTime<Utc>,
) -> Result<KeyPolicy, AppError> {
    let row = key_policy::Entity::find_by_id(organization).one(db).await?;
    Ok(of_row(row, now))
}

/// The keys that would outlive the policy from `now`: no expiry, or a later
/// one than a key made now may have. Decoys never expire and are not keys.
fn beyond_filter(policy: &KeyPolicy, organization: i64, now: DateTime<Utc>) -> Option<Condition> {
    let latest = latest_expiry(policy, now)?;
    Some(
        Condition::all()
            .add(api_key::Column::OrganizationId.eq(organization))
            .add(api_key::Column::Decoy.eq(false))
            .add(
                Condition::any()
                    .add(api_key::Column::ExpiresAt.is_null())
                    .add(api_key::Column::ExpiresAt.gt(latest)),
            ),
    )
}

/// Settings → Integrations → Key policy.
pub async fn page(state: &AppState, who: &Principal) -> Result<KeyPolicyPage, AppError> {
    let now = state.clock.now();
    let org = who.organization.id;
    let policy = of(&state.db, org, now).await?;
    let may_change = who.may(A::ManageIntegrations);
    let (mut beyond, mut beyond_total) = (Vec::new(), 0);
    if let (true, Some(filter)) = (may_change, beyond_filter(&policy, org, now)) {
        beyond_total = api_key::Entity::find()
            .filter(filter.clone())
            .count(&state.db)
            .await?;
        let keys = api_key::Entity::find()
            .filter(filter)
            .order_by_asc(api_key::Column::Id)
            .limit(BEYOND_SHOWN)
            .all(&state.db)
            .await?;
        let owners: std::collections::HashMap<i64, String> = user::Entity::find()
            .filter(user::Column::Id.is_in(keys.iter().map(|k| k.user_id)))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.username))
            .collect();
        beyond = keys
            .into_iter()
            .map(|k| BeyondKey {
                owner: owners.get(&k.user_id).cloned().unwrap_or_default(),
                id: k.id,
                name: k.name,
                expires_at: k.expires_at.map(|t| t.to_rfc3339()),
            })
            .collect();
    }
    Ok(KeyPolicyPage {
        policy,
        may_change,
        beyond,
        beyond_total,
    })
}

fn details(policy: &KeyPolicy) -> serde_json::Value {
    serde_json::json!({
        "max_lifetime_days": policy.max_lifetime_days,
        "expiry_required": policy.expiry_required,
        "default_expiry": policy.default_expiry,
        "disable_unused_days": policy.disable_unused_days,
    })
}

/// Saves the policy; the same policy again changes (and audits) nothing.
pub async fn save(
    state: &AppState,
    who: &Principal,
    form: &PolicyForm,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let policy = form.parse().map_err(AppError::Invalid)?;
    let now = state.clock.now();
    let org = who.organization.id;
    let mut work = Work::begin(state).await?;
    // Saves at once wait for each other here (PostgreSQL; SQLite lets one
    // writer in), so each compares with what the one before it wrote.
    organization::Entity::find_by_id(org)
        .lock(LockType::NoKeyUpdate)
        .one(&work)
        .await?;
    let before = of(&work, org, now).await?;
    let same = before.max_lifetime_days == policy.max_lifetime_days
        && before.expiry_required == policy.expiry_required
        && before.default_expiry == policy.default_expiry
        && before.disable_unused_days == policy.disable_unused_days;
    if same {
        return Ok(());
    }
    let days = |d: Option<u32>| d.and_then(|d| i32::try_from(d).ok());
    key_policy::Entity::insert(key_policy::ActiveModel {
        organization_id: Set(org),
        max_lifetime_days: Set(days(policy.max_lifetime_days)),
        expiry_required: Set(policy.expiry_required),
        default_expiry: Set(policy.default_expiry.clone()),
        disable_unused_days: Set(days(policy.disable_unused_days)),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(key_policy::Column::OrganizationId)
            .update_columns([
                key_policy::Column::MaxLifetimeDays,
                key_policy::Column::ExpiryRequired,
                key_policy::Column::DefaultExpiry,
                key_policy::Column::DisableUnusedDays,
                key_policy::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec(&work)
    .await?;
    work.audit(
        Entry::new(
            Action::KeyPolicyChanged,
            org,
            who.user.id,
            format!("organization:{org}"),
            meta,
            now,
        )
        .with_details(serde_json::json!({ "from": details(&before), "to": details(&policy) })),
    );
    work.commit(Invalidate::None).await?;
    Ok(())
}

/// "Shorten to the policy": every key that would outlive the policy from
/// now expires when a key made now at the longest would. Returns how many
/// were shortened (none when there is no maximum lifetime).
pub async fn shorten(
    state: &AppState,
    who: &Principal,
    meta: &RequestMeta,
) -> Result<u64, AppError> {
    let now = state.clock.now();
    let org = who.organization.id;
    let mut work = Work::begin(state).await?;
    organization::Entity::find_by_id(org)
        .lock(LockType::NoKeyUpdate)
        .one(&work)
        .await?;
    let policy = of(&work, org, now).await?;
    let (Some(filter), Some(days)) = (beyond_filter(&policy, org, now), policy.max_lifetime_days)
    else {
        return Ok(0);
    };
    let until = now + Duration::days(i64::from(days));
    let keys = api_key::Entity::find()
        .filter(filter)
        .order_by_asc(api_key::Column::Id)
        .lock(LockType::Update)
        .all(&work)
        .await?;
    for key in &keys {
        api_key::Entity::update_many()
            .col_expr(api_key::Column::ExpiresAt, Expr::value(until))
            .filter(api_key::Column::Id.eq(key.id))
            .exec(&work)
            .await?;
        work.audit(
            Entry::new(
                Action::KeyExpiryShortened,
                org,
                who.user.id,
                format!("key:{}", key.id),
                meta,
                now,
            )
            .with_details(serde_json::json!({
                "name": key.name,
                "owner": key.user_id,
                "from": key.expires_at.map(|t| t.to_rfc3339()),
                "to": until.to_rfc3339(),
                "max_lifetime_days": days,
            })),
        );
    }
    let shortened = keys.len() as u64;
    work.commit(if shortened > 0 {
        Invalidate::Keys
    } else {
        Invalidate::None
    })
    .await?;
    Ok(shortened)
}

/// The daily job: in every organization whose policy disables unused keys,
/// disables each enabled key created at least that many days ago and not
/// used since (audited as `key.disabled` by nobody, with the reason).
/// `None` when another instance is doing it right now (PostgreSQL).
pub async fn disable_unused(state: &AppState, now: DateTime<Utc>) -> Result<Option<u64>, DbErr> {
    let mut work = Work::begin(state).await?;
    if !advisory::try_take(work.txn(), Lock::UnusedKeyDisabling).await? {
        return Ok(None);
    }
    let policies = key_policy::Entity::find()
        .filter(key_policy::Column::DisableUnusedDays.is_not_null())
        .order_by_asc(key_policy::Column::OrganizationId)
        .all(&work)
        .await?;
    let meta = RequestMeta::default();
    let mut disabled = 0u64;
    for policy in policies {
        let Some(days) = policy.disable_unused_days.filter(|d| *d > 0) else {
            continue;
        };
        let cutoff = now - Duration::days(i64::from(days));
        let keys = api_key::Entity::find()
            .filter(api_key::Column::OrganizationId.eq(policy.organization_id))
            .filter(api_key::Column::Decoy.eq(false))
            .filter(api_key::Column::Enabled.eq(true))
            .filter(api_key::Column::CreatedAt.lte(cutoff))
            .filter(
                Condition::any()
                    .add(api_key::Column::LastUsedAt.is_null())
                    .add(api_key::Column::LastUsedAt.lte(cutoff)),
            )
            .order_by_asc(api_key::Column::Id)
            .lock(LockType::Update)
            .all(&work)
            .await?;
        for key in keys {
            let changed = api_key::Entity::update_many()
                .col_expr(api_key::Column::Enabled, Expr::value(false))
                .filter(api_key::Column::Id.eq(key.id))
                .filter(api_key::Column::Enabled.eq(true))
                .exec(&work)
                .await?
                .rows_affected;
            if changed == 0 {
                continue;
            }
            disabled += 1;
            work.audit(Entry {
                action: Action::KeyDisabled,
                organization_id: Some(key.organization_id),
                actor_user_id: None,
                target: Some(format!("key:{}", key.id)),
                details: Some(serde_json::json!({
                    "name": key.name,
                    "owner": key.user_id,
                    "reason": "unused",
                    "unused_days": days,
                    "last_used_at": key.last_used_at.map(|t| t.to_rfc3339()),
                })),
                meta: &meta,
                at: now,
            });
        }
    }
    work.commit(if disabled > 0 {
        Invalidate::Keys
    } else {
        Invalidate::None
    })
    .await?;
    Ok(Some(disabled))
}

/// The days before expiry a key's owner is told about it.
pub const EXPIRING_DAYS: i64 = 7;

/// `who`'s own keys in this organization that stop working within
/// [`EXPIRING_DAYS`] of `now`, soonest first (enabled ones: a disabled key
/// does not work anyway).
pub async fn expiring<C: ConnectionTrait>(
    db: &C,
    who: &Principal,
    now: DateTime<Utc>,
) -> Result<Vec<ExpiringKey>, AppError> {
    Ok(api_key::Entity::find()
        .filter(api_key::Column::OrganizationId.eq(who.organization.id))
        .filter(api_key::Column::UserId.eq(who.user.id))
        .filter(api_key::Column::Decoy.eq(false))
        .filter(api_key::Column::Enabled.eq(true))
        .filter(api_key::Column::ExpiresAt.gt(now))
        .filter(api_key::Column::ExpiresAt.lte(now + Duration::days(EXPIRING_DAYS)))
        .order_by_asc(api_key::Column::ExpiresAt)
        .order_by_asc(api_key::Column::Id)
        .limit(20)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|k| {
            Some(ExpiringKey {
                id: k.id,
                name: k.name,
                expires_at: k.expires_at?.to_rfc3339(),
            })
        })
        .collect())
}
