//! Settings → Integrations: the Public API switch and API sets.
use leptos::prelude::*;

use crate::model::error::AppError;
use crate::model::keys::{ApiSetInfo, PublicApiState};

/// The organization's Public API switch; everyone signed in may see it.
#[server(prefix = "/rpc", endpoint = "integrations/public-api")]
pub async fn get_public_api() -> Result<PublicApiState, AppError> {
    use super::support::call;
    use crate::backend::services::integrations;
    call(integrations::PUBLIC_API, move |c| async move {
        let api_sets = integrations::api_set_slugs(&c.state, &c.who).await?;
        Ok(PublicApiState {
            base_url: super::support::instance_url(),
            api_sets,
            ..integrations::public_api(&c.who)
        })
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "integrations/set-public-api")]
pub async fn set_public_api(enabled: bool) -> Result<(), AppError> {
    use super::support::call;
    use crate::backend::services::integrations;
    call(integrations::SET_PUBLIC_API, move |c| async move {
        integrations::set_public_api(&c.state, &c.who, enabled, &c.meta).await?;
        leptos_axum::redirect("/settings/integrations/public-api");
        Ok(())
    })
    .await
}

/// Changes the organization's identifier (slug) that forward-auth names.
#[server(prefix = "/rpc", endpoint = "integrations/set-slug")]
pub async fn set_slug(slug: String) -> Result<(), AppError> {
    use super::support::call;
    use crate::backend::services::org_slugs;
    call(org_slugs::SET_SLUG, move |c| async move {
        org_slugs::set_slug(&c.state, &c.who, &slug, &c.meta).await?;
        leptos_axum::redirect("/settings/integrations/public-api");
        Ok(())
    })
    .await
}

/// The API sets a key may be given (the Create API key dialog's choices).
#[server(prefix = "/rpc", endpoint = "integrations/api-sets")]
pub async fn list_api_sets() -> Result<Vec<ApiSetInfo>, AppError> {
    use super::support::call;
    use crate::backend::services::integrations;
    call(integrations::API_SETS, move |c| async move {
        integrations::api_sets(&c.state, &c.who).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "integrations/create-api-set")]
pub async fn create_api_set(
    slug: String,
    name: String,
    #[server(default)] description: String,
) -> Result<(), AppError> {
    use super::support::{call, notify};
    use crate::backend::services::integrations;
    use crate::model::notice::Notice;
    call(integrations::CREATE_API_SET, move |c| async move {
        integrations::create_api_set(&c.state, &c.who, &slug, &name, &description, &c.meta).await?;
        notify(&c.state, &Notice::ApiSetCreated);
        Ok(())
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "integrations/delete-api-set")]
pub async fn delete_api_set(id: i64) -> Result<(), AppError> {
    use super::support::call;
    use crate::backend::services::integrations;
    call(integrations::DELETE_API_SET, move |c| async move {
        integrations::delete_api_set(&c.state, &c.who, id, &c.meta).await?;
        leptos_axum::redirect("/settings/integrations/api-sets");
        Ok(())
    })
    .await
}
