//! Sign-up, sign-in, sign-out and "who am I" for the user menu.
use leptos::prelude::*;

use crate::model::auth::{Me, OrgChoice};
use crate::model::error::AppError;

/// Whether the sign-up form is open (`KEYHOUSE_SIGNUP`): with
/// `invite-only`, only for the very first account of an empty instance.
#[server(endpoint = "auth/sign-up-open")]
pub async fn sign_up_open() -> Result<bool, AppError> {
    use super::support::fail;
    use crate::backend::{services::accounts, state::app_state};
    async {
        let state = app_state()?;
        accounts::sign_up_open(&state, &state.db).await
    }
    .await
    .map_err(fail)
}

#[server(endpoint = "auth/register")]
pub async fn register(
    name: String,
    email: String,
    password: String,
    password_confirm: String,
    location_name: String,
    /// "Create my first API key now": present (`on`) when ticked.
    #[server(default)]
    create_first_key: String,
    /// The first key's name, in the user's language.
    #[server(default)]
    first_key_name: String,
) -> Result<(), AppError> {
    use super::support::{fail, request_meta};
    use crate::backend::{auth::session, services::accounts, state::app_state};
    let run = async {
        let state = app_state()?;
        let registration = accounts::Registration {
            name,
            email,
            password: password.into(),
            password_confirm: password_confirm.into(),
            location_name,
        };
        let meta = request_meta().await;
        let auth = accounts::register(&state, registration, &meta).await?;
        let session = crate::backend::auth::guard::current_session().await?;
        session::start(&session, &auth).await?;
        if create_first_key.is_empty() {
            leptos_axum::redirect("/");
            return Ok(());
        }
        // Sign-up ends on the Save generated key dialog of the Public API
        // page, which receives the key once through the hand-over.
        let who = session::principal(&state, &session)
            .await?
            .ok_or_else(|| AppError::internal("no principal after sign-up"))?;
        // The account exists now; a problem with its first key must not
        // turn sign-up into an error. A bad name falls back to a plain one.
        let name = crate::model::validation::short_text(
            &first_key_name,
            crate::model::validation::NAME_MAX,
        )
        .unwrap_or_else(|_| "API key".to_owned());
        let first = crate::backend::services::api_keys::NewKey {
            name,
            description: String::new(),
            api_sets: Vec::new(),
            expires: "never".into(),
            expires_on: String::new(),
            request_token: String::new(),
        };
        match crate::backend::services::api_keys::create(&state, &who, first, &meta).await {
            Ok(key) => state.handover.put(who.user.id, who.organization.id, key),
            Err(err) => tracing::warn!(error = %err, "first API key at sign-up not created"),
        }
        leptos_axum::redirect("/settings/integrations/public-api");
        Ok(())
    };
    run.await.map_err(fail)
}

#[server(endpoint = "auth/sign-in")]
pub async fn sign_in(login: String, password: String) -> Result<(), AppError> {
    use super::support::{fail, request_meta};
    use crate::backend::{auth::session, services::accounts, state::app_state};
    let run = async {
        let state = app_state()?;
        let auth =
            accounts::sign_in(&state, &login, password.into(), &request_meta().await).await?;
        let session = crate::backend::auth::guard::current_session().await?;
        session::start(&session, &auth).await?;
        leptos_axum::redirect("/");
        Ok(())
    };
    run.await.map_err(fail)
}

#[server(endpoint = "auth/sign-out")]
pub async fn sign_out() -> Result<(), AppError> {
    use super::support::{fail, request_meta};
    use crate::backend::auth::session::{self as auth_session, SessionAuth};
    use crate::backend::{services::accounts, session_store::SESSION_AUTH_KEY, state::app_state};
    let run = async {
        let state = app_state()?;
        let session = crate::backend::auth::guard::current_session().await?;
        if let Ok(Some(auth)) = session.get::<SessionAuth>(SESSION_AUTH_KEY).await {
            accounts::sign_out(&state, &auth, &request_meta().await).await?;
        }
        auth_session::end(&session).await?;
        leptos_axum::redirect("/login");
        Ok(())
    };
    run.await.map_err(fail)
}

#[server(endpoint = "auth/change-password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    new_password_confirm: String,
) -> Result<(), AppError> {
    use super::support::{fail, request_meta};
    use crate::backend::auth::guard::{current_session, require_signed_in};
    use crate::backend::{services::accounts, state::app_state};
    async {
        let who = require_signed_in().await?;
        let session = current_session().await?;
        let change = accounts::PasswordChange {
            current: current_password.into(),
            new: new_password.into(),
            confirm: new_password_confirm.into(),
        };
        let version = accounts::change_password(
            &app_state()?,
            &who,
            change,
            session.id(),
            &request_meta().await,
        )
        .await?;
        crate::backend::auth::session::renew_credentials(&session, version).await
    }
    .await
    .map_err(fail)
}

#[server(endpoint = "auth/organizations")]
pub async fn my_organizations() -> Result<Vec<OrgChoice>, AppError> {
    use super::support::fail;
    use crate::backend::auth::guard::require_signed_in;
    use crate::backend::{services::accounts, state::app_state};
    async {
        let who = require_signed_in().await?;
        accounts::organizations_of(&app_state()?, &who).await
    }
    .await
    .map_err(fail)
}

#[server(endpoint = "auth/switch-organization")]
pub async fn switch_organization(org_id: i64) -> Result<(), AppError> {
    use super::support::fail;
    use crate::backend::auth::guard::{current_session, require_signed_in};
    use crate::backend::session_store::SESSION_AUTH_KEY;
    use crate::backend::{services::accounts, state::app_state};
    async {
        let who = require_signed_in().await?;
        let session = current_session().await?;
        let state = app_state()?;
        let mut auth: crate::backend::auth::session::SessionAuth = session
            .get(SESSION_AUTH_KEY)
            .await
            .map_err(AppError::internal)?
            .ok_or(AppError::Unauthorized)?;
        auth.org_id = accounts::switchable(&state, &who, org_id).await?;
        session
            .insert(SESSION_AUTH_KEY, &auth)
            .await
            .map_err(AppError::internal)?;
        leptos_axum::redirect("/");
        Ok(())
    }
    .await
    .map_err(fail)
}

#[server(endpoint = "auth/me")]
pub async fn current_user() -> Result<Option<Me>, AppError> {
    use crate::backend::auth::{guard::current_session, session::principal};
    use crate::backend::state::app_state;
    let state = app_state()?;
    let session = current_session().await?;
    let Some(p) = principal(&state, &session).await? else {
        return Ok(None);
    };
    let organizations = crate::backend::services::accounts::organizations_of(&state, &p).await?;
    Ok(Some(Me {
        username: p.user.username,
        name: p.user.name,
        organization: p.organization.name,
        role: p.role.name,
        authorities: p.authorities,
        organizations,
    }))
}
