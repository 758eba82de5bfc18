use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_query_map};

use crate::components::admin_area::AdminCrumb;
use crate::components::list::ListError;
use crate::i18n::{t, t_string, use_i18n};
use crate::model::filter::form_value;
use crate::model::page::{self, Page};
use crate::model::users::urlencode;
use crate::model::users::{UserFilter, UserKind, UserRow, UserStatus};
use crate::server_fns::users::list_users;

/// `/admin/users`: Admin → Users → User Management.
#[component]
pub fn UsersPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    // The address's filters, read as `/api/v1/users` reads its query.
    let filter = move || {
        let q = query.get();
        let given = |name| form_value(q.get(name));
        UserFilter::parse(
            q.get("search").as_deref(),
            given("status").as_deref(),
            given("kind").as_deref(),
        )
        .map(|filter| UserFilter {
            page: page::number(q.get("page")),
            ..filter
        })
    };
    let users = Resource::new(filter, |filter| async move { list_users(filter?).await });

    view! {
        <nav class="breadcrumb" aria-label=move || t_string!(i18n, breadcrumb)>
            <ol>
                <AdminCrumb />
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
        <FilterForm filter=Signal::derive(move || filter().unwrap_or_default()) />
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(page) => {
                        view! { <UsersTable page=page filter=filter().unwrap_or_default() /> }
                            .into_any()
                    }
                    Err(error) => view! { <ListError error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// A GET form: works without JavaScript and keeps the filters in the URL.
#[component]
fn FilterForm(filter: Signal<UserFilter>) -> impl IntoView {
    let i18n = use_i18n();
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
                    <option value="" selected=move || filter.get().status.is_none()>{t!(i18n, any)}</option>
                    <option value=UserStatus::Active.as_str() selected=move || filter.get().status == Some(UserStatus::Active)>{t!(i18n, status_active)}</option>
                    <option value=UserStatus::Inactive.as_str() selected=move || filter.get().status == Some(UserStatus::Inactive)>{t!(i18n, status_inactive)}</option>
                </select>
            </div>
            <div class="field">
                <label for="users-kind">{t!(i18n, filter_kind)}</label>
                <select id="users-kind" name="kind">
                    <option value="" selected=move || filter.get().kind.is_none()>{t!(i18n, any)}</option>
                    <option value=UserKind::Human.as_str() selected=move || filter.get().kind == Some(UserKind::Human)>{t!(i18n, kind_human)}</option>
                    <option value=UserKind::Programmatic.as_str() selected=move || filter.get().kind == Some(UserKind::Programmatic)>{t!(i18n, kind_programmatic)}</option>
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
        filter.status.map_or("", UserStatus::as_str),
        filter.kind.map_or("", UserKind::as_str)
    )
}

#[component]
fn UsersTable(page: Page<UserRow>, filter: UserFilter) -> impl IntoView {
    let i18n = use_i18n();
    if page.rows.is_empty() {
        return view! { <p class="empty">{t!(i18n, no_users)}</p> }.into_any();
    }
    let (current, pages, total) = (page.page, page.pages, page.total);
    let prev = page.previous().map(|n| page_link(&filter, n));
    let next = page.next().map(|n| page_link(&filter, n));
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
    let programmatic = row.kind == UserKind::Programmatic;
    let active = row.status == UserStatus::Active;
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
