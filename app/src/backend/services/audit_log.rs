//! Reading the audit log of the caller's organization.
use chrono::{NaiveDate, TimeZone, Utc};
use sea_orm::{
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

use crate::backend::auth::session::Principal;
use crate::backend::entities::{audit_event, user};
use crate::backend::state::AppState;
use crate::model::audit::{ACTIONS, AuditFilter, AuditPage, AuditRow};
use crate::model::error::AppError;

pub const PAGE_SIZE: u64 = 50;

fn day(value: &str, field: &str) -> Result<Option<chrono::DateTime<Utc>>, AppError> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    let date = NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::BadRequest(format!("{field}: expected YYYY-MM-DD")))?;
    let start = date
        .and_hms_opt(0, 0, 0)
        .ok_or_else(|| AppError::BadRequest(field.into()))?;
    Ok(Some(Utc.from_utc_datetime(&start)))
}

/// The events of the caller's organization that `filter` asks for.
async fn filtered(
    state: &AppState,
    who: &Principal,
    filter: &AuditFilter,
) -> Result<Select<audit_event::Entity>, AppError> {
    let mut query = audit_event::Entity::find()
        .filter(audit_event::Column::OrganizationId.eq(who.organization.id));
    if !filter.action.is_empty() {
        if !ACTIONS.contains(&filter.action.as_str()) {
            return Err(AppError::BadRequest("unknown action".into()));
        }
        query = query.filter(audit_event::Column::Action.eq(filter.action.as_str()));
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
) -> Result<AuditPage, AppError> {
    let paginator = filtered(state, who, filter)
        .await?
        .order_by_desc(audit_event::Column::CreatedAt)
        .order_by_desc(audit_event::Column::Id)
        .paginate(&state.db, PAGE_SIZE);
    let total = paginator.num_items().await?;
    let pages = Ord::max(total.div_ceil(PAGE_SIZE), 1);
    let page = filter.page.clamp(1, pages);
    let events = paginator.fetch_page(page - 1).await?;
    Ok(AuditPage {
        rows: rows_of(state, events).await?,
        page,
        pages,
        total,
    })
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
    let mut query = filtered(state, who, filter).await?;
    if let Some(after) = after {
        query = query.filter(audit_event::Column::Id.lt(after));
    }
    let mut events = query
        .order_by_desc(audit_event::Column::Id)
        .limit(limit + 1)
        .all(&state.db)
        .await?;
    let more = events.len() as u64 > limit;
    events.truncate(limit as usize);
    let next = more.then(|| events.last().map(|e| e.id)).flatten();
    Ok((rows_of(state, events).await?, next))
}
