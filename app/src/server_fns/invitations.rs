//! Invitations: create, list, revoke (Manage Users); preview and accept
//! (anyone holding the link).
use leptos::prelude::*;

use crate::model::error::AppError;
use crate::model::invitations::{InvitationPreview, InvitationRow};

#[server(endpoint = "invitations/create")]
pub async fn create_invitation(contact: String, role_id: i64) -> Result<String, AppError> {
    use super::support::{fail, no_store, request_meta};
    use crate::backend::{auth::guard::require, services::invitations, state::app_state};
    use crate::model::authz::Authority;
    async {
        let who = require(Authority::ManageUsers).await?;
        let token = invitations::create(
            &app_state()?,
            &who,
            &contact,
            role_id,
            &request_meta().await,
        )
        .await?;
        no_store();
        Ok(format!("/invite/{token}"))
    }
    .await
    .map_err(fail)
}

#[server(endpoint = "invitations/list")]
pub async fn list_invitations() -> Result<Vec<InvitationRow>, AppError> {
    use super::support::fail;
    use crate::backend::{auth::guard::require, services::invitations, state::app_state};
    use crate::model::authz::Authority;
    async {
        let who = require(Authority::ManageUsers).await?;
        invitations::pending(&app_state()?, &who).await
    }
    .await
    .map_err(fail)
}

#[server(endpoint = "invitations/revoke")]
pub async fn revoke_invitation(id: i64) -> Result<(), AppError> {
    use super::support::{fail, request_meta};
    use crate::backend::{auth::guard::require, services::invitations, state::app_state};
    use crate::model::authz::Authority;
    async {
        let who = require(Authority::ManageUsers).await?;
        invitations::revoke(&app_state()?, &who, id, &request_meta().await).await
    }
    .await
    .map_err(fail)
}

#[server(endpoint = "invitations/preview")]
pub async fn preview_invitation(token: String) -> Result<InvitationPreview, AppError> {
    use super::support::fail;
    use crate::backend::{services::invitations, state::app_state};
    async { invitations::preview(&app_state()?, &token).await }
        .await
        .map_err(fail)
}

/// A newcomer accepts: sets name and password, joins, is signed in.
#[server(endpoint = "invitations/accept")]
pub async fn accept_invitation(
    token: String,
    name: String,
    password: String,
    password_confirm: String,
) -> Result<(), AppError> {
    use super::support::{fail, request_meta};
    use crate::backend::auth::{guard::current_session, session};
    use crate::backend::{services::invitations, state::app_state};
    async {
        let state = app_state()?;
        let new = invitations::Newcomer {
            name,
            password: password.into(),
            password_confirm: password_confirm.into(),
        };
        let auth = invitations::accept_new(&state, &token, new, &request_meta().await).await?;
        session::start(&current_session().await?, &auth).await?;
        leptos_axum::redirect("/");
        Ok(())
    }
    .await
    .map_err(fail)
}

/// A signed-in user joins with their existing account.
#[server(endpoint = "invitations/join")]
pub async fn join_invitation(token: String) -> Result<(), AppError> {
    use super::support::{fail, request_meta};
    use crate::backend::auth::{
        guard::{current_session, require_signed_in},
        session,
    };
    use crate::backend::{services::invitations, state::app_state};
    async {
        let state = app_state()?;
        let who = require_signed_in().await?;
        let auth =
            invitations::accept_existing(&state, &who, &token, &request_meta().await).await?;
        session::start(&current_session().await?, &auth).await?;
        leptos_axum::redirect("/");
        Ok(())
    }
    .await
    .map_err(fail)
}
