//! Reading the audit log of the caller's organization.
use chrono::{NaiveDate, TimeZone, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Select};

use crate::backend::auth::operation::{Need, Operation};
use crate::backend::auth::session::Principal;
use crate::backend::entities::{audit_event, user};
use crate::backend::paging;
use crate::backend::state::AppState;
use crate::model::audit::{Action, AuditFilter, AuditRow};
use crate::model::authz::Authority as A;
use crate::model::error::AppError;
use crate::model::filter::FilterError;
use crate::model::page::Page;

/// Admin → Audit log (View Audit Log).
pub const LIST: Operation = Operation::new(
    "audit.list",
    Need::authority(A::ViewAuditLog).api_set("audit:read"),
)
.rpc("audit/list")
.http(&["GET /api/v1/audit-events"]);

pub const PAGE_SIZE: u64 = 50;

/// The start (UTC) of the day `value` names; `None` when empty.
fn day(value: &str, field: &'static str) -> Result<Option<chrono::DateTime<Utc>>, FilterError> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    let start = NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .ok_or(FilterError::Date(field))?;
    Ok(Some(Utc.from_utc_datetime(&start)))
}

/// The events of the caller's organization that `filter` asks for, once
/// the filter passed the check both front doors make.
async fn filtered(
    state: &AppState,
    who: &Principal,
    filter: &AuditFilter,
) -> Result<Select<audit_event::Entity>, AppError> {
    filter.validate()?;
    let mut query = audit_event::Entity::find()
        .filter(audit_event::Column::OrganizationId.eq(who.organization.id));
    if !filter.action.is_empty() {
        let action: Action = filter.action.parse().map_err(|_| FilterError::Action)?;
        query = query.filter(audit_event::Column::Action.eq(action.as_str()));
    }
    if !filter.actor.trim().is_empty() {
        let actor = user::Entity::find()
            .filter(user::Column::Username.eq(filter.actor.trim().to_lowercase()))
            .one(&state.db)
            .await?;
        // An unknown actor matches nothing (id 0 is never assigned).
        query = query.filter(audit_event::Column::ActorUserId.eq(actor.map(|u| u.id).unwrap_or(0)));
    }
    if let Some(from) = day(&filter.from, "from")? {
        query = query.filter(audit_event::Column::CreatedAt.gte(from));
    }
    if let Some(to) = day(&filter.to, "to")? {
        query = query.filter(audit_event::Column::CreatedAt.lt(to + chrono::Duration::days(1)));
    }
    Ok(query)
}

async fn rows_of(
    state: &AppState,
    events: Vec<audit_event::Model>,
) -> Result<Vec<AuditRow>, AppError> {
    let actor_ids: Vec<i64> = events.iter().filter_map(|e| e.actor_user_id).collect();
    let actors = user::Entity::find()
        .filter(user::Column::Id.is_in(actor_ids))
        .all(&state.db)
        .await?;
    Ok(events
        .into_iter()
        .map(|e| AuditRow {
            id: e.id,
            at: e.created_at.to_rfc3339(),
            actor: e.actor_user_id.and_then(|id| {
                actors
                    .iter()
                    .find(|u| u.id == id)
                    .map(|u| u.username.clone())
            }),
            action: e.action,
            target: e.target,
            client_ip: e.client_ip,
            user_agent: e.user_agent,
        })
        .collect())
}

pub async fn list(
    state: &AppState,
    who: &Principal,
    filter: &AuditFilter,
) -> Result<Page<AuditRow>, AppError> {
    let query = filtered(state, who, filter)
        .await?
        .order_by_desc(audit_event::Column::CreatedAt)
        .order_by_desc(audit_event::Column::Id);
    paging::page(&state.db, query, PAGE_SIZE, filter.page, |events| {
        rows_of(state, events)
    })
    .await
}

/// For the HTTP API: up to `limit` events before the event `after` (newest
/// first, by id), and the id to continue after, when there are more.
pub async fn list_after(
    state: &AppState,
    who: &Principal,
    filter: &AuditFilter,
    after: Option<i64>,
    limit: u64,
) -> Result<(Vec<AuditRow>, Option<i64>), AppError> {
    let mut cursor = filtered(state, who, filter)
        .await?
        .cursor_by(audit_event::Column::Id);
    cursor.desc();
    let (events, next) = paging::after(&state.db, cursor, after, limit, |e| e.id).await?;
    Ok((rows_of(state, events).await?, next))
}
