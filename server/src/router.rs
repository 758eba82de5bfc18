//! Router assembly: health, the language form, the Leptos pages and server
//! functions, static files; sessions and request tracing around them all.
use app::backend::{session_store::SeaOrmSessionStore, state::AppState};
use app::{App, shell};
use axum::{
    Router,
    http::Request,
    routing::{get, post},
};
use leptos::prelude::{provide_context, use_context};
use std::sync::OnceLock;

use axum::http::{HeaderValue, header};
use leptos_axum::{
    AxumRouteListing, LeptosRoutes, generate_route_list, render_app_to_stream_in_order_with_context,
};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};

use crate::config::Config;
use crate::site_files::SiteFiles;
use crate::{api, guard_layers, health, locale, security_headers};

pub use app::backend::session_store::SESSION_COOKIE;

/// Session cookie: HttpOnly, SameSite=Lax, Secure when configured (HTTPS),
/// ending after the configured idle time.
pub fn session_layer(
    sessions: SeaOrmSessionStore,
    config: &Config,
) -> SessionManagerLayer<SeaOrmSessionStore> {
    SessionManagerLayer::new(sessions)
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.secure_cookies)
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(i64::from(
            config.session_idle_minutes,
        ))))
}

/// The route list, generated once per process. Generating it renders the app
/// with resource loading suppressed through a process-wide flag; a resource
/// first polled by a concurrent request meanwhile would never resolve
/// (leptos-rs/leptos#4773). Once, at start, before serving, is safe; the
/// integration tests build many routers in parallel, so they share this one.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn router(
    state: AppState,
    sessions: SeaOrmSessionStore,
    config: &Config,
    site: SiteFiles,
) -> Router {
    let routes = route_list();
    let session_layer = session_layer(sessions, config);

    // Spans carry the path only: a query string may hold something secret,
    // and so does an invitation link's last segment.
    let trace = TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
        tracing::info_span!("request", method = %request.method(), path = %loggable_path(request.uri().path()))
    });

    // What every render sees: the state, one principal per request, and this
    // response's CSP nonce
    // (put in the request by `security_headers::apply`), which Leptos then
    // writes on each of its scripts.
    let context = {
        let state = state.clone();
        move || {
            provide_context(state.clone());
            provide_context(app::backend::auth::session::RequestPrincipal::default());
            if let Some(nonce) = use_context::<axum::http::request::Parts>()
                .as_ref()
                .and_then(security_headers::nonce_of)
            {
                provide_context(nonce);
            }
        }
    };

    // The pages and server functions: sessions, and no cross-site writes.
    // Any other path is the app's Not Found page (never a file from disk).
    let app = {
        let options = state.leptos_options.clone();
        move || shell(options.clone())
    };
    let pages = Router::new()
        .route("/locale", post(locale::set_locale))
        .leptos_routes_with_context(&state, routes, context.clone(), app.clone())
        .fallback(render_app_to_stream_in_order_with_context(context, app))
        .layer(session_layer)
        .layer(axum::middleware::from_fn(guard_layers::same_origin_only))
        // Pages are never stored without asking again (key pages say
        // `no-store` themselves), and go out compressed.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        .layer(compression());

    // Health and the HTTP API carry no cookies: their credentials are in
    // headers (no session to load, nothing a browser sends by itself).
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(api::routes(&state.db))
        .merge(site.router())
        .merge(pages)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard_layers::request_meta,
        ))
        .layer(axum::middleware::from_fn_with_state(
            security_headers::Policy::new(config.secure_cookies),
            security_headers::apply,
        ))
        .layer(trace)
        .with_state(state)
}

/// Brotli or gzip, whichever the browser takes, at a level cheap enough for
/// every page (4; the bundle is compressed at the build, at the highest).
fn compression() -> CompressionLayer {
    CompressionLayer::new()
        .br(true)
        .gzip(true)
        .quality(CompressionLevel::Precise(4))
}

/// The request path as logs may show it: invitation tokens are cut off.
pub fn loggable_path(path: &str) -> &str {
    if path.starts_with("/invite/") {
        "/invite/…"
    } else {
        path
    }
}
