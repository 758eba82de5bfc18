//! The audit log (`/admin/audit`, View Audit Log).
use leptos::prelude::*;

use crate::model::audit::{AuditFilter, AuditRow};
use crate::model::error::AppError;
use crate::model::page::Page;

#[server(prefix = "/rpc", endpoint = "audit/list")]
pub async fn list_audit(filter: AuditFilter) -> Result<Page<AuditRow>, AppError> {
    use super::support::call;
    use crate::backend::services::audit_log;
    call(audit_log::LIST, move |c| async move {
        audit_log::list(&c.state, &c.who, &filter).await
    })
    .await
}
