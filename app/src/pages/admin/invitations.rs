use leptos::prelude::*;

use crate::components::admin_area::AdminCrumb;
use crate::components::form::{FormError, problem_message, use_form_errors};
use crate::components::role_select::RoleSelect;
use crate::i18n::{t, t_string, use_i18n};
use crate::model::notice::Notice;
use crate::model::validation::Field;
use crate::server_fns::invitations::{CreateInvitation, RevokeInvitation, list_invitations};
use crate::server_fns::notice;

/// `/admin/invitations`: invite by e-mail or phone number, with a role.
#[component]
pub fn InvitationsPage() -> impl IntoView {
    let i18n = use_i18n();
    let create = ServerAction::<CreateInvitation>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
    let pending = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_invitations(),
    );
    let errors = use_form_errors(create);
    // The new invitation's link, once, after the form's redirect.
    let link = match notice::take() {
        Some(Notice::InvitationCreated(path)) => {
            notice::no_store();
            Some(format!("{}{path}", crate::server_fns::instance_url()))
        }
        _ => None,
    };

    view! {
        <nav class="breadcrumb" aria-label=move || t_string!(i18n, breadcrumb)>
            <ol><AdminCrumb /><li aria-current="page">{t!(i18n, invitations)}</li></ol>
        </nav>
        <h1>{t!(i18n, invitations)}</h1>
        <section class="card" aria-labelledby="invite-title">
            <h2 id="invite-title">{t!(i18n, invite_user)}</h2>
            <ActionForm action=create>
                <FormError error=errors.error />
                <div class="field">
                    <label for="invite-contact">{t!(i18n, field_contact)}</label>
                    <input id="invite-contact" name="contact" required maxlength=254 autocomplete="off"
                        aria-describedby="invite-contact-hint invite-contact-error"
                        aria-invalid=move || errors.problem(Field::Contact).is_some().then_some("true") />
                    <p class="hint" id="invite-contact-hint">{t!(i18n, contact_hint)}</p>
                    {move || errors.problem(Field::Contact).map(|p| {
                        view! { <p class="field-error" id="invite-contact-error">{problem_message(i18n, p)}</p> }
                    })}
                </div>
                <RoleSelect id="invite-role" />
                <button type="submit" class="primary">{t!(i18n, create_invitation)}</button>
            </ActionForm>
            {link.map(|link| view! {
                <div class="notice-box" role="status">
                    <p>{t!(i18n, invitation_link_lead)}</p>
                    <label for="invite-link">{t!(i18n, invitation_link)}</label>
                    <input id="invite-link" readonly value=link data-testid="invitation-link" />
                </div>
            })}
        </section>
        <section class="card" aria-labelledby="pending-title">
            <h2 id="pending-title">{t!(i18n, pending_invitations)}</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match pending.await {
                        Ok(list) if list.is_empty() => view! { <p class="empty">{t!(i18n, no_invitations)}</p> }.into_any(),
                        Ok(list) => view! {
                            <table class="data-table">
                                <thead><tr>
                                    <th scope="col">{t!(i18n, field_contact)}</th>
                                    <th scope="col">{t!(i18n, col_role)}</th>
                                    <th scope="col">{t!(i18n, col_expires)}</th>
                                    <th scope="col"><span class="visually-hidden">{t!(i18n, col_actions)}</span></th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|i| view! {
                                        <tr>
                                            <td>{i.contact.clone()}</td>
                                            <td>{i.role.clone()}</td>
                                            <td>{i.expires_at.chars().take(10).collect::<String>()}</td>
                                            <td>
                                                <ActionForm action=revoke>
                                                    <input type="hidden" name="id" value=i.id.to_string() />
                                                    <button type="submit" class="link-button"
                                                        aria-label=format!("{} {}", t_string!(i18n, revoke), i.contact)>
                                                        {t!(i18n, revoke)}
                                                    </button>
                                                </ActionForm>
                                            </td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(err) => view! { <FormError error=Some(err) /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
