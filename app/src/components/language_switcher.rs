//! English / Polski switch: a form posted to `/locale`, which sets the
//! cookie and redirects back. Once the page's islands run it is posted in
//! place like every form ([`crate::components::enhance`]): the page comes
//! back in the chosen language without a reload.
use leptos::prelude::*;
use leptos_i18n::Locale as _;
use leptos_router::hooks::use_location;

use crate::i18n::{LOCALE_COOKIE, Locale, t, t_string, td_string, use_i18n};

/// Cookie options shared by the i18n context and mirrored by the server's
/// `/locale` handler: site-wide, one year, Lax.
pub fn cookie_options() -> leptos_i18n::context::CookieOptions<Locale> {
    leptos_i18n::context::CookieOptions::default()
        .path("/")
        .max_age(365_i64 * 24 * 60 * 60 * 1000)
        .same_site(leptos_use::SameSite::Lax)
}

/// The name a language is shown under: always its own name for itself, so a
/// reader who does not know the current language still finds theirs.
fn endonym(locale: Locale) -> &'static str {
    match locale {
        Locale::en => td_string!(Locale::en, language_en),
        Locale::pl => td_string!(Locale::pl, language_pl),
    }
}

#[component]
pub fn LanguageSwitcher() -> impl IntoView {
    let i18n = use_i18n();
    let location = use_location();
    let next = format!(
        "{}{}",
        location.pathname.get_untracked(),
        location.search.get_untracked()
    );
    // Referenced so the cookie name stays in one place for server and client.
    let _ = LOCALE_COOKIE;
    let current = i18n.get_locale_untracked();
    let buttons = Locale::get_all()
        .iter()
        .map(|&locale| {
            view! {
                <button
                    type="submit"
                    name="locale"
                    value=locale.as_str()
                    lang=locale.as_str()
                    aria-pressed=(locale == current).to_string()
                >
                    {endonym(locale)}
                </button>
            }
        })
        .collect_view();
    view! {
        <form
            class="language-switcher"
            method="post"
            action="/locale"
            role="group"
            aria-label=t_string!(i18n, language)
        >
            <span class="visually-hidden">{t!(i18n, language)}</span>
            <input type="hidden" name="next" value=next />
            {buttons}
        </form>
    }
}
