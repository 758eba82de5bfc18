//! Sign-up, sign-in, sign-out and "who am I" for the user menu. Each one:
//! the operation's guard, a service, a DTO.
use leptos::prelude::*;

use crate::model::auth::{Me, OrgChoice};
use crate::model::error::AppError;

/// Whether the sign-up form is open (`KEYHOUSE_SIGNUP`): with
/// `invite-only`, only for the very first account of an empty instance.
#[server(prefix = "/rpc", endpoint = "auth/sign-up-open")]
pub async fn sign_up_open() -> Result<bool, AppError> {
    use super::support::visit;
    use crate::backend::services::accounts;
    visit(accounts::SIGN_UP_OPEN, |v| async move {
        accounts::sign_up_open(&v.state, &v.state.db).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "auth/register")]
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
    use super::support::visit;
    use crate::backend::{auth::session, services::accounts};
    visit(accounts::REGISTER, move |v| async move {
        let registration = accounts::Registration {
            name,
            email,
            password: password.into(),
            password_confirm: password_confirm.into(),
            location_name,
        };
        let auth = accounts::register(&v.state, registration, &v.meta).await?;
        session::start(&v.session, &auth).await?;
        if create_first_key.is_empty() {
            leptos_axum::redirect("/");
        } else {
            // Sign-up ends on the Save generated key dialog of the Public
            // API page, which receives the key once through the hand-over.
            let ticket = accounts::first_key(&v.state, &auth, &first_key_name, &v.meta).await;
            if let Some(ticket) = ticket {
                super::support::give_handover_ticket(&v.state, &ticket);
            }
            leptos_axum::redirect("/settings/integrations/public-api");
        }
        Ok(())
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "auth/sign-in")]
pub async fn sign_in(login: String, password: String) -> Result<(), AppError> {
    use super::support::visit;
    use crate::backend::{auth::session, services::accounts};
    visit(accounts::SIGN_IN, move |v| async move {
        let auth = accounts::sign_in(&v.state, &login, password.into(), &v.meta).await?;
        session::start(&v.session, &auth).await?;
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "auth/sign-out")]
pub async fn sign_out() -> Result<(), AppError> {
    use super::support::visit;
    use crate::backend::auth::session::{self as auth_session, SessionAuth};
    use crate::backend::{services::accounts, session_store::SESSION_AUTH_KEY};
    visit(accounts::SIGN_OUT, |v| async move {
        if let Ok(Some(auth)) = v.session.get::<SessionAuth>(SESSION_AUTH_KEY).await {
            accounts::sign_out(&v.state, &auth, &v.meta).await?;
        }
        auth_session::end(&v.session).await?;
        leptos_axum::redirect("/login");
        Ok(())
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "auth/change-password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    new_password_confirm: String,
) -> Result<(), AppError> {
    use super::support::{call, notify};
    use crate::backend::auth::{guard::current_session, session};
    use crate::backend::services::accounts;
    use crate::model::notice::Notice;
    call(accounts::CHANGE_PASSWORD, move |c| async move {
        let current = current_session().await?;
        let change = accounts::PasswordChange {
            current: current_password.into(),
            new: new_password.into(),
            confirm: new_password_confirm.into(),
        };
        let version =
            accounts::change_password(&c.state, &c.who, change, current.id(), &c.meta).await?;
        session::renew_credentials(&current, version).await?;
        notify(&c.state, &Notice::PasswordChanged);
        Ok(())
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "auth/organizations")]
pub async fn my_organizations() -> Result<Vec<OrgChoice>, AppError> {
    use super::support::call;
    use crate::backend::services::accounts;
    call(accounts::ORGANIZATIONS, |c| async move {
        Ok(accounts::organizations_of(&c.who))
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "auth/switch-organization")]
pub async fn switch_organization(org_id: i64) -> Result<(), AppError> {
    use super::support::call;
    use crate::backend::auth::{guard::current_session, session::SessionAuth};
    use crate::backend::services::accounts;
    use crate::backend::session_store::SESSION_AUTH_KEY;
    call(accounts::SWITCH_ORGANIZATION, move |c| async move {
        let session = current_session().await?;
        let mut auth: SessionAuth = session
            .get(SESSION_AUTH_KEY)
            .await
            .map_err(AppError::internal)?
            .ok_or(AppError::Unauthorized)?;
        auth.org_id = accounts::switchable(&c.state, &c.who, org_id).await?;
        session
            .insert(SESSION_AUTH_KEY, &auth)
            .await
            .map_err(AppError::internal)?;
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "auth/me")]
pub async fn current_user() -> Result<Option<Me>, AppError> {
    use super::support::visit;
    use crate::backend::auth::session::principal;
    use crate::backend::services::accounts;
    visit(accounts::ME, |v| async move {
        let Some(p) = principal(&v.state, &v.session).await? else {
            return Ok(None);
        };
        let organizations = accounts::organizations_of(&p);
        Ok(Some(Me {
            username: p.user.username,
            name: p.user.name,
            organization: p.organization.name,
            role: p.role.name,
            authorities: p.authorities,
            organizations,
        }))
    })
    .await
}
