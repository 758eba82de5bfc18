use leptos::prelude::*;

use crate::i18n::{t, use_i18n};

/// `/`: what Keyhouse is.
#[component]
pub fn HomePage() -> impl IntoView {
    let i18n = use_i18n();

    view! {
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
