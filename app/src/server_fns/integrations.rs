//! Settings → Integrations: the Public API switch and API sets.
use leptos::prelude::*;

use crate::model::error::AppError;
use crate::model::keys::{ApiSetInfo, PublicApiState};

/// The organization's Public API switch; everyone signed in may see it.
#[server(endpoint = "integrations/public-api")]
pub async fn get_public_api() -> Result<PublicApiState, AppError> {
    use super::support::fail;
    use crate::backend::{
        auth::guard::require_signed_in, services::integrations, state::app_state,
    };
    async {
        let who = require_signed_in().await?;
        let sets = integrations::api_sets(&app_state()?, &who).await?;
        Ok(PublicApiState {
            base_url: super::support::instance_url(),
            api_sets: sets.into_iter().map(|s| s.slug).collect(),
            ..integrations::public_api(&who)
        })
    }
    .await
    .map_err(fail)
}

#[server(endpoint = "integrations/set-public-api")]
pub async fn set_public_api(enabled: bool) -> Result<(), AppError> {
    use super::support::{fail, request_meta};
    use crate::backend::{auth::guard::require, services::integrations, state::app_state};
    use crate::model::authz::Authority;
    async {
        let who = require(Authority::ManageIntegrations).await?;
        integrations::set_public_api(&app_state()?, &who, enabled, &request_meta().await).await?;
        leptos_axum::redirect("/settings/integrations/public-api");
        Ok(())
    }
    .await
    .map_err(fail)
}

/// Changes the organization's identifier (slug) that forward-auth names.
#[server(endpoint = "integrations/set-slug")]
pub async fn set_slug(slug: String) -> Result<(), AppError> {
    use super::support::{fail, request_meta};
    use crate::backend::{auth::guard::require, services::org_slugs, state::app_state};
    use crate::model::authz::Authority;
    async {
        let who = require(Authority::ManageIntegrations).await?;
        org_slugs::set_slug(&app_state()?, &who, &slug, &request_meta().await).await?;
        leptos_axum::redirect("/settings/integrations/public-api");
        Ok(())
    }
    .await
    .map_err(fail)
}

/// The API sets a key may be given (the Create API key dialog's choices).
#[server(endpoint = "integrations/api-sets")]
pub async fn list_api_sets() -> Result<Vec<ApiSetInfo>, AppError> {
    use super::support::fail;
    use crate::backend::{
        auth::guard::require_signed_in, services::integrations, state::app_state,
    };
    async {
        let who = require_signed_in().await?;
        integrations::api_sets(&app_state()?, &who).await
    }
    .await
    .map_err(fail)
}

#[server(endpoint = "integrations/create-api-set")]
pub async fn create_api_set(
    slug: String,
    name: String,
    #[server(default)] description: String,
) -> Result<(), AppError> {
    use super::support::{fail, request_meta};
    use crate::backend::{auth::guard::require, services::integrations, state::app_state};
    use crate::model::authz::Authority;
    async {
        let who = require(Authority::ManageIntegrations).await?;
        integrations::create_api_set(
            &app_state()?,
            &who,
            &slug,
            &name,
            &description,
            &request_meta().await,
        )
        .await
    }
    .await
    .map_err(fail)
}

#[server(endpoint = "integrations/delete-api-set")]
pub async fn delete_api_set(id: i64) -> Result<(), AppError> {
    use super::support::{fail, request_meta};
    use crate::backend::{auth::guard::require, services::integrations, state::app_state};
    use crate::model::authz::Authority;
    async {
        let who = require(Authority::ManageIntegrations).await?;
        integrations::delete_api_set(&app_state()?, &who, id, &request_meta().await).await?;
        leptos_axum::redirect("/settings/integrations/api-sets");
        Ok(())
    }
    .await
    .map_err(fail)
}
