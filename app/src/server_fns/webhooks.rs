//! Settings → Integrations → Webhooks (Manage Integrations).
use leptos::prelude::*;

use crate::model::error::AppError;
use crate::model::webhooks::{EndpointPage, NewEndpoint, WebhooksPage};

#[server(prefix = "/rpc", endpoint = "webhooks/list")]
pub async fn list_webhooks() -> Result<WebhooksPage, AppError> {
    use super::support::call;
    use crate::backend::services::webhooks;
    call(webhooks::LIST, move |c| async move {
        webhooks::list(&c.state, &c.who).await
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "webhooks/endpoint")]
pub async fn get_webhook(id: i64) -> Result<EndpointPage, AppError> {
    use super::support::call;
    use crate::backend::services::webhooks;
    call(webhooks::ENDPOINT, move |c| async move {
        webhooks::endpoint(&c.state, &c.who, id).await
    })
    .await
}

/// "Add endpoint": answers the signing secret, once. A form posted without
/// JavaScript is redirected to `back`, which shows it once (handed over
/// sealed, like a new API key).
#[server(prefix = "/rpc", endpoint = "webhooks/create")]
pub async fn create_webhook(
    url: String,
    #[server(default)] description: String,
    #[server(default)] events: Vec<String>,
    #[server(default)] request_token: String,
    #[server(default)] back: String,
) -> Result<Option<NewEndpoint>, AppError> {
    use super::keys::{delivery, hand_over};
    use super::support::{call, no_store};
    use crate::backend::keys::handover::Issued;
    use crate::backend::services::webhooks;
    use crate::model::keys::GeneratedKey;
    call(webhooks::CREATE, move |c| async move {
        let asked = webhooks::NewWebhook {
            url,
            description,
            events,
            request_token,
        };
        let new = webhooks::create(&c.state, &c.who, &asked, &c.meta).await?;
        let handed = GeneratedKey {
            id: new.id,
            name: new.url.clone(),
            key: new.secret.clone(),
            organization: c.who.organization.name.clone(),
            api_sets: Vec::new(),
            created_at: c.state.clock.now().to_rfc3339(),
            webhook: true,
        };
        let (user, org, now) = (c.who.user.id, c.who.organization.id, c.state.clock.now());
        let issued = Issued::deliver(&c.state.db, delivery(&back), user, org, handed, now).await?;
        Ok(hand_over(&c.state, issued, &back).map(|_| new))
    })
    .await
    .inspect(|_| no_store())
}

#[server(prefix = "/rpc", endpoint = "webhooks/delete")]
pub async fn delete_webhook(id: i64) -> Result<(), AppError> {
    use super::support::call;
    use crate::backend::services::webhooks;
    call(webhooks::DELETE, move |c| async move {
        webhooks::delete(&c.state, &c.who, id, &c.meta).await?;
        leptos_axum::redirect("/settings/integrations/webhooks");
        Ok(())
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "webhooks/send-test")]
pub async fn send_test_event(id: i64) -> Result<(), AppError> {
    use super::support::call;
    use crate::backend::services::webhooks;
    call(webhooks::SEND_TEST, move |c| async move {
        webhooks::send_test(&c.state, &c.who, id).await?;
        super::support::notify(&c.state, &crate::model::notice::Notice::TestEventQueued);
        Ok(())
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "webhooks/resend")]
pub async fn resend_delivery(delivery: i64) -> Result<(), AppError> {
    use super::support::call;
    use crate::backend::services::webhooks;
    call(webhooks::RESEND, move |c| async move {
        let now = c.state.clock.now();
        webhooks::resend(&c.state, &c.who, delivery, now).await?;
        super::support::notify(&c.state, &crate::model::notice::Notice::SentAgain);
        Ok(())
    })
    .await
}

/// The signing secret a form posted without JavaScript left for the
/// Webhooks page, once.
#[server(prefix = "/rpc", endpoint = "webhooks/take-secret")]
pub async fn take_webhook_secret() -> Result<Option<crate::model::keys::GeneratedKey>, AppError> {
    use super::support::{call, no_store, take_handed_over};
    use crate::backend::services::webhooks;
    call(webhooks::TAKE_SECRET, move |c| async move {
        let secret = take_handed_over(&c, true).await?;
        if secret.is_some() {
            no_store();
        }
        Ok(secret)
    })
    .await
}
