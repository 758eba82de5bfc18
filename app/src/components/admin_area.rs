//! The Admin area: its left pane (Users, Roles, Invitations, Audit log, each
//! shown to those who may open it) beside the page, and the signed-in user
//! every part of a page asks about, loaded once per page.
use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::{t, t_string, use_i18n};
use crate::model::auth::Me;
use crate::model::authz::Authority;
use crate::model::error::AppError;
use crate::server_fns::auth::current_user;

/// Who is signed in: one resource per page render, shared by the top bar
/// and the Admin pane.
#[derive(Clone, Copy)]
pub struct CurrentUser(pub Resource<Result<Option<Me>, AppError>>);

/// Loads the signed-in user once for the page being rendered.
pub fn provide_current_user() {
    provide_context(CurrentUser(Resource::new(|| (), |_| current_user())));
}

/// The page's signed-in user (see [`provide_current_user`]).
pub fn use_current_user() -> Resource<Result<Option<Me>, AppError>> {
    match use_context::<CurrentUser>() {
        Some(CurrentUser(user)) => user,
        None => Resource::new(|| (), |_| current_user()),
    }
}

/// The Admin sections a user may open, in the pane's order.
pub fn admin_sections(me: &Me) -> Vec<Section> {
    let has = |a: Authority| me.authorities.contains(&a);
    let mut sections = Vec::new();
    if has(Authority::ManageUsers) {
        sections.push(Section::Users);
    }
    if has(Authority::ManageRoles) {
        sections.push(Section::Roles);
    }
    if has(Authority::ManageUsers) {
        sections.push(Section::Invitations);
    }
    if has(Authority::ViewAuditLog) {
        sections.push(Section::AuditLog);
    }
    sections
}

/// One entry of the Admin pane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Users,
    Roles,
    Invitations,
    AuditLog,
}

impl Section {
    pub fn path(self) -> &'static str {
        match self {
            Section::Users => "/admin/users",
            Section::Roles => "/admin/roles",
            Section::Invitations => "/admin/invitations",
            Section::AuditLog => "/admin/audit",
        }
    }
}

/// The Admin pane beside the page's content.
#[component]
pub fn AdminArea(children: Children) -> impl IntoView {
    let i18n = use_i18n();
    let user = use_current_user();
    view! {
        <div class="admin-layout">
            <nav class="admin-pane" aria-label=t_string!(i18n, admin)>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let sections = match user.await {
                            Ok(Some(me)) => admin_sections(&me),
                            _ => Vec::new(),
                        };
                        view! {
                            <ul>
                                {sections.into_iter().map(|s| {
                                    let label = match s {
                                        Section::Users => t_string!(i18n, users),
                                        Section::Roles => t_string!(i18n, roles),
                                        Section::Invitations => t_string!(i18n, invitations),
                                        Section::AuditLog => t_string!(i18n, audit_log),
                                    };
                                    view! { <li><A href=s.path()>{label}</A></li> }
                                }).collect_view()}
                            </ul>
                        }
                    })}
                </Suspense>
            </nav>
            <div class="admin-content">{children()}</div>
        </div>
    }
}

/// `Admin` as the breadcrumb's first step, linking to the Admin area.
#[component]
pub fn AdminCrumb() -> impl IntoView {
    let i18n = use_i18n();
    view! { <li><A href="/admin">{t!(i18n, admin)}</A></li> }
}
