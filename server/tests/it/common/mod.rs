//! Test harness: a fresh database per test (SQLite in a temp folder, or a new
//! PostgreSQL database when `KEYHOUSE_TEST_POSTGRES` names a server) and the
//! real router driven with `oneshot`.
#![allow(dead_code)]

pub mod api;
mod client;
pub mod grants;
pub mod hooks;
pub mod keys;
pub mod logs;
pub mod smtp;

pub use client::{Client, form_encode};

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

/// Whether the tests run against PostgreSQL (`KEYHOUSE_TEST_POSTGRES`); if
/// not, says that `test` needs it (the PostgreSQL pass of `make test` runs
/// it), for a test about several instances on one PostgreSQL.
pub fn on_postgres(test: &str) -> bool {
    let set = std::env::var("KEYHOUSE_TEST_POSTGRES").is_ok_and(|url| !url.is_empty());
    if !set {
        eprintln!("{test}: needs PostgreSQL (KEYHOUSE_TEST_POSTGRES); skipped");
    }
    set
}

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

pub const GOOD_PASSWORD: &str = "correct horse battery staple";

pub fn registration<'a>(email: &'a str, org: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("name", "Ada Lovelace"),
        ("email", email),
        ("password", GOOD_PASSWORD),
        ("password_confirm", GOOD_PASSWORD),
        ("location_name", org),
    ]
}

pub async fn app_with_clock() -> (TestApp, std::sync::Arc<app::backend::clock::ManualClock>) {
    let (url, dir) = fresh_database_url().await;
    let config = Config::for_database(&url);
    let clock = std::sync::Arc::new(app::backend::clock::ManualClock::default());
    let server = server::build_with_clock(&config, clock.clone())
        .await
        .expect("server builds");
    (
        TestApp {
            server,
            config,
            _dir: dir,
        },
        clock,
    )
}

/// A fresh database, a manual clock, and a server built over them with
/// `configure` applied to its config. Settings reach the server through its
/// config, never through the environment: every test shares one process.
pub async fn app_configured(
    configure: impl FnOnce(&mut Config),
) -> (TestApp, std::sync::Arc<app::backend::clock::ManualClock>) {
    let (url, dir) = fresh_database_url().await;
    let mut config = Config::for_database(&url);
    configure(&mut config);
    let clock = std::sync::Arc::new(app::backend::clock::ManualClock::default());
    let server = server::build_with_clock(&config, clock.clone())
        .await
        .expect("server builds");
    (
        TestApp {
            server,
            config,
            _dir: dir,
        },
        clock,
    )
}

// Organizations and their members, for permission tests.
use app::backend::entities::{membership, role, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

pub struct Org {
    pub admin_cookie: String,
    pub roles: Vec<role::Model>,
    pub id: i64,
}

pub fn role_id(org: &Org, name: &str) -> i64 {
    org.roles
        .iter()
        .find(|r| r.name == name)
        .map(|r| r.id)
        .expect("role")
}

pub async fn org(app: &TestApp, email: &str, name: &str) -> Org {
    let mut client = Client::new(app);
    let r = client
        .call("auth/register", &registration(email, name))
        .await;
    assert!(r.status < 400, "{}", r.body);
    let admin = user::Entity::find()
        .filter(user::Column::Username.eq(email))
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("admin");
    let m = membership::Entity::find()
        .filter(membership::Column::UserId.eq(admin.id))
        .one(&app.server.state.db)
        .await
        .expect("q")
        .expect("membership");
    let roles = role::Entity::find()
        .filter(role::Column::OrganizationId.eq(m.organization_id))
        .all(&app.server.state.db)
        .await
        .expect("roles");
    Org {
        admin_cookie: client.cookie.expect("cookie"),
        roles,
        id: m.organization_id,
    }
}

pub async fn signed_in<'a>(app: &'a TestApp, login: &str) -> Client<'a> {
    let mut client = Client::new(app);
    let r = client
        .call(
            "auth/sign-in",
            &[("login", login), ("password", GOOD_PASSWORD)],
        )
        .await;
    assert!(r.status < 400, "{login}: {}", r.body);
    client
}

pub fn as_admin<'a>(app: &'a TestApp, org: &Org) -> Client<'a> {
    let mut c = Client::new(app);
    c.cookie = Some(org.admin_cookie.clone());
    c
}

pub async fn create_bot(app: &TestApp, org: &Org, username: &str, role: i64) {
    let role = role.to_string();
    let r = as_admin(app, org)
        .call(
            "users/create-programmatic",
            &[
                ("username", username),
                ("name", ""),
                ("password", GOOD_PASSWORD),
                ("role_id", &role),
            ],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
}

/// A custom role of `org` named `name` with `authorities`.
pub async fn custom_role(
    app: &TestApp,
    org: &Org,
    name: &str,
    authorities: &[app::model::authz::Authority],
) -> i64 {
    use app::backend::entities::role_authority;
    use sea_orm::{ActiveModelTrait, Set};
    let role = role::ActiveModel {
        organization_id: Set(org.id),
        name: Set(name.into()),
        builtin: Set(false),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.server.state.db)
    .await
    .expect("role");
    for authority in authorities {
        role_authority::ActiveModel {
            role_id: Set(role.id),
            authority: Set(authority.as_str().into()),
        }
        .insert(&app.server.state.db)
        .await
        .expect("authority");
    }
    role.id
}
