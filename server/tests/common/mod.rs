//! Test harness: a fresh database per test (SQLite in a temp folder, or a new
//! PostgreSQL database when `KEYHOUSE_TEST_POSTGRES` names a server) and the
//! real router driven with `oneshot`.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::http::{Request, Response};
use http_body_util::BodyExt;
use sea_orm::{ConnectionTrait, Database};
use server::config::Config;
use tower::ServiceExt;

pub struct TestApp {
    pub server: server::Server,
    pub config: Config,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A database URL nobody else uses, created for this test.
pub async fn fresh_database_url() -> (String, Option<tempfile::TempDir>) {
    match std::env::var("KEYHOUSE_TEST_POSTGRES") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = format!(
                "kh_test_{}_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::SeqCst),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.subsec_nanos())
                    .unwrap_or(0)
            );
            let admin = Database::connect(&admin_url)
                .await
                .expect("connect to test PostgreSQL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            let base = admin_url
                .rsplit_once('/')
                .map(|(b, _)| b)
                .unwrap_or(&admin_url);
            (format!("{base}/{name}"), None)
        }
        _ => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}/keyhouse.db", dir.path().display());
            (url, Some(dir))
        }
    }
}

pub async fn app() -> TestApp {
    let (url, dir) = fresh_database_url().await;
    let config = Config::for_database(&url);
    let server = server::build(&config).await.expect("server builds");
    TestApp {
        server,
        config,
        _dir: dir,
    }
}

pub struct TestResponse {
    pub status: u16,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl TestResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub async fn read(response: Response<Body>) -> TestResponse {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    // `<!>` are Leptos' hydration markers; the tests read the text around them.
    let body = String::from_utf8_lossy(&bytes).replace("<!>", "");
    TestResponse {
        status,
        headers,
        body,
    }
}

impl TestApp {
    pub fn from_server(server: server::Server, config: Config) -> TestApp {
        TestApp {
            server,
            config,
            _dir: None,
        }
    }

    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        let response = self
            .server
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        read(response).await
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.send(Request::get(path).body(Body::empty()).expect("request"))
            .await
    }
}
