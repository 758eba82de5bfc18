use leptos::prelude::*;
use leptos_i18n::I18nContext;
use leptos_router::{components::A, hooks::use_query_map};

use crate::components::form::error_message;
use crate::i18n::{Locale, t, t_string, use_i18n};
use crate::model::audit::{ACTIONS, AuditFilter, AuditPage};
use crate::model::users::urlencode;
use crate::server_fns::audit::list_audit;

pub fn action_label(i18n: I18nContext<Locale>, action: &str) -> String {
    match action {
        "sign_in.success" => t_string!(i18n, action_sign_in_success).to_string(),
        "sign_in.failure" => t_string!(i18n, action_sign_in_failure).to_string(),
        "sign_in.throttled" => t_string!(i18n, action_sign_in_throttled).to_string(),
        "sign_out" => t_string!(i18n, action_sign_out).to_string(),
        "organization.created" => t_string!(i18n, action_organization_created).to_string(),
        "user.created" => t_string!(i18n, action_user_created).to_string(),
        "user.activated" => t_string!(i18n, action_user_activated).to_string(),
        "user.deactivated" => t_string!(i18n, action_user_deactivated).to_string(),
        "role.changed" => t_string!(i18n, action_role_changed).to_string(),
        "role.created" => t_string!(i18n, action_role_created).to_string(),
        "role.edited" => t_string!(i18n, action_role_edited).to_string(),
        "role.deleted" => t_string!(i18n, action_role_deleted).to_string(),
        "password.changed" => t_string!(i18n, action_password_changed).to_string(),
        "user.invited" => t_string!(i18n, action_user_invited).to_string(),
        "key.created" => t_string!(i18n, action_key_created).to_string(),
        "key.disabled" => t_string!(i18n, action_key_disabled).to_string(),
        "key.enabled" => t_string!(i18n, action_key_enabled).to_string(),
        "key.deleted" => t_string!(i18n, action_key_deleted).to_string(),
        "key.rolled" => t_string!(i18n, action_key_rolled).to_string(),
        "key.grace_ended" => t_string!(i18n, action_key_grace_ended).to_string(),
        "public_api.enabled" => t_string!(i18n, action_public_api_enabled).to_string(),
        "public_api.disabled" => t_string!(i18n, action_public_api_disabled).to_string(),
        "api_set.created" => t_string!(i18n, action_api_set_created).to_string(),
        "api_set.deleted" => t_string!(i18n, action_api_set_deleted).to_string(),
        "key.rate_limit_changed" => t_string!(i18n, action_key_rate_limit_changed).to_string(),
        "user_token.created" => t_string!(i18n, action_user_token_created).to_string(),
        "user.joined" => t_string!(i18n, action_user_joined).to_string(),
        "invitation.revoked" => t_string!(i18n, action_invitation_revoked).to_string(),
        other => other.to_owned(),
    }
}

/// `/admin/audit`: who did what, when and from where.
#[component]
pub fn AuditPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let filter = move || {
        let q = query.get();
        AuditFilter {
            actor: q.get("actor").unwrap_or_default(),
            action: q.get("action").unwrap_or_default(),
            from: q.get("from").unwrap_or_default(),
            to: q.get("to").unwrap_or_default(),
            page: q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1),
        }
    };
    let events = Resource::new(filter, list_audit);

    view! {
        <nav class="breadcrumb" aria-label=move || t_string!(i18n, breadcrumb)>
            <ol>
                <li>{t!(i18n, admin)}</li>
                <li aria-current="page">{t!(i18n, audit_log)}</li>
            </ol>
        </nav>
        <h1>{t!(i18n, audit_log)}</h1>
        <form method="get" action="/admin/audit" class="filters" role="search"
            aria-label=move || t_string!(i18n, filter_audit)>
            <div class="field">
                <label for="audit-actor">{t!(i18n, col_actor)}</label>
                <input id="audit-actor" name="actor" value=move || filter().actor />
            </div>
            <div class="field">
                <label for="audit-action">{t!(i18n, col_action)}</label>
                <select id="audit-action" name="action">
                    <option value="" selected=move || filter().action.is_empty()>{t!(i18n, any)}</option>
                    {ACTIONS.iter().map(|a| {
                        let code = *a;
                        view! { <option value=code selected=move || filter().action == code>{move || action_label(i18n, code)}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="audit-from">{t!(i18n, date_from)}</label>
                <input id="audit-from" name="from" type="date" value=move || filter().from />
            </div>
            <div class="field">
                <label for="audit-to">{t!(i18n, date_to)}</label>
                <input id="audit-to" name="to" type="date" value=move || filter().to />
            </div>
            <button type="submit" class="primary">{t!(i18n, apply_filters)}</button>
        </form>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match events.await {
                    Ok(page) => view! { <AuditTable page filter=filter() /> }.into_any(),
                    Err(err) => view! { <p class="form-error" role="alert">{error_message(i18n, &err)}</p> }.into_any(),
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
fn AuditTable(page: AuditPage, filter: AuditFilter) -> impl IntoView {
    let i18n = use_i18n();
    if page.rows.is_empty() {
        return view! { <p class="empty">{t!(i18n, no_events)}</p> }.into_any();
    }
    let (current, pages, total) = (page.page, page.pages, page.total);
    let prev = (current > 1).then(|| page_link(&filter, current - 1));
    let next = (current < pages).then(|| page_link(&filter, current + 1));
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
