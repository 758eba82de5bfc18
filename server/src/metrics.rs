//! `GET /metrics` for Prometheus, served on its own address
//! (`KEYHOUSE_METRICS_ADDR`, loopback by default), never on the public
//! router: what it tells (traffic, failures, pool use) is the operator's.
use app::backend::metrics;
use app::backend::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use sea_orm::DbBackend;
use std::net::SocketAddr;

/// `KEYHOUSE_METRICS_ADDR`: an address, or off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetricsAddr(pub Option<SocketAddr>);

pub(crate) fn parse_metrics_addr(value: &str) -> Result<MetricsAddr, String> {
    match value.trim() {
        "off" | "" => Ok(MetricsAddr(None)),
        addr => addr
            .parse()
            .map(|a| MetricsAddr(Some(a)))
            .map_err(|_| format!("not an address (ip:port) or off: {addr}")),
    }
}

/// The metrics router (its own listener; see `main.rs`).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(state)
}

async fn scrape(State(state): State<AppState>) -> impl IntoResponse {
    let (in_use, idle) = pool(&state);
    let now_ms = state.clock.now().timestamp_millis();
    let text = metrics::get().render(in_use, idle, now_ms);
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
}

/// The pool's connections in use and idle.
fn pool(state: &AppState) -> (i64, i64) {
    let (size, idle) = match state.db.get_database_backend() {
        DbBackend::Sqlite => {
            let pool = state.db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        DbBackend::Postgres => {
            let pool = state.db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => (0, 0),
    };
    let idle = i64::try_from(idle).unwrap_or(i64::MAX);
    (i64::from(size) - idle, idle)
}
