//! A browser-like client over the router, and form encoding.
use axum::body::Body;
use axum::http::Request;

use super::{TestApp, TestResponse};

/// A browser-like client over the router: keeps the session cookie, comes
/// from a fixed socket address, and calls server functions as the hydrated
/// app does (`Accept: application/json`).
pub struct Client<'a> {
    pub app: &'a TestApp,
    pub cookie: Option<String>,
    pub peer: std::net::SocketAddr,
    pub headers: Vec<(String, String)>,
    /// Cookies other than the session's (name, value), as a browser keeps
    /// them.
    pub jar: Vec<(String, String)>,
}

impl<'a> Client<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Client {
            app,
            cookie: None,
            peer: std::net::SocketAddr::from(([192, 0, 2, 10], 40000)),
            headers: Vec::new(),
            jar: Vec::new(),
        }
    }

    pub fn with_ip(mut self, ip: [u8; 4]) -> Self {
        self.peer = std::net::SocketAddr::from((ip, 40000));
        self
    }

    pub async fn request(
        &mut self,
        mut builder: axum::http::request::Builder,
        body: String,
    ) -> TestResponse {
        builder = builder
            .header("host", "keyhouse.test")
            .header("user-agent", "keyhouse-tests/1.0");
        let cookies: Vec<String> = self
            .cookie
            .iter()
            .cloned()
            .chain(
                self.jar
                    .iter()
                    .map(|(name, value)| format!("{name}={value}")),
            )
            .collect();
        if !cookies.is_empty() {
            builder = builder.header("cookie", cookies.join("; "));
        }
        for (k, v) in &self.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let mut request = builder.body(Body::from(body)).expect("request");
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(self.peer));
        let response = self.app.send(request).await;
        for set in response.headers.get_all("set-cookie") {
            let set = set.to_str().unwrap_or_default();
            let pair = set.split(';').next().unwrap_or_default().to_owned();
            let gone = pair.ends_with('=') || set.contains("Max-Age=0");
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            if name == "keyhouse_session" {
                self.cookie = (!gone).then_some(pair.clone());
            } else {
                self.jar.retain(|(kept, _)| kept != name);
                if !gone {
                    self.jar.push((name.to_owned(), value.to_owned()));
                }
            }
        }
        response
    }

    /// Calls a server function with form-encoded arguments.
    pub async fn call(&mut self, endpoint: &str, form: &[(&str, &str)]) -> TestResponse {
        let body = form_encode(form);
        let builder = Request::post(format!("/rpc/{endpoint}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json");
        self.request(builder, body).await
    }

    pub async fn get(&mut self, path: &str) -> TestResponse {
        self.request(Request::get(path), String::new()).await
    }

    /// `/rpc/auth/me`: the signed-in user's JSON, or `null`.
    pub async fn me(&mut self) -> serde_json::Value {
        let response = self.call("auth/me", &[]).await;
        assert_eq!(response.status, 200, "{}", response.body);
        serde_json::from_str(&response.body).expect("json")
    }
}

pub fn form_encode(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
