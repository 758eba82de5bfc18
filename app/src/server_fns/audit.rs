//! The audit log (`/admin/audit`, View Audit Log).
use leptos::prelude::*;

use crate::model::audit::{AuditFilter, AuditPage};
use crate::model::error::AppError;

#[server(endpoint = "audit/list")]
pub async fn list_audit(filter: AuditFilter) -> Result<AuditPage, AppError> {
    use super::support::fail;
    use crate::backend::{auth::guard::require, services::audit_log, state::app_state};
    use crate::model::authz::Authority;
    async {
        let who = require(Authority::ViewAuditLog).await?;
        audit_log::list(&app_state()?, &who, &filter).await
    }
    .await
    .map_err(fail)
}
