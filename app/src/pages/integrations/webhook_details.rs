//! `/settings/integrations/webhooks/:id`: one endpoint, its delivery log
//! (newest first: event, message id, status, response, attempts, next
//! attempt) with "Send again", "Send test event", and "Delete endpoint"
//! (`?delete=1`, asked first).
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_params_map, hooks::use_query_map};

use super::IntegrationsBreadcrumb;
use super::webhooks::{BASE, event_label};
use crate::components::dialog::Dialog;
use crate::components::form::{FormError, use_form_errors};
use crate::components::keys::when;
use crate::i18n::{t, t_string, use_i18n};
use crate::model::notice::Notice;
use crate::model::webhooks::{DeliveryRow, DeliveryState};
use crate::server_fns::webhooks::{DeleteWebhook, ResendDelivery, SendTestEvent, get_webhook};

#[component]
pub fn WebhookDetailsPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let query = use_query_map();
    let test = ServerAction::<SendTestEvent>::new();
    let resend = ServerAction::<ResendDelivery>::new();
    let delete = ServerAction::<DeleteWebhook>::new();
    let id = move || params.with(|p| p.get("id").and_then(|v| v.parse::<i64>().ok()));
    let page = Resource::new(
        move || (id(), test.version().get(), resend.version().get()),
        |(id, _, _)| async move {
            match id {
                Some(id) => get_webhook(id).await,
                None => Err(crate::model::error::AppError::NotFound),
            }
        },
    );
    let errors = use_form_errors(test)
        .or(use_form_errors(resend))
        .or(use_form_errors(delete));
    let told = crate::server_fns::notice::take();
    let (told_test, told_again) = (
        told == Some(Notice::TestEventQueued),
        told == Some(Notice::SentAgain),
    );
    let tested = move || told_test || test.value().with(|v| matches!(v, Some(Ok(()))));
    let resent = move || told_again || resend.value().with(|v| matches!(v, Some(Ok(()))));
    view! {
        <IntegrationsBreadcrumb>
            <li><A href=BASE>{t!(i18n, webhooks)}</A></li>
            <li aria-current="page">{t!(i18n, webhook_endpoint)}</li>
        </IntegrationsBreadcrumb>
        <h1>{t!(i18n, webhook_endpoint)}</h1>
        <FormError error=errors.error />
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let page = match page.await {
                    Ok(page) => page,
                    Err(err) => return view! { <FormError error=Some(err) /> }.into_any(),
                };
                let e = page.endpoint;
                let here = format!("{BASE}/{}", e.id);
                let deleting = query.get().get("delete").is_some();
                let events: Vec<String> = e.events.iter().map(|ev| format!("{} · {}", ev.as_str(), event_label(i18n, *ev))).collect();
                view! {
                    <section class="card" aria-labelledby="endpoint-title">
                        <h2 id="endpoint-title"><code>{e.url.clone()}</code></h2>
                        {(!e.description.is_empty()).then(|| view! { <p>{e.description.clone()}</p> })}
                        <ul aria-label=move || t_string!(i18n, col_events)>
                            {events.into_iter().map(|ev| view! { <li>{ev}</li> }).collect_view()}
                        </ul>
                        <div class="page-head">
                            <ActionForm action=test>
                                <input type="hidden" name="id" value=e.id.to_string() />
                                <button type="submit" class="primary">{t!(i18n, send_test_event)}</button>
                            </ActionForm>
                            <A href=format!("{here}?delete=1") attr:class="button danger">{t!(i18n, delete_endpoint)}</A>
                        </div>
                        {move || tested().then(|| view! { <p class="notice" role="status">{t!(i18n, test_event_queued)}</p> })}
                    </section>
                    <section class="card" aria-labelledby="deliveries-title">
                        <h2 id="deliveries-title">{t!(i18n, deliveries)}</h2>
                        {move || resent().then(|| view! { <p class="notice" role="status">{t!(i18n, sent_again)}</p> })}
                        <DeliveriesTable rows=page.deliveries action=resend />
                    </section>
                    {deleting.then(|| view! {
                        <Dialog labelled_by="delete-endpoint-title" close_href=here.clone()>
                            <h2 id="delete-endpoint-title">{t!(i18n, confirm_delete_endpoint_title)}</h2>
                            <p>{t!(i18n, confirm_delete_endpoint_body, url = e.url.clone())}</p>
                            <ActionForm action=delete>
                                <input type="hidden" name="id" value=e.id.to_string() />
                                <button type="submit" class="danger">{t!(i18n, delete)}</button>
                                " "
                                <A href=here.clone() attr:class="button">{t!(i18n, cancel)}</A>
                            </ActionForm>
                        </Dialog>
                    })}
                }
                .into_any()
            })}
        </Transition>
    }
}

#[component]
fn DeliveriesTable(rows: Vec<DeliveryRow>, action: ServerAction<ResendDelivery>) -> impl IntoView {
    let i18n = use_i18n();
    if rows.is_empty() {
        return view! { <p data-testid="no-deliveries">{t!(i18n, no_deliveries)}</p> }.into_any();
    }
    let again = t_string!(i18n, send_again).to_string();
    view! {
        <table class="data-table" aria-labelledby="deliveries-title">
            <thead>
                <tr>
                    <th scope="col">{t!(i18n, col_event)}</th>
                    <th scope="col">{t!(i18n, col_message_id)}</th>
                    <th scope="col">{t!(i18n, col_state)}</th>
                    <th scope="col">{t!(i18n, col_response)}</th>
                    <th scope="col">{t!(i18n, col_attempts)}</th>
                    <th scope="col">{t!(i18n, col_created)}</th>
                    <th scope="col">{t!(i18n, col_next_attempt)}</th>
                    <th scope="col">{t!(i18n, col_actions)}</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|d| {
                    let state = match d.state {
                        DeliveryState::Pending => t_string!(i18n, delivery_pending),
                        DeliveryState::Delivered => t_string!(i18n, delivery_delivered),
                        DeliveryState::Failed => t_string!(i18n, delivery_failed),
                    };
                    let response = match (d.response_status, d.last_error.as_deref()) {
                        (Some(code), _) => code.to_string(),
                        (None, Some("address_not_allowed")) => t_string!(i18n, webhook_error_address_not_allowed).to_string(),
                        (None, Some("host_not_found")) => t_string!(i18n, webhook_error_host_not_found).to_string(),
                        (None, Some("timeout")) => t_string!(i18n, webhook_error_timeout).to_string(),
                        (None, Some("connection_refused")) => t_string!(i18n, webhook_error_connection_refused).to_string(),
                        (None, Some(_)) => t_string!(i18n, webhook_error_other).to_string(),
                        (None, None) => String::new(),
                    };
                    let label = format!("{again} {}", d.message_id);
                    let may_resend = d.state != DeliveryState::Pending;
                    let again = again.clone();
                    view! {
                        <tr data-delivery-id=d.id>
                            <th scope="row"><code>{d.event_type.clone()}</code></th>
                            <td><code>{d.message_id.clone()}</code></td>
                            <td data-testid="delivery-state">{state}</td>
                            <td data-testid="delivery-response">{response}</td>
                            <td>{d.attempts}</td>
                            <td>{when(&d.created_at)}</td>
                            <td>{d.next_attempt_at.as_deref().map(when).unwrap_or_default()}</td>
                            <td>
                                {may_resend.then(|| view! {
                                    <ActionForm action=action>
                                        <input type="hidden" name="delivery" value=d.id.to_string() />
                                        <button type="submit" aria-label=label>{again}</button>
                                    </ActionForm>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
