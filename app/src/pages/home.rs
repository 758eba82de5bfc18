use leptos::prelude::*;

use crate::components::keys::ExpiringBanner;
use crate::i18n::{t, use_i18n};
use crate::server_fns::key_policy::expiring_keys;

/// `/`: what Keyhouse is.
#[component]
pub fn HomePage() -> impl IntoView {
    let i18n = use_i18n();
    // Signed in: the caller's keys about to stop working; signed out, or
    // without any: nothing.
    let expiring = Resource::new(|| (), |_| expiring_keys());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                expiring.await.ok().map(|keys| view! { <ExpiringBanner keys /> })
            })}
        </Transition>
        <section class="hero" aria-labelledby="home-title">
            <h1 id="home-title">{t!(i18n, home_title)}</h1>
            <p class="lead">{t!(i18n, home_lead)}</p>
        </section>
        <ul class="features" role="list">
            <li>
                <h2>{t!(i18n, home_feature_issue_title)}</h2>
                <p>{t!(i18n, home_feature_issue_body)}</p>
            </li>
            <li>
                <h2>{t!(i18n, home_feature_control_title)}</h2>
                <p>{t!(i18n, home_feature_control_body)}</p>
            </li>
            <li>
                <h2>{t!(i18n, home_feature_verify_title)}</h2>
                <p>{t!(i18n, home_feature_verify_body)}</p>
            </li>
        </ul>
    }
}
