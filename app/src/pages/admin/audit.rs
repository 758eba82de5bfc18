use leptos::prelude::*;
use leptos_i18n::I18nContext;
use leptos_router::{components::A, hooks::use_query_map};

use crate::components::admin_area::AdminCrumb;
use crate::components::list::ListError;
use crate::i18n::{Locale, t, t_string, use_i18n};
use crate::model::audit::{Action, AuditFilter, AuditRow};
use crate::model::filter::form_value;
use crate::model::page::{self, Page};
use crate::model::users::urlencode;
use crate::server_fns::audit::list_audit;

/// The action's name in the reader's language; an action this build does
/// not know (or has no label for) is shown as stored.
pub fn action_label(i18n: I18nContext<Locale>, action: &str) -> String {
    let Ok(known) = action.parse::<Action>() else {
        return action.to_owned();
    };
    match known {
        Action::SignInSuccess => t_string!(i18n, action_sign_in_success).to_string(),
        Action::SignInFailure => t_string!(i18n, action_sign_in_failure).to_string(),
        Action::SignInThrottled => t_string!(i18n, action_sign_in_throttled).to_string(),
        Action::SignOut => t_string!(i18n, action_sign_out).to_string(),
        Action::OrganizationCreated => t_string!(i18n, action_organization_created).to_string(),
        Action::UserCreated => t_string!(i18n, action_user_created).to_string(),
        Action::UserActivated => t_string!(i18n, action_user_activated).to_string(),
        Action::UserDeactivated => t_string!(i18n, action_user_deactivated).to_string(),
        Action::RoleChanged => t_string!(i18n, action_role_changed).to_string(),
        Action::RoleCreated => t_string!(i18n, action_role_created).to_string(),
        Action::RoleEdited => t_string!(i18n, action_role_edited).to_string(),
        Action::RoleDeleted => t_string!(i18n, action_role_deleted).to_string(),
        Action::PasswordChanged => t_string!(i18n, action_password_changed).to_string(),
        Action::UserInvited => t_string!(i18n, action_user_invited).to_string(),
        Action::KeyCreated => t_string!(i18n, action_key_created).to_string(),
        Action::KeyDisabled => t_string!(i18n, action_key_disabled).to_string(),
        Action::KeyEnabled => t_string!(i18n, action_key_enabled).to_string(),
        Action::KeyDeleted => t_string!(i18n, action_key_deleted).to_string(),
        Action::KeyRolled => t_string!(i18n, action_key_rolled).to_string(),
        Action::KeyGraceEnded => t_string!(i18n, action_key_grace_ended).to_string(),
        Action::PublicApiEnabled => t_string!(i18n, action_public_api_enabled).to_string(),
        Action::PublicApiDisabled => t_string!(i18n, action_public_api_disabled).to_string(),
        Action::ApiSetCreated => t_string!(i18n, action_api_set_created).to_string(),
        Action::ApiSetDeleted => t_string!(i18n, action_api_set_deleted).to_string(),
        Action::KeyRateLimitChanged => t_string!(i18n, action_key_rate_limit_changed).to_string(),
        Action::UserTokenCreated => t_string!(i18n, action_user_token_created).to_string(),
        Action::KeyLeaked => t_string!(i18n, action_key_leaked).to_string(),
        Action::KeyAddressesChanged => t_string!(i18n, action_key_addresses_changed).to_string(),
        Action::DecoyCreated => t_string!(i18n, action_decoy_created).to_string(),
        Action::DecoyDeleted => t_string!(i18n, action_decoy_deleted).to_string(),
        Action::DecoyUsed => t_string!(i18n, action_decoy_used).to_string(),
        Action::KeyPolicyChanged => t_string!(i18n, action_key_policy_changed).to_string(),
        Action::KeyExpiryShortened => t_string!(i18n, action_key_expiry_shortened).to_string(),
        Action::WebhookCreated => t_string!(i18n, action_webhook_created).to_string(),
        Action::WebhookDeleted => t_string!(i18n, action_webhook_deleted).to_string(),
        Action::KeyTransferred => t_string!(i18n, action_key_transferred).to_string(),
        Action::KeyRateLimited => t_string!(i18n, action_key_rate_limited).to_string(),
        Action::KeySecretRetired => t_string!(i18n, action_key_secret_retired).to_string(),
        Action::UserJoined => t_string!(i18n, action_user_joined).to_string(),
        Action::InvitationRevoked => t_string!(i18n, action_invitation_revoked).to_string(),
        Action::OrganizationSlugChanged => {
            t_string!(i18n, action_organization_slug_changed).to_string()
        }
    }
}

/// `/admin/audit`: who did what, when and from where.
#[component]
pub fn AuditPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    // The address's filters, read as `/api/v1/audit-events` reads its query.
    let filter = move || {
        let q = query.get();
        let given = |name| form_value(q.get(name));
        AuditFilter::parse(
            given("actor").as_deref(),
            given("action").as_deref(),
            given("from").as_deref(),
            given("to").as_deref(),
        )
        .map(|filter| AuditFilter {
            page: page::number(q.get("page")),
            ..filter
        })
    };
    let shown = move || filter().unwrap_or_default();
    let events = Resource::new(filter, |filter| async move { list_audit(filter?).await });

    view! {
        <nav class="breadcrumb" aria-label=move || t_string!(i18n, breadcrumb)>
            <ol>
                <AdminCrumb />
                <li aria-current="page">{t!(i18n, audit_log)}</li>
            </ol>
        </nav>
        <h1>{t!(i18n, audit_log)}</h1>
        <form method="get" action="/admin/audit" class="filters" role="search"
            aria-label=move || t_string!(i18n, filter_audit)>
            <div class="field">
                <label for="audit-actor">{t!(i18n, col_actor)}</label>
                <input id="audit-actor" name="actor" value=move || shown().actor />
            </div>
            <div class="field">
                <label for="audit-action">{t!(i18n, col_action)}</label>
                <select id="audit-action" name="action">
                    <option value="" selected=move || shown().action.is_empty()>{t!(i18n, any)}</option>
                    {Action::ALL.iter().map(|a| {
                        let code = a.as_str();
                        view! { <option value=code selected=move || shown().action == code>{move || action_label(i18n, code)}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="audit-from">{t!(i18n, date_from)}</label>
                <input id="audit-from" name="from" type="date" value=move || shown().from />
            </div>
            <div class="field">
                <label for="audit-to">{t!(i18n, date_to)}</label>
                <input id="audit-to" name="to" type="date" value=move || shown().to />
            </div>
            <button type="submit" class="primary">{t!(i18n, apply_filters)}</button>
        </form>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match events.await {
                    Ok(page) => view! { <AuditTable page filter=shown() /> }.into_any(),
                    Err(error) => view! { <ListError error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn page_link(f: &AuditFilter, page: u64) -> String {
    format!(
        "/admin/audit?actor={}&action={}&from={}&to={}&page={page}",
        urlencode(&f.actor),
        urlencode(&f.action),
        urlencode(&f.from),
        urlencode(&f.to)
    )
}

#[component]
fn AuditTable(page: Page<AuditRow>, filter: AuditFilter) -> impl IntoView {
    let i18n = use_i18n();
    if page.rows.is_empty() {
        return view! { <p class="empty">{t!(i18n, no_events)}</p> }.into_any();
    }
    let (current, pages, total) = (page.page, page.pages, page.total);
    let prev = page.previous().map(|n| page_link(&filter, n));
    let next = page.next().map(|n| page_link(&filter, n));
    view! {
        <table class="data-table">
            <caption class="visually-hidden">{t!(i18n, audit_log)}</caption>
            <thead>
                <tr>
                    <th scope="col">{t!(i18n, col_time)}</th>
                    <th scope="col">{t!(i18n, col_actor)}</th>
                    <th scope="col">{t!(i18n, col_action)}</th>
                    <th scope="col">{t!(i18n, col_target)}</th>
                    <th scope="col">{t!(i18n, col_ip)}</th>
                    <th scope="col">{t!(i18n, col_user_agent)}</th>
                </tr>
            </thead>
            <tbody>
                {page.rows.into_iter().map(|r| {
                    let shown = r.at.replace('T', " ").chars().take(19).collect::<String>();
                    let action = r.action.clone();
                    view! {
                        <tr>
                            <td><time datetime=r.at.clone()>{shown}" UTC"</time></td>
                            <td>{r.actor.clone().unwrap_or_else(|| "—".into())}</td>
                            <td data-action=r.action.clone()>{move || action_label(i18n, &action)}</td>
                            <td>{r.target.clone().unwrap_or_default()}</td>
                            <td>{r.client_ip.clone().unwrap_or_default()}</td>
                            <td class="ua">{r.user_agent.clone().unwrap_or_default()}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        <nav class="pagination" aria-label=move || t_string!(i18n, pagination)>
            {prev.map(|href| view! { <A href=href attr:rel="prev">{t!(i18n, previous_page)}</A> })}
            <span>{t!(i18n, events_page_of, page = current, pages = pages, total = total)}</span>
            {next.map(|href| view! { <A href=href attr:rel="next">{t!(i18n, next_page)}</A> })}
        </nav>
    }
    .into_any()
}
