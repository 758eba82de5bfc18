//! The page frame, health endpoints, language switch and 404, through the
//! real router over a fresh database.

use crate::common::app;
use axum::body::Body;
use axum::http::{Request, header};

#[tokio::test]
async fn healthz_and_readyz_answer() {
    let app = app().await;
    let health = app.get("/healthz").await;
    assert_eq!((health.status, health.body.as_str()), (200, "ok"));
    let ready = app.get("/readyz").await;
    assert_eq!((ready.status, ready.body.as_str()), (200, "ready"));
}

#[tokio::test]
async fn readyz_fails_when_the_database_is_gone() {
    let app = app().await;
    app.server
        .state
        .db
        .close_by_ref()
        .await
        .expect("close pool");
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, 503);
    assert_eq!(
        app.get("/healthz").await.status,
        200,
        "the process is still up"
    );
}

#[tokio::test]
async fn home_page_is_rendered_on_the_server() {
    let app = app().await;
    let page = app.get("/").await;
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .is_some_and(|c| c.starts_with("text/html"))
    );
    let body = &page.body;
    assert!(
        body.contains("<h1 id=\"home-title\""),
        "SSR heading missing"
    );
    assert!(body.contains("API keys for your organization, in one place"));
    assert!(body.contains("lang=\"en\""), "html lang set");
    assert!(
        body.contains("aria-label=\"Settings\""),
        "gear icon has a name"
    );
    assert!(
        body.contains("href=\"/settings\""),
        "gear icon links to settings"
    );
    assert!(body.contains(">English<") && body.contains(">Polski<"));
    // The bundle by a name carrying a hash of its contents.
    let hashed = body.match_indices("/pkg/keyhouse.").any(|(at, prefix)| {
        let rest = &body[at + prefix.len()..];
        rest.len() > 19
            && rest[..16].bytes().all(|b| b.is_ascii_hexdigit())
            && rest[16..].starts_with(".js")
    });
    assert!(hashed, "hydration script referenced");
}

#[tokio::test]
async fn language_cookie_renders_polish_on_the_server() {
    let app = app().await;
    let page = app
        .send(
            Request::get("/")
                .header(header::COOKIE, "i18n_pref_locale=pl")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("Klucze API Twojej organizacji w jednym miejscu")
    );
    assert!(page.body.contains("lang=\"pl\""));
    assert!(page.body.contains("aria-label=\"Ustawienia\""));
}

#[tokio::test]
async fn accept_language_is_honoured_without_a_cookie() {
    let app = app().await;
    let page = app
        .send(
            Request::get("/settings")
                .header(header::ACCEPT_LANGUAGE, "pl-PL,pl;q=0.9,en;q=0.5")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<h1>Ustawienia</h1>"), "{}", page.body);
}

#[tokio::test]
async fn settings_page_has_heading_and_breadcrumb() {
    let app = app().await;
    let page = app.get("/settings").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<h1>Settings</h1>"), "{}", page.body);
    assert!(page.body.contains("aria-label=\"Breadcrumb\""));
}

#[tokio::test]
async fn unknown_page_is_a_404_with_a_way_home() {
    let app = app().await;
    let page = app.get("/no/such/page").await;
    assert_eq!(page.status, 404);
    assert!(page.body.contains("Page not found"));
    assert!(page.body.contains("Go to the home page"));
}

fn locale_form(body: &str) -> Request<Body> {
    Request::post("/locale")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_owned()))
        .expect("request")
}

#[tokio::test]
async fn locale_form_sets_cookie_and_returns_to_the_page() {
    let app = app().await;
    let response = app.send(locale_form("locale=pl&next=%2Fsettings")).await;
    assert_eq!(response.status, 303);
    assert_eq!(response.header("location"), Some("/settings"));
    let cookie = response.header("set-cookie").expect("cookie set");
    assert!(cookie.starts_with("i18n_pref_locale=pl;"), "{cookie}");
    assert!(
        cookie.contains("Path=/") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
}

#[tokio::test]
async fn locale_form_refuses_unknown_language_and_foreign_redirects() {
    let app = app().await;
    let bad = app.send(locale_form("locale=xx&next=%2F")).await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.header("set-cookie").is_none(),
        "nothing changes on bad input"
    );

    let open_redirect = app
        .send(locale_form("locale=en&next=%2F%2Fevil.example"))
        .await;
    assert_eq!(open_redirect.status, 303);
    assert_eq!(open_redirect.header("location"), Some("/"));
}

#[tokio::test]
async fn site_files_are_named_by_their_contents_and_cached_for_a_year() {
    let site = tempfile::tempdir().expect("site dir");
    let pkg = site.path().join("pkg");
    std::fs::create_dir(&pkg).expect("pkg dir");
    for (name, body) in [
        ("keyhouse.js", "glue"),
        ("keyhouse.wasm", "wasm"),
        ("keyhouse.wasm.br", "wasm as brotli"),
        ("keyhouse.wasm.gz", "wasm as gzip"),
        ("keyhouse.css", "body{}"),
    ] {
        std::fs::write(pkg.join(name), body).expect("write a bundle file");
    }
    std::fs::write(site.path().join("favicon.svg"), "<svg/>").expect("write icon");
    let (url, _dir) = crate::common::fresh_database_url().await;
    let mut config = server::config::Config::for_database(&url);
    config.site_root = Some(site.path().to_path_buf());
    let server = server::build(&config).await.expect("server builds");
    let app = crate::common::TestApp::from_server(server, config);
    let get = |path: String, headers: &[(&str, &str)]| {
        let mut request = Request::get(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        app.send(request.body(Body::empty()).expect("request"))
    };

    // The page names the bundle by a hash of its contents.
    let page = app.get("/login").await;
    let name = page
        .body
        .split("/pkg/keyhouse.")
        .nth(1)
        .and_then(|rest| rest.get(..16))
        .expect("the page names the bundle")
        .to_owned();
    assert!(name.chars().all(|c| c.is_ascii_hexdigit()), "{name}");
    for ext in ["js", "wasm", "css"] {
        assert!(
            page.body.contains(&format!("/pkg/keyhouse.{name}.{ext}")),
            "{ext}"
        );
    }

    let wasm = format!("/pkg/keyhouse.{name}.wasm");
    let plain = get(wasm.clone(), &[]).await;
    assert_eq!((plain.status, plain.body.as_str()), (200, "wasm"));
    assert_eq!(plain.header("content-type"), Some("application/wasm"));
    assert_eq!(
        plain.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(plain.header("vary"), Some("accept-encoding"));
    let br = get(wasm.clone(), &[("accept-encoding", "gzip, deflate, br")]).await;
    assert_eq!((br.status, br.body.as_str()), (200, "wasm as brotli"));
    assert_eq!(br.header("content-encoding"), Some("br"));
    let gzip = get(wasm.clone(), &[("accept-encoding", "br;q=0, gzip")]).await;
    assert_eq!((gzip.status, gzip.body.as_str()), (200, "wasm as gzip"));
    assert_eq!(gzip.header("content-encoding"), Some("gzip"));
    assert_ne!(br.header("etag"), gzip.header("etag"));
    let etag = br.header("etag").expect("an etag").to_owned();
    let again = get(
        wasm,
        &[("accept-encoding", "br"), ("if-none-match", etag.as_str())],
    )
    .await;
    assert_eq!((again.status, again.body.as_str()), (304, ""));

    // The icon keeps its name and is asked again each time.
    let icon = app.get("/favicon.svg").await;
    assert_eq!((icon.status, icon.body.as_str()), (200, "<svg/>"));
    assert_eq!(icon.header("cache-control"), Some("no-cache"));
    let etag = icon.header("etag").expect("an etag").to_owned();
    let again = get("/favicon.svg".into(), &[("if-none-match", etag.as_str())]).await;
    assert_eq!(again.status, 304);

    // Unhashed or other names are the Not Found page, never a file.
    for path in [
        "/pkg/keyhouse.wasm",
        "/pkg/keyhouse.wasm.br",
        "/missing.svg",
        "/Cargo.toml",
    ] {
        let missing = app.get(path).await;
        assert_eq!(missing.status, 404, "{path}");
        assert!(
            missing.body.contains("<html"),
            "{path}: the page, not a file"
        );
    }
}

#[tokio::test]
async fn a_missing_site_root_stops_the_start_with_its_name() {
    let (url, _dir) = crate::common::fresh_database_url().await;
    let mut config = server::config::Config::for_database(&url);
    config.site_root = Some("/nonexistent/keyhouse-site".into());
    let err = server::build(&config).await.err().expect("no start");
    assert!(
        err.to_string().contains("/nonexistent/keyhouse-site"),
        "{err}"
    );
}

#[tokio::test]
async fn a_visitors_page_is_not_a_401_because_the_menu_asked_who_is_signed_in() {
    let app = app().await;
    for path in ["/", "/settings", "/login", "/register"] {
        let page = app.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(page.header("retry-after").is_none());
    }
}
