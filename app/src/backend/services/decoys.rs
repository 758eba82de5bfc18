//! Decoy keys: keys that look exactly like real ones (same format, same
//! checksum, stored the same way) and never work. Planted where a thief
//! would look (an old repository, a wiki page, a laptop's dotfiles), any use
//! of one is an alarm: a high-severity audit row `key.decoy_used` with the
//! address and user agent. The caller gets the answer of a key nobody has
//! (401 `unknown_key`); the alarm is written off the request path, so the
//! answer leaves as an unknown key's does.
use std::collections::HashMap;

use chrono::Duration;
use sea_orm::sea_query::LockType;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::api_keys::insert_secret;
use super::key_changes::invalid;
use crate::backend::audit::{Action, Entry};
use crate::backend::auth::operation::{Need, Operation};
use crate::backend::auth::session::Principal;
use crate::backend::entities::{api_key, api_key_secret, audit_event, organization};
use crate::backend::keys::alarm_slots;
use crate::backend::keys::cache::Facts;
use crate::backend::keys::format;
use crate::backend::keys::handover::{Delivery, Issued};
use crate::backend::request_meta::RequestMeta;
use crate::backend::state::AppState;
use crate::backend::unit_of_work::{Invalidate, Work};
use crate::model::authz::Authority;
use crate::model::error::{AppError, Conflict};
use crate::model::keys::{DESCRIPTION_MAX, DecoyRow, GeneratedKey};
use crate::model::validation::{self, Field, NAME_MAX};

pub const LIST: Operation = Operation::new(
    "decoys.list",
    Need::authority(Authority::ManageIntegrations),
)
.rpc("decoys/list");
pub const CREATE: Operation = Operation::new(
    "decoys.create",
    Need::authority(Authority::ManageIntegrations),
)
.rpc("decoys/create");
pub const DELETE: Operation = Operation::new(
    "decoys.delete",
    Need::authority(Authority::ManageIntegrations),
)
.rpc("decoys/delete");

pub use crate::backend::keys::alarm_slots::ALARMS_PER_MINUTE;
/// Decoys one organization may keep.
pub const DECOYS_MAX: u64 = 20;
/// "Create decoy key": a key for the caller that never works, shown once
/// like any key.
pub async fn create(
    state: &AppState,
    who: &Principal,
    name: &str,
    description: &str,
    meta: &RequestMeta,
    delivery: Delivery,
) -> Result<Issued, AppError> {
    let mut errors = Vec::new();
    let name = validation::short_text(name, NAME_MAX)
        .map_err(|p| errors.push(invalid(Field::Name, p)))
        .ok();
    let description = validation::long_text(description, DESCRIPTION_MAX)
        .map_err(|p| errors.push(invalid(Field::Description, p)))
        .ok();
    let (Some(name), Some(description)) = (name, description) else {
        return Err(AppError::Invalid(errors));
    };
    let now = state.clock.now();
    let plain = format::generate().map_err(AppError::internal)?;
    let mut work = Work::begin(state).await?;
    // Counted under the organization's row lock (PostgreSQL; SQLite lets
    // one writer in): creations at once cannot all see 19.
    organization::Entity::find_by_id(who.organization.id)
        .lock(LockType::NoKeyUpdate)
        .one(&work)
        .await?;
    let decoys = api_key::Entity::find()
        .filter(api_key::Column::OrganizationId.eq(who.organization.id))
        .filter(api_key::Column::Decoy.eq(true))
        .count(&work)
        .await?;
    if decoys >= DECOYS_MAX {
        return Err(AppError::Conflict(Conflict::TooManyDecoys));
    }
    let key = api_key::ActiveModel {
        organization_id: Set(who.organization.id),
        user_id: Set(who.user.id),
        name: Set(name.clone()),
        description: Set(description),
        enabled: Set(true),
        created_at: Set(now),
        decoy: Set(true),
        ..Default::default()
    }
    .insert(&work)
    .await?;
    insert_secret(&work, key.id, &plain, now).await?;
    work.audit(
        Entry::new(
            Action::DecoyCreated,
            who.organization.id,
            who.user.id,
            format!("key:{}", key.id),
            meta,
            now,
        )
        .with_details(serde_json::json!({ "name": name, "visible_start": plain.visible_start() })),
    );
    let generated = GeneratedKey {
        webhook: false,
        id: key.id,
        name,
        organization: who.organization.name.clone(),
        api_sets: Vec::new(),
        created_at: now.to_rfc3339(),
        key: plain.into_exposed(),
    };
    let (user, org) = (who.user.id, who.organization.id);
    let issued = Issued::deliver(&work, delivery, user, org, generated, now).await?;
    work.commit(Invalidate::None).await?;
    Ok(issued)
}

/// The organization's decoys, newest first, with how often each was
/// presented and when and from where last.
pub async fn list(state: &AppState, who: &Principal) -> Result<Vec<DecoyRow>, AppError> {
    let decoys = api_key::Entity::find()
        .filter(api_key::Column::OrganizationId.eq(who.organization.id))
        .filter(api_key::Column::Decoy.eq(true))
        .order_by_desc(api_key::Column::Id)
        .all(&state.db)
        .await?;
    if decoys.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = decoys.iter().map(|k| k.id).collect();
    let starts: HashMap<i64, String> = api_key_secret::Entity::find()
        .filter(api_key_secret::Column::ApiKeyId.is_in(ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|s| (s.api_key_id, s.visible_start))
        .collect();
    // Every decoy's alarms counted in one statement, its last one's row in
    // another (not two statements per decoy on every Public API page).
    let counted: Vec<(Option<String>, i64, i64)> = audit_event::Entity::find()
        .select_only()
        .column(audit_event::Column::Target)
        .column_as(audit_event::Column::Id.count(), "triggers")
        .column_as(audit_event::Column::Id.max(), "last")
        .filter(audit_event::Column::OrganizationId.eq(who.organization.id))
        .filter(audit_event::Column::Action.eq(Action::DecoyUsed.as_str()))
        .group_by(audit_event::Column::Target)
        .into_tuple()
        .all(&state.db)
        .await?;
    let last_ids: Vec<i64> = counted.iter().map(|(_, _, last)| *last).collect();
    let mut lasts: HashMap<String, audit_event::Model> = audit_event::Entity::find()
        .filter(audit_event::Column::Id.is_in(last_ids))
        .all(&state.db)
        .await?
        .into_iter()
        .filter_map(|a| Some((a.target.clone()?, a)))
        .collect();
    let counts: HashMap<String, i64> = counted
        .into_iter()
        .filter_map(|(target, n, _)| Some((target?, n)))
        .collect();
    let mut rows = Vec::with_capacity(decoys.len());
    for key in decoys {
        let target = format!("key:{}", key.id);
        let triggers = counts.get(&target).copied().unwrap_or(0).max(0) as u64;
        let last = lasts.remove(&target);
        rows.push(DecoyRow {
            visible_start: starts.get(&key.id).cloned().unwrap_or_default(),
            id: key.id,
            name: key.name,
            description: key.description,
            created_at: key.created_at.to_rfc3339(),
            triggers,
            last_triggered_at: last.as_ref().map(|a| a.created_at.to_rfc3339()),
            last_triggered_from: last.and_then(|a| a.client_ip),
        });
    }
    Ok(rows)
}

/// Deletes a decoy (a real key is not found here).
pub async fn delete(
    state: &AppState,
    who: &Principal,
    id: i64,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let key = api_key::Entity::find_by_id(id)
        .filter(api_key::Column::OrganizationId.eq(who.organization.id))
        .filter(api_key::Column::Decoy.eq(true))
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = state.clock.now();
    let mut work = Work::begin(state).await?;
    if api_key::Entity::delete_by_id(key.id)
        .exec(&work)
        .await?
        .rows_affected
        == 0
    {
        return Err(AppError::NotFound);
    }
    work.audit(
        Entry::new(
            Action::DecoyDeleted,
            who.organization.id,
            who.user.id,
            format!("key:{id}"),
            meta,
            now,
        )
        .with_details(serde_json::json!({ "name": key.name })),
    );
    // A check answered from the cache would still know the decoy.
    work.commit(Invalidate::Keys).await?;
    Ok(())
}

/// Sounds the alarm of the decoy `facts` describes, presented by the
/// request `meta` describes; `more` goes into the row's details (what a
/// verifying service claimed). Returns at once: the audit row is written by
/// a task of its own, so the caller answers as it would for an unknown key.
pub fn spring(state: &AppState, facts: &Facts, meta: RequestMeta, more: serde_json::Value) {
    let (key_id, org_id) = (facts.key.id, facts.key.organization_id);
    tracing::warn!(key_id, org_id, client_ip = ?meta.client_ip, "a decoy key was presented");
    // Within the decoy's share of the minute and a few at once; a flood's
    // excess is logged above only.
    let minute = state.clock.now().timestamp().div_euclid(60);
    let Some(slot) = state.alarm_slots.take(key_id, minute, ALARMS_PER_MINUTE) else {
        return;
    };
    let state = state.clone();
    let (name, visible_start) = (facts.key.name.clone(), facts.secret.visible_start.clone());
    tokio::spawn(async move {
        let _slot = slot;
        let details = Details {
            name: &name,
            visible_start: &visible_start,
            more,
        };
        if let Err(err) = alarm(&state, key_id, org_id, details, &meta).await {
            tracing::error!(key_id, error = %err, "recording a decoy's alarm failed");
        }
    });
}

struct Details<'a> {
    name: &'a str,
    visible_start: &'a str,
    more: serde_json::Value,
}

async fn alarm(
    state: &AppState,
    key_id: i64,
    org_id: i64,
    details: Details<'_>,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let target = format!("key:{key_id}");
    // Counted and written under the decoy's row lock (PostgreSQL; SQLite
    // lets one writer in at a time anyway): alarms at once never count the
    // same minute twice and pass the bound.
    let mut work = Work::begin(state).await?;
    let since = now - Duration::minutes(1);
    match alarm_slots::written_since(&work, key_id, Action::DecoyUsed, since).await? {
        Some(recent) if recent < ALARMS_PER_MINUTE => {}
        _ => return Ok(()),
    }
    work.audit(Entry {
        action: Action::DecoyUsed,
        organization_id: Some(org_id),
        actor_user_id: None,
        target: Some(target),
        details: Some(serde_json::json!({
            "name": details.name,
            "visible_start": details.visible_start,
            "severity": "high",
            "more": details.more,
        })),
        meta,
        at: now,
    });
    work.commit(Invalidate::None).await?;
    Ok(())
}
