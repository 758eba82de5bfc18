//! The document shell and the router: the frame every page sits in.
use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{Outlet, ParentRoute, Route, Router, Routes},
    path,
};

use crate::components::admin_area::{AdminArea, provide_current_user};
use crate::components::hydration::HydrationMark;
use crate::components::top_bar::TopBar;
use crate::i18n::{I18nContextProvider, t, t_string, use_i18n};
use crate::pages::account::AccountPage;
use crate::pages::admin::{
    audit::AuditPage, home::AdminPage, invitations::InvitationsPage,
    new_programmatic_user::NewProgrammaticUserPage, roles::RolesPage,
    user_details::UserDetailsPage, users::UsersPage,
};
use crate::pages::integrations::{
    IntegrationsPage, api_sets::ApiSetsPage, key_details::KeyDetailsPage,
    key_policy::KeyPolicyPage, public_api::PublicApiPage, webhook_details::WebhookDetailsPage,
    webhooks::WebhooksPage,
};
use crate::pages::invite::InvitePage;
use crate::pages::{
    error_page::ErrorPage, home::HomePage, login::LoginPage, not_found::NotFound,
    register::RegisterPage, settings::SettingsPage,
};

/// The HTML document rendered by the server around [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The bundle's files are named by their contents (`keyhouse.<hash>`,
    // the server's `site_files`): the stylesheet shares the name.
    let stylesheet = format!("/{}/{}.css", options.site_pkg_dir, options.output_name);
    view! {
        <!DOCTYPE html>
        <html>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <link id="leptos" rel="stylesheet" href=stylesheet />
                <AutoReload options=options.clone() />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <I18nContextProvider cookie_options=crate::components::language_switcher::cookie_options()>
            <Router>
                <Frame />
            </Router>
        </I18nContextProvider>
    }
}

/// Top bar, main region and footer; the routed page goes in the middle.
#[component]
fn Frame() -> impl IntoView {
    let i18n = use_i18n();
    provide_current_user();

    // leptos_meta renders <title> after the page, outside this request's
    // reactive arena (leptos_integration_utils 0.8.9, `inject_meta_context`):
    // a signal read there finds another request's arena, or none, and
    // panicked under concurrent load. So the locale is read now, during the
    // render (the page is rendered on the server only).
    let title = leptos::text_prop::TextProp::from(t_string!(i18n, product_name).to_string());

    view! {
        <Title text=title />
        <a class="skip-link" href="#main">{t!(i18n, skip_to_content)}</a>
        <TopBar />
        <main id="main" tabindex="-1">
            <ErrorBoundary fallback=|_errors| view! { <ErrorPage /> }>
                // Async: the page is sent once every resource (e.g. the user
                // menu) has resolved, so it is complete without JavaScript;
                // out-of-order streaming would leave it in a <template>.
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/settings") view=SettingsPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/settings/integrations")
                        view=IntegrationsPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/settings/integrations/public-api")
                        view=PublicApiPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/settings/integrations/public-api/keys/:id")
                        view=KeyDetailsPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/settings/integrations/api-sets")
                        view=ApiSetsPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/settings/integrations/key-policy")
                        view=KeyPolicyPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/settings/integrations/webhooks")
                        view=WebhooksPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/settings/integrations/webhooks/:id")
                        view=WebhookDetailsPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/register") view=RegisterPage ssr=SsrMode::Async />
                    <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async />
                    <Route path=path!("/invite/:token") view=InvitePage ssr=SsrMode::Async />
                    // The Admin area: every page beside its left pane.
                    <ParentRoute path=path!("/admin") view=AdminLayout ssr=SsrMode::Async>
                        <Route path=path!("") view=AdminPage ssr=SsrMode::Async />
                        <Route path=path!("users") view=UsersPage ssr=SsrMode::Async />
                        <Route path=path!("users/:username") view=UserDetailsPage ssr=SsrMode::Async />
                        <Route
                            path=path!("programmatic-users/new")
                            view=NewProgrammaticUserPage
                            ssr=SsrMode::Async
                        />
                        <Route path=path!("roles") view=RolesPage ssr=SsrMode::Async />
                        <Route path=path!("invitations") view=InvitationsPage ssr=SsrMode::Async />
                        <Route path=path!("audit") view=AuditPage ssr=SsrMode::Async />
                    </ParentRoute>
                </Routes>
            </ErrorBoundary>
        </main>
        <footer class="footer">
            <p>{t!(i18n, footer_text)}</p>
        </footer>
        // Last: it runs when every island before it has.
        <HydrationMark />
    }
}

/// The Admin area's pages, beside the Admin pane.
#[component]
fn AdminLayout() -> impl IntoView {
    view! {
        <AdminArea>
            <Outlet />
        </AdminArea>
    }
}
