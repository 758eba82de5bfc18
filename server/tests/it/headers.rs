//! Security headers: every HTML page carries a Content-Security-Policy with
//! a nonce of its own that every script of the page carries; the other
//! answers carry at least `nosniff`.

use crate::common::{TestApp, TestResponse, app, as_admin, fresh_database_url, org};

/// The nonce the page's policy allows, checked against the whole policy.
fn policy_nonce(page: &TestResponse) -> String {
    let csp = page
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("no CSP on {}", page.body.get(..200).unwrap_or_default()));
    for directive in [
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "'wasm-unsafe-eval'",
    ] {
        assert!(csp.contains(directive), "{directive} missing: {csp}");
    }
    assert!(!csp.contains("'unsafe-inline'"), "{csp}");
    let start = csp.find("'nonce-").expect("a nonce in script-src") + "'nonce-".len();
    let len = csp[start..].find('\'').expect("closing quote");
    let nonce = csp[start..start + len].to_owned();
    assert!(nonce.len() >= 16, "a nonce of at least 96 bits: {nonce}");
    nonce
}

/// Every `<script …>` tag of `html`, with where it starts.
fn script_tags(html: &str) -> Vec<(usize, &str)> {
    html.match_indices("<script")
        .map(|(at, _)| {
            let end = html[at..].find('>').map_or(html.len(), |e| at + e + 1);
            (at, &html[at..end])
        })
        .collect()
}

/// The checks every HTML answer must pass; returns its nonce.
fn assert_page_headers(path: &str, page: &TestResponse) -> String {
    assert!(
        page.header("content-type")
            .is_some_and(|c| c.starts_with("text/html")),
        "{path}: not HTML ({})",
        page.status
    );
    let nonce = policy_nonce(page);
    assert_eq!(
        page.header("x-content-type-options"),
        Some("nosniff"),
        "{path}"
    );
    assert_eq!(
        page.header("referrer-policy"),
        Some("same-origin"),
        "{path}"
    );
    assert_eq!(
        page.header("cross-origin-opener-policy"),
        Some("same-origin"),
        "{path}"
    );
    let scripts = script_tags(&page.body);
    assert!(
        !scripts.is_empty(),
        "{path}: the hydration script is missing"
    );
    for (at, tag) in scripts {
        // leptos_i18n leaves an empty `<script></script>` (a hydration
        // placeholder): a script with no text is never run, so no policy
        // applies to it (HTML: "prepare the script element" stops there).
        if page.body[at..].starts_with("<script></script>") {
            continue;
        }
        let shown = page.body.get(at..at + 300).unwrap_or(tag);
        assert!(
            tag.contains(&format!("nonce=\"{nonce}\"")),
            "{path}: a script without this response's nonce: {shown}"
        );
    }
    nonce
}

#[tokio::test]
async fn every_page_carries_the_policy_and_its_scripts_the_nonce() {
    let app = app().await;
    let mut nonces = std::collections::HashSet::new();
    for path in [
        "/",
        "/login",
        "/register",
        "/settings",
        "/invite/no-such-invitation",
        "/no/such/page",
    ] {
        let page = app.get(path).await;
        nonces.insert(assert_page_headers(path, &page));
        assert!(
            page.header("strict-transport-security").is_none(),
            "no HSTS over plain HTTP"
        );
    }
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    for path in [
        "/",
        "/account",
        "/settings/integrations/public-api",
        "/settings/integrations/api-sets",
        "/admin/users",
        "/admin/roles",
        "/admin/audit",
        "/admin/invitations",
    ] {
        let page = admin.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        nonces.insert(assert_page_headers(path, &page));
    }
    assert_eq!(nonces.len(), 14, "a new nonce for every response");
}

#[tokio::test]
async fn the_same_page_twice_has_two_nonces() {
    let app = app().await;
    let first = assert_page_headers("/", &app.get("/").await);
    let second = assert_page_headers("/", &app.get("/").await);
    assert_ne!(first, second);
}

#[tokio::test]
async fn json_and_the_api_docs_carry_their_own_headers() {
    let app = app().await;
    let api = app.get("/api/v1/me").await;
    assert_eq!(api.status, 401);
    assert_eq!(api.header("x-content-type-options"), Some("nosniff"));
    assert!(
        api.header("content-security-policy")
            .is_some_and(|c| c.contains("default-src 'none'")),
        "{:?}",
        api.header("content-security-policy")
    );
    let spec = app.get("/api/v1/openapi.json").await;
    assert_eq!(spec.status, 200);
    assert_eq!(spec.header("x-content-type-options"), Some("nosniff"));

    let docs = app.get("/docs/").await;
    assert_eq!(docs.status, 200);
    let csp = docs.header("content-security-policy").expect("docs CSP");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"));
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert_eq!(docs.header("x-content-type-options"), Some("nosniff"));
    // Swagger UI loads its scripts from files, none inline, and asks no
    // outside validator.
    for (_, tag) in script_tags(&docs.body) {
        assert!(tag.contains("src="), "an inline script on /docs: {tag}");
    }
    let init = app.get("/docs/swagger-initializer.js").await;
    assert!(
        init.body.contains("\"validatorUrl\": \"none\"")
            || init.body.contains("\"validatorUrl\":\"none\""),
        "{}",
        init.body
    );
}

#[tokio::test]
async fn hsts_only_with_secure_cookies() {
    let (url, dir) = fresh_database_url().await;
    let mut config = server::config::Config::for_database(&url);
    config.secure_cookies = true;
    let server = server::build(&config).await.expect("server builds");
    let app = TestApp::from_server(server, config);
    let page = app.get("/").await;
    assert!(
        page.header("strict-transport-security")
            .is_some_and(|v| v.starts_with("max-age=")),
        "{:?}",
        page.header("strict-transport-security")
    );
    drop(app);
    drop(dir);
}

/// Pages go out compressed when the browser takes it, and are never stored
/// without asking again; key pages keep `no-store`; the API is not
/// compressed (its answers are small and the key check is the hot path).
#[tokio::test]
async fn pages_are_compressed_and_revalidated() {
    use axum::body::Body;
    use axum::http::Request;
    let app = app().await;
    let get = |path: &str, encoding: Option<&str>| {
        let mut request = Request::get(path).header("host", "keyhouse.test");
        if let Some(encoding) = encoding {
            request = request.header("accept-encoding", encoding);
        }
        request.body(Body::empty()).expect("request")
    };
    let plain = app.send(get("/login", None)).await;
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(plain.header("cache-control"), Some("no-cache"));
    for (accepts, sent) in [("gzip", "gzip"), ("br", "br"), ("br, gzip", "br")] {
        let page = app.send(get("/login", Some(accepts))).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.header("content-encoding"), Some(sent), "{accepts}");
        assert_eq!(page.header("cache-control"), Some("no-cache"));
    }
    let api = app
        .send(get("/api/v1/openapi.json", Some("br, gzip")))
        .await;
    assert_eq!(api.status, 200);
    assert_eq!(api.header("content-encoding"), None);

    // A page that shows a secret keeps no-store.
    let acme = org(&app, "admin@acme.example", "Acme").await;
    let mut admin = as_admin(&app, &acme);
    let r = admin
        .call("keys/create", &[("name", "Stored nowhere")])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("cache-control"), Some("no-store"));
}
