//! Invitations: create, list, revoke (Manage Users); preview and accept
//! (anyone holding the link).
use leptos::prelude::*;

use crate::model::error::AppError;
use crate::model::invitations::{InvitationPreview, InvitationRow};

#[server(prefix = "/rpc", endpoint = "invitations/create")]
pub async fn create_invitation(contact: String, role_id: i64) -> Result<String, AppError> {
    use super::support::{call, no_store, notify};
    use crate::backend::services::invitations;
    use crate::model::notice::Notice;
    call(invitations::CREATE, move |c| async move {
        let token = invitations::create(&c.state, &c.who, &contact, role_id, &c.meta).await?;
        no_store();
        let path = format!("/invite/{token}");
        notify(&c.state, &Notice::InvitationCreated(path.clone()));
        Ok(path)
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "invitations/list")]
pub async fn list_invitations() -> Result<Vec<InvitationRow>, AppError> {
    use super::support::call;
    use crate::backend::services::invitations;
    call(invitations::LIST, move |c| async move {
        invitations::pending(&c.state, &c.who).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "invitations/revoke")]
pub async fn revoke_invitation(id: i64) -> Result<(), AppError> {
    use super::support::call;
    use crate::backend::services::invitations;
    call(invitations::REVOKE, move |c| async move {
        invitations::revoke(&c.state, &c.who, id, &c.meta).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "invitations/preview")]
pub async fn preview_invitation(token: String) -> Result<InvitationPreview, AppError> {
    use super::support::visit;
    use crate::backend::services::invitations;
    visit(invitations::PREVIEW, move |v| async move {
        invitations::preview(&v.state, &token).await
    })
    .await
}

/// A newcomer accepts: sets name and password, joins, is signed in.
#[server(prefix = "/rpc", endpoint = "invitations/accept")]
pub async fn accept_invitation(
    token: String,
    name: String,
    password: String,
    password_confirm: String,
) -> Result<(), AppError> {
    use super::support::visit;
    use crate::backend::{auth::session, services::invitations};
    visit(invitations::ACCEPT, move |v| async move {
        let new = invitations::Newcomer {
            name,
            password: password.into(),
            password_confirm: password_confirm.into(),
        };
        let auth = invitations::accept_new(&v.state, &token, new, &v.meta).await?;
        session::start(&v.session, &auth).await?;
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}

/// A signed-in user joins with their existing account.
#[server(prefix = "/rpc", endpoint = "invitations/join")]
pub async fn join_invitation(token: String) -> Result<(), AppError> {
    use super::support::call;
    use crate::backend::auth::{guard::current_session, session};
    use crate::backend::services::invitations;
    call(invitations::JOIN, move |c| async move {
        let auth = invitations::accept_existing(&c.state, &c.who, &token, &c.meta).await?;
        session::start(&current_session().await?, &auth).await?;
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}
