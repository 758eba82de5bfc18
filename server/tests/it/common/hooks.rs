//! A local webhook receiver for the tests: records every POST with its
//! Standard Webhooks headers; answers 500 while told to fail.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;

/// What the receiving end got.
#[derive(Clone, Debug)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
}

/// A local endpoint recording every POST; answers 500 while `failing`.
pub struct Receiver {
    pub url: String,
    seen: Arc<Mutex<Vec<Received>>>,
    pub failing: Arc<AtomicBool>,
}

impl Receiver {
    pub fn seen(&self) -> Vec<Received> {
        self.seen.lock().expect("lock").clone()
    }
}

pub async fn receiver(failing: bool) -> Receiver {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let failing = Arc::new(AtomicBool::new(failing));
    let (s, f) = (seen.clone(), failing.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let (seen, failing) = (s.clone(), f.clone());
            async move {
                let header = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned()
                };
                seen.lock().expect("lock").push(Received {
                    id: header("webhook-id"),
                    timestamp: header("webhook-timestamp"),
                    signature: header("webhook-signature"),
                    body,
                });
                if failing.load(Ordering::SeqCst) {
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    axum::http::StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Receiver { url, seen, failing }
}
