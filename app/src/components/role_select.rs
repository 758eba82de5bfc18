//! The organization's roles as a labelled `<select name="role_id">`,
//! Member chosen by default.
use leptos::prelude::*;

use crate::i18n::{t, use_i18n};
use crate::model::authz::BuiltinRole;
use crate::server_fns::users::role_options;

#[component]
pub fn RoleSelect(id: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    let roles = Resource::new(|| (), |_| role_options());
    view! {
        <div class="field">
            <label for=id>{t!(i18n, field_role)}</label>
            <select id=id name="role_id">
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        roles
                            .await
                            .unwrap_or_default()
                            .into_iter()
                            .map(|r| {
                                let member = r.name == BuiltinRole::Member.name();
                                view! { <option value=r.id.to_string() selected=member>{r.name}</option> }
                            })
                            .collect_view()
                    })}
                </Transition>
            </select>
        </div>
    }
}
