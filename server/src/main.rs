//! `keyhouse`: serves the portal and its API; `keyhouse backup FILE` copies
//! its database; `keyhouse check-key` tells well-formed keys.
mod backup;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use server::config::{Command, Config};

/// mimalloc instead of the system allocator: page renders allocate many
/// small objects, and glibc's malloc took a third of their CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let started = Instant::now();
    let config = Config::from_env_or_exit();
    match &config.command {
        Some(Command::Backup { file }) => return backup::run(&config.database_url, file).await,
        Some(Command::CheckKey { keys }) => return server::check_key::run(keys),
        None => {}
    }
    server::logging::init(&config);

    let server = match server::build(&config).await {
        Ok(server) => server,
        Err(err) => {
            eprintln!("keyhouse: {err}");
            return ExitCode::FAILURE;
        }
    };
    server::spawn_session_cleanup(
        server.state.db.clone(),
        Duration::from_secs(config.session_cleanup_seconds),
    );
    server::spawn_webhook_sender(server.state.clone(), Duration::from_secs(1));
    let usage_flush = server::spawn_usage_flush(server.state.clone(), Duration::from_secs(2));
    // PostgreSQL: other instances' key changes clear this one's key cache.
    let key_listener =
        app::backend::keys::listener::spawn(server.state.key_cache.clone(), &config.database_url);

    // Prometheus on its own address, never the public one. A second
    // instance on one machine finds it taken: it says so and serves on.
    if config.metrics_addr.0 == Some(config.addr) {
        eprintln!(
            "keyhouse: KEYHOUSE_METRICS_ADDR must differ from KEYHOUSE_ADDR ({})",
            config.addr
        );
        return ExitCode::FAILURE;
    }
    if let Some(metrics_addr) = config.metrics_addr.0 {
        if !metrics_addr.ip().is_loopback() {
            tracing::warn!(
                "metrics on {metrics_addr} are not on loopback: anyone who reaches it reads them (no sign-in)"
            );
        }
        match tokio::net::TcpListener::bind(metrics_addr).await {
            Ok(listener) => {
                tracing::info!("metrics on http://{metrics_addr}/metrics");
                let router = server::metrics::router(server.state.clone());
                tokio::spawn(async move {
                    if let Err(err) = axum::serve(listener, router).await {
                        tracing::warn!(error = %err, "the metrics listener stopped");
                    }
                });
            }
            Err(err) => tracing::warn!(error = %err, "cannot serve metrics on {metrics_addr}"),
        }
    }

    let listener = match tokio::net::TcpListener::bind(config.addr).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("keyhouse: cannot listen on {}: {err}", config.addr);
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().unwrap_or(config.addr);
    tracing::info!(
        database = %app::backend::db::redact_url(&config.database_url),
        startup_ms = started.elapsed().as_millis() as u64,
        "keyhouse listening on http://{addr}"
    );

    let service = server
        .router
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    // Returns once no request is in flight any more (graceful: the listener
    // is closed first, then open connections finish their requests).
    let served = axum::serve(listener, service)
        .with_graceful_shutdown(shutdown_signal())
        .await;
    // Only now: every use of a key has been counted. The task finishes a
    // write it may be in the middle of, then writes the last batch.
    usage_flush.stop().await;
    key_listener.stop().await;
    if let Err(err) = served {
        eprintln!("keyhouse: server error: {err}");
        return ExitCode::FAILURE;
    }
    tracing::info!("keyhouse stopped");
    ExitCode::SUCCESS
}

/// Resolves on SIGINT or SIGTERM; in-flight requests then finish. The
/// handlers are installed now, before the server answers anything: axum
/// polls the returned future on a task of its own, which may run only after
/// the first requests, and a SIGTERM before then would kill the process
/// with no last usage write.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let install = |kind: SignalKind, name: &'static str| match signal(kind) {
        Ok(stream) => Some(stream),
        Err(err) => {
            tracing::warn!(error = %err, "cannot listen for {name}");
            None
        }
    };
    let interrupt = install(SignalKind::interrupt(), "SIGINT");
    let terminate = install(SignalKind::terminate(), "SIGTERM");
    async move {
        let wait = |stream: Option<tokio::signal::unix::Signal>| async move {
            match stream {
                Some(mut stream) => {
                    stream.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = wait(interrupt) => {},
            () = wait(terminate) => {},
        }
        tracing::info!("shutting down");
    }
}
