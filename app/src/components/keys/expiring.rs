//! The banner for the caller's own keys that stop working within 7 days,
//! on the key list and the home page.
use leptos::prelude::*;

use super::when;
use crate::i18n::{t, use_i18n};
use crate::model::keys::ExpiringKey;

#[component]
pub fn ExpiringBanner(keys: Vec<ExpiringKey>) -> impl IntoView {
    let i18n = use_i18n();
    (!keys.is_empty()).then(|| {
        let count = keys.len();
        view! {
            <section class="banner warning" aria-labelledby="expiring-title" data-testid="expiring-banner">
                <h2 id="expiring-title">{t!(i18n, expiring_title, count = count)}</h2>
                <ul>
                    {keys.into_iter().map(|k| view! {
                        <li>
                            <a href=format!("/settings/integrations/public-api/keys/{}", k.id)>{k.name}</a>
                            " · "
                            {t!(i18n, expiring_on, date = when(&k.expires_at))}
                        </li>
                    }).collect_view()}
                </ul>
                <p>{t!(i18n, expiring_hint)}</p>
            </section>
        }
    })
}
