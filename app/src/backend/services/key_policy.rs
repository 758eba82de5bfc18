//! The organization's key policy: the longest a key may live, whether it
//! must expire, the Create dialog's default, and the daily disabling of
//! keys unused for a number of days. Create and Roll ask [`check`];
//! "Shorten to the policy" brings the keys made before it within it.
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, LockType, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

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
use crate::model::validation::{Field, FieldError, Problem};

pub const PAGE: Operation =
    Operation::new("key_policy.page", Need::member()).rpc("key-policy/page");
pub const SAVE: Operation =
    Operation::new("key_policy.save", Need::authority(A::ManageIntegrations))
        .rpc("key-policy/save");
/// Acting on every member's keys, it needs Manage All API Keys; the
/// policy's own authority, Manage Integrations, is asked by the service.
pub const SHORTEN: Operation =
    Operation::new("key_policy.shorten", Need::authority(A::ManageAllApiKeys))
        .rpc("key-policy/shorten");

/// The caller's own keys that expire within 7 days (the home page's banner).
pub const EXPIRING: Operation =
    Operation::new("keys.expiring", Need::member()).rpc("keys/expiring");

/// The latest a key made (or rolled) at `now` may expire: `now` + the
/// maximum lifetime, to the second. `None`: no maximum.
pub fn latest_expiry(policy: &KeyPolicy, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    Some(now + Duration::days(i64::from(policy.max_lifetime_days?)))
}

/// The last day the Expires field's "On a date" may name: a date works
/// through its whole day (UTC), so its end must not pass
/// [`latest_expiry`].
pub fn latest_date(policy: &KeyPolicy, now: DateTime<Utc>) -> Option<String> {
    let latest = latest_expiry(policy, now)?;
    let day = latest.date_naive().pred_opt()?;
    Some(day.format("%Y-%m-%d").to_string())
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
        latest_expiry: None,
    });
    policy.latest_date = latest_date(&policy, now);
    policy.latest_expiry = latest_expiry(&policy, now).map(|t| t.to_rfc3339());
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

/// The keys that would outlive the policy from `now`: with a maximum
/// lifetime, no expiry or a later one than a key made now may have; with
/// only "every key must have an expiry", no expiry. Decoys never expire and
/// are not keys here.
fn beyond_filter(policy: &KeyPolicy, organization: i64, now: DateTime<Utc>) -> Option<Condition> {
    let base = Condition::all()
        .add(api_key::Column::OrganizationId.eq(organization))
        .add(api_key::Column::Decoy.eq(false));
    match latest_expiry(policy, now) {
        Some(latest) => Some(
            base.add(
                Condition::any()
                    .add(api_key::Column::ExpiresAt.is_null())
                    .add(api_key::Column::ExpiresAt.gt(latest)),
            ),
        ),
        None if policy.requires_expiry() => Some(base.add(api_key::Column::ExpiresAt.is_null())),
        None => None,
    }
}

/// Settings → Integrations → Key policy.
pub async fn page(state: &AppState, who: &Principal) -> Result<KeyPolicyPage, AppError> {
    let now = state.clock.now();
    let org = who.organization.id;
    let policy = of(&state.db, org, now).await?;
    let may_change = who.may(A::ManageIntegrations);
    // Others' keys are named only to those who may see them (Manage All
    // API Keys); the count is the policy's business.
    let may_shorten = may_change && who.may(A::ManageAllApiKeys);
    let (mut beyond, mut beyond_total) = (Vec::new(), 0);
    if let (true, Some(filter)) = (may_change, beyond_filter(&policy, org, now)) {
        beyond_total = api_key::Entity::find()
            .filter(filter.clone())
            .count(&state.db)
            .await?;
    }
    if let (true, Some(filter)) = (may_shorten, beyond_filter(&policy, org, now)) {
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
        may_shorten,
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

/// "Shorten to the policy": every key that would outlive the maximum
/// lifetime from now expires when a key made now at the longest would.
/// Acting on others' keys, it needs Manage All API Keys as well. Returns
/// how many were shortened (none without a maximum lifetime).
pub async fn shorten(
    state: &AppState,
    who: &Principal,
    meta: &RequestMeta,
) -> Result<u64, AppError> {
    if !who.may(A::ManageIntegrations) {
        return Err(AppError::Forbidden);
    }
    let now = state.clock.now();
    let org = who.organization.id;
    let mut work = Work::begin(state).await?;
    organization::Entity::find_by_id(org)
        .lock(LockType::NoKeyUpdate)
        .one(&work)
        .await?;
    let policy = of(&work, org, now).await?;
    let (Some(days), Some(latest)) = (policy.max_lifetime_days, latest_expiry(&policy, now)) else {
        return Ok(0);
    };
    let Some(filter) = beyond_filter(&policy, org, now) else {
        return Ok(0);
    };
    let keys = api_key::Entity::find()
        .filter(filter)
        .order_by_asc(api_key::Column::Id)
        .all(&work)
        .await?;
    let mut shortened = 0u64;
    for key in &keys {
        // One statement decides, under the row's own lock: a key changed
        // meanwhile (shortened, deleted) is left alone.
        let changed = api_key::Entity::update_many()
            .col_expr(api_key::Column::ExpiresAt, Expr::value(latest))
            .filter(api_key::Column::Id.eq(key.id))
            .filter(
                Condition::any()
                    .add(api_key::Column::ExpiresAt.is_null())
                    .add(api_key::Column::ExpiresAt.gt(latest)),
            )
            .exec(&work)
            .await?
            .rows_affected;
        if changed == 0 {
            continue;
        }
        shortened += 1;
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
                "to": latest.to_rfc3339(),
                "max_lifetime_days": days,
            })),
        );
    }
    work.commit(if shortened > 0 {
        Invalidate::Keys
    } else {
        Invalidate::None
    })
    .await?;
    Ok(shortened)
}

/// Create and Roll, inside their unit of work: the policy as it stands
/// once no save is in flight (the organization's row, shared), so a key
/// cannot slip in under a policy being replaced.
pub async fn check_in(
    work: &Work,
    organization: i64,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    organization::Entity::find_by_id(organization)
        .lock(LockType::Share)
        .one(work)
        .await?;
    let policy = of(work, organization, now).await?;
    check(&policy, expires_at, now).map_err(|problem| {
        AppError::Invalid(vec![FieldError {
            field: Field::Expires,
            problem,
        }])
    })
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
