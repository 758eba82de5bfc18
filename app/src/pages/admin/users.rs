use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_query_map};

use crate::components::form::error_message;
use crate::i18n::{t, t_string, use_i18n};
use crate::model::users::urlencode;
use crate::model::users::{UserFilter, UserPage, UserRow};
use crate::server_fns::users::list_users;

/// `/admin/users`: Admin → Users → User Management.
#[component]
pub fn UsersPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let filter = move || {
        let q = query.get();
        UserFilter {
            search: q.get("search").unwrap_or_default(),
            status: q.get("status").unwrap_or_default(),
            kind: q.get("kind").unwrap_or_default(),
            page: q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1),
        }
    };
    let users = Resource::new(filter, list_users);

    view! {
        <nav class="breadcrumb" aria-label=move || t_string!(i18n, breadcrumb)>
            <ol>
                <li>{t!(i18n, admin)}</li>
                <li>{t!(i18n, users)}</li>
                <li aria-current="page">{t!(i18n, user_management)}</li>
            </ol>
        </nav>
        <div class="page-head">
            <h1>{t!(i18n, user_management)}</h1>
            <span class="actions">
                <A href="/admin/invitations" attr:class="button-link">{t!(i18n, invite_user)}</A>
                " "
                <A href="/admin/programmatic-users/new" attr:class="button-link">
                    {t!(i18n, new_programmatic_user)}
                </A>
            </span>
        </div>
        <FilterForm filter=Signal::derive(filter) />
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(page) => view! { <UsersTable page=page filter=filter() /> }.into_any(),
                    Err(err) => {
                        view! { <p class="form-error" role="alert">{error_message(i18n, &err)}</p> }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// A GET form: works without JavaScript and keeps the filters in the URL.
#[component]
fn FilterForm(filter: Signal<UserFilter>) -> impl IntoView {
    let i18n = use_i18n();
    let selected = move |value: &'static str, current: String| value == current;
    view! {
        <form method="get" action="/admin/users" class="filters" role="search"
            aria-label=move || t_string!(i18n, search_users)>
            <div class="field">
                <label for="users-search">{t!(i18n, search)}</label>
                <input id="users-search" name="search" type="search" value=move || filter.get().search />
            </div>
            <div class="field">
                <label for="users-status">{t!(i18n, filter_status)}</label>
                <select id="users-status" name="status">
                    <option value="" selected=move || selected("", filter.get().status)>{t!(i18n, any)}</option>
                    <option value="active" selected=move || selected("active", filter.get().status)>{t!(i18n, status_active)}</option>
                    <option value="inactive" selected=move || selected("inactive", filter.get().status)>{t!(i18n, status_inactive)}</option>
                </select>
            </div>
            <div class="field">
                <label for="users-kind">{t!(i18n, filter_kind)}</label>
                <select id="users-kind" name="kind">
                    <option value="" selected=move || selected("", filter.get().kind)>{t!(i18n, any)}</option>
                    <option value="human" selected=move || selected("human", filter.get().kind)>{t!(i18n, kind_human)}</option>
                    <option value="programmatic" selected=move || selected("programmatic", filter.get().kind)>{t!(i18n, kind_programmatic)}</option>
                </select>
            </div>
            <button type="submit" class="primary">{t!(i18n, apply_filters)}</button>
        </form>
    }
}

fn page_link(filter: &UserFilter, page: u64) -> String {
    format!(
        "/admin/users?search={}&status={}&kind={}&page={page}",
        urlencode(&filter.search),
        urlencode(&filter.status),
        urlencode(&filter.kind)
    )
}

#[component]
fn UsersTable(page: UserPage, filter: UserFilter) -> impl IntoView {
    let i18n = use_i18n();
    if page.rows.is_empty() {
        return view! { <p class="empty">{t!(i18n, no_users)}</p> }.into_any();
    }
    let (current, pages, total) = (page.page, page.pages, page.total);
    let prev = (current > 1).then(|| page_link(&filter, current - 1));
    let next = (current < pages).then(|| page_link(&filter, current + 1));
    view! {
        <table class="data-table">
            <caption class="visually-hidden">{t!(i18n, user_management)}</caption>
            <thead>
                <tr>
                    <th scope="col">{t!(i18n, col_username)}</th>
                    <th scope="col">{t!(i18n, col_name)}</th>
                    <th scope="col">{t!(i18n, col_email)}</th>
                    <th scope="col">{t!(i18n, col_kind)}</th>
                    <th scope="col">{t!(i18n, col_role)}</th>
                    <th scope="col">{t!(i18n, col_status)}</th>
                    <th scope="col">{t!(i18n, col_last_sign_in)}</th>
                </tr>
            </thead>
            <tbody>
                {page.rows.into_iter().map(|row| view! { <UserTableRow row /> }).collect_view()}
            </tbody>
        </table>
        <nav class="pagination" aria-label=move || t_string!(i18n, pagination)>
            {prev.map(|href| view! { <A href=href attr:rel="prev">{t!(i18n, previous_page)}</A> })}
            <span>{t!(i18n, page_of, page = current, pages = pages, total = total)}</span>
            {next.map(|href| view! { <A href=href attr:rel="next">{t!(i18n, next_page)}</A> })}
        </nav>
    }
    .into_any()
}

#[component]
fn UserTableRow(row: UserRow) -> impl IntoView {
    let i18n = use_i18n();
    let href = format!("/admin/users/{}", urlencode(&row.username));
    let programmatic = row.kind == "programmatic";
    let active = row.status == "active";
    let last = row
        .last_sign_in_at
        .clone()
        .map(|t| t.replace('T', " ").chars().take(16).collect::<String>());
    view! {
        <tr>
            <td><A href=href>{row.username.clone()}</A></td>
            <td>{row.name.clone()}</td>
            <td>{row.email.clone().unwrap_or_default()}</td>
            <td>
                {if programmatic {
                    view! { <span class="badge">{t!(i18n, kind_programmatic)}</span> }.into_any()
                } else {
                    view! { <span>{t!(i18n, kind_human)}</span> }.into_any()
                }}
            </td>
            <td>{row.role.clone()}</td>
            <td>
                {if active {
                    view! { <span class="status status-active">{t!(i18n, status_active)}</span> }.into_any()
                } else {
                    view! { <span class="status status-inactive">{t!(i18n, status_inactive)}</span> }.into_any()
                }}
            </td>
            <td>
                {match last {
                    Some(at) => view! { <time datetime=row.last_sign_in_at.clone()>{at}" UTC"</time> }.into_any(),
                    None => view! { <span>{t!(i18n, never)}</span> }.into_any(),
                }}
            </td>
        </tr>
    }
}
