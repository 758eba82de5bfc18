//! The audit log.
use app::backend::services::audit_log;
use app::backend::state::AppState;
use app::model::audit::{AuditFilter, AuditRow};
use axum::{
    Json,
    extract::{Query, State, rejection::QueryRejection},
    http::HeaderMap,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::super::credentials::{Authed, acting};
use super::super::error::{ApiError, ErrorBody};
use super::super::page::{CursorPage, Listed, limit};

use super::query;

/// One entry of the audit log. Never a secret.
#[derive(Serialize, ToSchema)]
pub struct AuditEvent {
    pub id: i64,
    #[schema(format = DateTime)]
    pub at: String,
    /// The acting user's username.
    pub actor: Option<String>,
    /// E.g. `key.disabled`, `user.deactivated`.
    pub action: String,
    /// E.g. `key:12`, `user:3`.
    pub target: Option<String>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}

impl From<AuditRow> for AuditEvent {
    fn from(row: AuditRow) -> Self {
        AuditEvent {
            id: row.id,
            at: row.at,
            actor: row.actor,
            action: row.action,
            target: row.target,
            client_ip: row.client_ip,
            user_agent: row.user_agent,
        }
    }
}

impl Listed for AuditEvent {
    type Cursor = i64;
    const PAGE: &'static str = "AuditEventPage";
    const NEXT_CURSOR: &'static str =
        "Pass as `cursor` for the next page (the last event's id); null on\nthe last page.";
}

pub type AuditEventPage = CursorPage<AuditEvent>;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Only this action, e.g. `key.disabled`.
    pub action: Option<String>,
    /// Only this user's actions (username).
    pub actor: Option<String>,
    /// `YYYY-MM-DD`, inclusive, UTC.
    #[param(format = Date)]
    pub from: Option<String>,
    /// `YYYY-MM-DD`, inclusive, UTC.
    #[param(format = Date)]
    pub to: Option<String>,
    /// 1 to 100, default 50.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// From the previous page's `next_cursor`: continue after this event.
    pub cursor: Option<i64>,
}

/// The organization's audit log, newest first.
#[utoipa::path(
    get, path = "/api/v1/audit-events", tag = "Audit log",
    security(("bearer" = []), ("api_key" = [])),
    params(AuditQuery),
    responses(
        (status = 200, body = AuditEventPage),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "No audit:read, or no View Audit Log", body = ErrorBody),
        (status = 429, body = ErrorBody),
    )
)]
pub async fn list_audit_events(
    State(state): State<AppState>,
    Authed(key): Authed,
    headers: HeaderMap,
    params: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<AuditEventPage>, ApiError> {
    let who = acting(&state, &key, &headers, audit_log::LIST).await?;
    let q = query(params)?;
    let limit = limit(q.limit)?;
    let filter = AuditFilter::parse(
        q.actor.as_deref(),
        q.action.as_deref(),
        q.from.as_deref(),
        q.to.as_deref(),
    )?;
    let events = audit_log::list_after(&state, &who, &filter, q.cursor, limit).await?;
    Ok(Json(CursorPage::of(events)))
}
