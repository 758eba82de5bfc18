//! `/settings/integrations/webhooks` (Manage Integrations): the endpoints,
//! "Add endpoint" (`?dialog=add`) with the events to send, and the new
//! endpoint's signing secret, shown once.
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_query_map};

use super::IntegrationsBreadcrumb;
use crate::components::dialog::Dialog;
use crate::components::form::{FormError, problem_message, use_form_errors};
use crate::components::keys::when;
use crate::i18n::{Locale, t, t_string, use_i18n};
use crate::model::keys::DESCRIPTION_MAX;
use crate::model::validation::Field;
use crate::model::webhooks::{EventType, URL_MAX};
use crate::server_fns::webhooks::{CreateWebhook, list_webhooks, take_webhook_secret};
use leptos_i18n::I18nContext;

pub const BASE: &str = "/settings/integrations/webhooks";

/// What an event means, for the checkboxes.
pub fn event_label(i18n: I18nContext<Locale>, event: EventType) -> String {
    match event {
        EventType::KeyCreated => t_string!(i18n, event_key_created),
        EventType::KeyExpiring => t_string!(i18n, event_key_expiring),
        EventType::KeyExpired => t_string!(i18n, event_key_expired),
        EventType::KeyDisabled => t_string!(i18n, event_key_disabled),
        EventType::KeyEnabled => t_string!(i18n, event_key_enabled),
        EventType::KeyDeleted => t_string!(i18n, event_key_deleted),
        EventType::KeyRolled => t_string!(i18n, event_key_rolled),
        EventType::KeyLeaked => t_string!(i18n, event_key_leaked),
        EventType::KeyDecoyUsed => t_string!(i18n, event_key_decoy_used),
        EventType::UserDeactivated => t_string!(i18n, event_user_deactivated),
        EventType::KeyTransferred => t_string!(i18n, event_key_transferred),
        EventType::KeyRateLimited => t_string!(i18n, event_key_rate_limited),
    }
    .to_string()
}

#[component]
pub fn WebhooksPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let create = ServerAction::<CreateWebhook>::new();
    let page = Resource::new(move || create.version().get(), |_| list_webhooks());
    // A secret handed over after a form posted without JavaScript.
    let handed = Resource::new(|| (), |_| take_webhook_secret());
    view! {
        <IntegrationsBreadcrumb>
            <li aria-current="page">{t!(i18n, webhooks)}</li>
        </IntegrationsBreadcrumb>
        <h1>{t!(i18n, webhooks)}</h1>
        <p class="lead">{t!(i18n, webhooks_lead)}</p>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let page = match page.await {
                    Ok(page) => page,
                    Err(err) => return view! { <FormError error=Some(err) /> }.into_any(),
                };
                let adding = query.get().get("dialog").as_deref() == Some("add");
                let handed_secret = handed
                    .await
                    .ok()
                    .flatten()
                    .filter(|k| k.webhook)
                    .map(|k| (k.name, k.key));
                let answered = create
                    .value()
                    .get_untracked()
                    .and_then(Result::ok)
                    .flatten()
                    .map(|n| (n.url, n.secret));
                // Answered in place (JavaScript): shown while the page is
                // still the Add endpoint one; closing it leaves for good.
                let secret = handed_secret.or(answered.filter(|_| adding));
                let adding = adding && secret.is_none();
                let table = if page.endpoints.is_empty() {
                    view! { <p data-testid="no-endpoints">{t!(i18n, no_endpoints)}</p> }.into_any()
                } else {
                    view! {
                        <table class="data-table" aria-labelledby="endpoints-title">
                            <thead>
                                <tr>
                                    <th scope="col">{t!(i18n, col_url)}</th>
                                    <th scope="col">{t!(i18n, col_events)}</th>
                                    <th scope="col">{t!(i18n, col_created)}</th>
                                    <th scope="col">{t!(i18n, col_waiting)}</th>
                                    <th scope="col">{t!(i18n, col_failed)}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {page.endpoints.into_iter().map(|e| {
                                    let events: Vec<&str> = e.events.iter().map(|ev| ev.as_str()).collect();
                                    view! {
                                        <tr data-endpoint-id=e.id>
                                            <th scope="row"><A href=format!("{BASE}/{}", e.id)>{e.url.clone()}</A></th>
                                            <td>{events.join(", ")}</td>
                                            <td>{when(&e.created_at)}</td>
                                            <td>{e.pending}</td>
                                            <td>{e.failed}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }
                    .into_any()
                };
                view! {
                    <section class="card" aria-labelledby="endpoints-title">
                        <div class="page-head">
                            <h2 id="endpoints-title">{t!(i18n, webhooks)}</h2>
                            <A href=format!("{BASE}?dialog=add") attr:class="button primary">{t!(i18n, add_endpoint)}</A>
                        </div>
                        {table}
                    </section>
                    {adding.then(|| view! { <AddEndpointDialog action=create token=page.request_token.clone() /> })}
                    {secret.map(|(url, secret)| view! { <SecretDialog url secret /> })}
                }
                .into_any()
            })}
        </Transition>
    }
}

#[component]
fn AddEndpointDialog(action: ServerAction<CreateWebhook>, token: String) -> impl IntoView {
    let i18n = use_i18n();
    let errors = use_form_errors(action);
    let problem = move |field: Field, id: &'static str| {
        errors
            .problem(field)
            .map(|p| view! { <p class="field-error" id=id>{problem_message(i18n, p)}</p> })
    };
    let invalid = move |field: Field| errors.problem(field).is_some().then_some("true");
    view! {
        <Dialog labelled_by="add-endpoint-title" close_href=BASE class="wide">
            <h2 id="add-endpoint-title">{t!(i18n, add_endpoint)}</h2>
            <ActionForm action=action attr:aria-labelledby="add-endpoint-title">
                <input type="hidden" name="back" value=BASE />
                <input type="hidden" name="request_token" value=token />
                <FormError error=errors.error />
                <div class="field">
                    <label for="endpoint-url">{t!(i18n, field_endpoint_url)}</label>
                    <input
                        id="endpoint-url"
                        name="url"
                        type="url"
                        required=true
                        maxlength=URL_MAX
                        placeholder="https://"
                        aria-invalid=move || invalid(Field::Url)
                        aria-describedby=move || if errors.problem(Field::Url).is_some() { "endpoint-url-hint endpoint-url-error" } else { "endpoint-url-hint" }
                    />
                    <p class="hint" id="endpoint-url-hint">{t!(i18n, endpoint_url_hint)}</p>
                    {move || problem(Field::Url, "endpoint-url-error")}
                </div>
                <div class="field">
                    <label for="endpoint-description">{t!(i18n, field_description)}</label>
                    <textarea id="endpoint-description" name="description" rows="2" maxlength=DESCRIPTION_MAX></textarea>
                    {move || problem(Field::Description, "endpoint-description-error")}
                </div>
                <fieldset class="checkboxes" aria-describedby="endpoint-events-error">
                    <legend>{t!(i18n, field_events)}</legend>
                    {EventType::ALL.iter().map(|event| {
                        let id = format!("event-{}", event.as_str().replace('.', "-"));
                        view! {
                            <div class="field checkbox">
                                <input id=id.clone() type="checkbox" name="events[]" value=event.as_str() />
                                <label for=id>
                                    <code>{event.as_str()}</code>" · "{event_label(i18n, *event)}
                                </label>
                            </div>
                        }
                    }).collect_view()}
                    <div id="endpoint-events-error">{move || problem(Field::Events, "endpoint-events-problem")}</div>
                </fieldset>
                <div class="dialog-buttons">
                    <button type="submit" class="primary">{t!(i18n, add_endpoint)}</button>
                    <A href=BASE attr:class="button">{t!(i18n, cancel)}</A>
                </div>
            </ActionForm>
        </Dialog>
    }
}

/// The new endpoint's secret: this dialog is the only time it is shown.
#[component]
fn SecretDialog(url: String, secret: String) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Dialog labelled_by="secret-title" close_href=BASE>
            <h2 id="secret-title">{t!(i18n, signing_secret_title)}</h2>
            <p><code>{url}</code></p>
            <div class="field">
                <label for="signing-secret">{t!(i18n, signing_secret)}</label>
                <input id="signing-secret" readonly=true class="key-field" value=secret aria-describedby="signing-secret-hint" />
                <p class="hint" id="signing-secret-hint">{t!(i18n, signing_secret_hint)}</p>
            </div>
            <div class="dialog-buttons">
                <A href=BASE attr:class="button primary">{t!(i18n, close)}</A>
            </div>
        </Dialog>
    }
}
