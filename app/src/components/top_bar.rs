//! The bar at the top of every page: product name, gear, user menu, language.
use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::language_switcher::LanguageSwitcher;
use crate::components::user_menu::UserMenu;
use crate::i18n::{t, t_string, use_i18n};

#[component]
pub fn TopBar() -> impl IntoView {
    let i18n = use_i18n();

    view! {
        <header class="top-bar">
            <A href="/" attr:class="brand">
                <span class="brand-mark" aria-hidden="true">"⌘"</span>
                <span>{t!(i18n, product_name)}</span>
            </A>
            <nav class="top-nav" aria-label=move || t_string!(i18n, main_navigation)>
                <A
                    href="/settings"
                    attr:class="icon-button"
                    attr:aria-label=move || t_string!(i18n, settings)
                    attr:title=move || t_string!(i18n, settings)
                >
                    <GearIcon />
                </A>
            </nav>
            <UserMenu />
            <LanguageSwitcher />
        </header>
    }
}

#[component]
fn GearIcon() -> impl IntoView {
    view! {
        <svg
            class="icon"
            aria-hidden="true"
            focusable="false"
            width="20"
            height="20"
            viewBox="0 0 24 24"
            fill="none"
            stroke="currentColor"
            stroke-width="2"
            stroke-linecap="round"
            stroke-linejoin="round"
        >
            <circle cx="12" cy="12" r="3" />
            <path d="M19.4 15a1.65 1.65 0 0 0 .33 1.82l.06.06a2 2 0 1 1-2.83 2.83l-.06-.06a1.65 1.65 0 0 0-1.82-.33 1.65 1.65 0 0 0-1 1.51V21a2 2 0 1 1-4 0v-.09a1.65 1.65 0 0 0-1-1.51 1.65 1.65 0 0 0-1.82.33l-.06.06a2 2 0 1 1-2.83-2.83l.06-.06a1.65 1.65 0 0 0 .33-1.82 1.65 1.65 0 0 0-1.51-1H3a2 2 0 1 1 0-4h.09a1.65 1.65 0 0 0 1.51-1 1.65 1.65 0 0 0-.33-1.82l-.06-.06a2 2 0 1 1 2.83-2.83l.06.06a1.65 1.65 0 0 0 1.82.33H9a1.65 1.65 0 0 0 1-1.51V3a2 2 0 1 1 4 0v.09a1.65 1.65 0 0 0 1 1.51 1.65 1.65 0 0 0 1.82-.33l.06-.06a2 2 0 1 1 2.83 2.83l-.06.06a1.65 1.65 0 0 0-.33 1.82V9a1.65 1.65 0 0 0 1.51 1H21a2 2 0 1 1 0 4h-.09a1.65 1.65 0 0 0-1.51 1z" />
        </svg>
    }
}
