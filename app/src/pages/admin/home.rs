//! `/admin`: where the top bar's Admin leads; the pane beside it and here
//! lists the sections this user may open.
use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::admin_area::{Section, admin_sections, use_current_user};
use crate::components::list::ListError;
use crate::i18n::{t, t_string, use_i18n};
use crate::model::error::AppError;

#[component]
pub fn AdminPage() -> impl IntoView {
    let i18n = use_i18n();
    let user = use_current_user();
    view! {
        <nav class="breadcrumb" aria-label=t_string!(i18n, breadcrumb)>
            <ol><li aria-current="page">{t!(i18n, admin)}</li></ol>
        </nav>
        <h1>{t!(i18n, admin)}</h1>
        <p class="lead">{t!(i18n, admin_lead)}</p>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let me = match user.await {
                    Ok(Some(me)) => me,
                    Ok(None) => return view! { <ListError error=AppError::Unauthorized /> }.into_any(),
                    Err(error) => return view! { <ListError error /> }.into_any(),
                };
                let sections = admin_sections(&me);
                if sections.is_empty() {
                    return view! { <ListError error=AppError::Forbidden /> }.into_any();
                }
                view! {
                    <ul class="link-list card">
                        {sections.into_iter().map(|s| {
                            let (label, hint) = match s {
                                Section::Users => (t_string!(i18n, users), t_string!(i18n, admin_users_hint)),
                                Section::Roles => (t_string!(i18n, roles), t_string!(i18n, admin_roles_hint)),
                                Section::Invitations => (t_string!(i18n, invitations), t_string!(i18n, admin_invitations_hint)),
                                Section::AuditLog => (t_string!(i18n, audit_log), t_string!(i18n, admin_audit_hint)),
                            };
                            view! { <li><A href=s.path()>{label}</A><p class="hint">{hint}</p></li> }
                        }).collect_view()}
                    </ul>
                }
                .into_any()
            })}
        </Suspense>
    }
}
