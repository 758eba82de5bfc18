//! "Keys that outlive their owner" on a departed member's User Account
//! Details (Manage All API Keys): their keys, Owner inactive, go to another
//! active member who holds Manage User API Key, in one post. Disable and
//! Delete stay with the key list's own (bulk) actions below.
use leptos::prelude::*;

use crate::components::form::{FormError, problem_message, use_form_errors};
use crate::i18n::{t, use_i18n};
use crate::model::notice::Notice;
use crate::model::validation::Field;
use crate::server_fns::keys::{TransferKeys, transfer_form};

#[component]
pub fn TransferSection(#[prop(into)] username: String) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<TransferKeys>::new();
    let from = username.clone();
    let form = Resource::new(
        move || action.version().get(),
        move |_| transfer_form(username.clone()),
    );
    let errors = use_form_errors(action);
    let told = crate::server_fns::notice::take() == Some(Notice::KeysTransferred);
    let done = move || told || action.value().with(|v| matches!(v, Some(Ok(_))));
    view! {
        <Transition fallback=|| ()>
            {move || {
                let from = from.clone();
                Suspend::new(async move {
                    let form = form.await.ok().flatten();
                    let notice = move || done().then(|| view! { <p class="notice" role="status">{t!(i18n, keys_transferred)}</p> });
                    let Some(form) = form else { return view! { {notice} }.into_any() };
                    let body = if form.targets.is_empty() {
                        view! { <p class="hint">{t!(i18n, transfer_none)}</p> }.into_any()
                    } else {
                        view! {
                            <ActionForm action=action attr:aria-labelledby="transfer-title">
                                <input type="hidden" name="from" value=from.clone() />
                                <FormError error=errors.error />
                                <div class="field">
                                    <label for="transfer-to">{t!(i18n, field_transfer_to)}</label>
                                    <select
                                        id="transfer-to"
                                        name="to"
                                        aria-invalid=move || errors.problem(Field::Username).map(|_| "true")
                                    >
                                        {form.targets.iter().map(|t| {
                                            let label = if t.name.is_empty() || t.name == t.username { t.username.clone() } else { format!("{} ({})", t.name, t.username) };
                                            view! { <option value=t.username.clone()>{label}</option> }
                                        }).collect_view()}
                                    </select>
                                    {move || errors.problem(Field::Username).map(|p| view! { <p class="field-error">{problem_message(i18n, p)}</p> })}
                                </div>
                                <button type="submit" class="primary">{t!(i18n, transfer_keys)}</button>
                            </ActionForm>
                        }
                        .into_any()
                    };
                    view! {
                        <section class="card" aria-labelledby="transfer-title">
                            <h2 id="transfer-title">{t!(i18n, transfer_title)}</h2>
                            <p>{t!(i18n, transfer_lead, count = form.keys)}</p>
                            {notice}
                            {body}
                        </section>
                    }
                    .into_any()
                })
            }}
        </Transition>
    }
}
