//! Helpers every server function uses on the server.
use axum::http::{HeaderValue, header, request::Parts};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

use crate::backend::auth::guard;
use crate::backend::auth::operation::{Caller, Operation};
use crate::backend::auth::session::Principal;
use crate::backend::cookies;
use crate::backend::keys::handover;
use crate::backend::request_meta::RequestMeta;
use crate::backend::state::{AppState, app_state};
use crate::model::error::AppError;
pub use crate::model::error::{is_form_post, respond as fail};
use crate::model::keys::GeneratedKey;
use crate::model::notice::Notice;

/// What a server function works with once the guard has let it in.
pub struct Call {
    pub state: AppState,
    pub who: Principal,
    pub meta: RequestMeta,
}

/// A server function: the one guard for `op`, then `body` with the state,
/// the principal and the request's meta; a failure gets its HTTP status.
pub async fn call<T, F, Fut>(op: Operation, body: F) -> Result<T, AppError>
where
    F: FnOnce(Call) -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    async {
        let state = app_state()?;
        let who = guard::session(&state, &guard::current_session().await?, op.need).await?;
        let meta = request_meta().await;
        body(Call { state, who, meta }).await
    }
    .await
    .map_err(fail)
}

/// What a server function open to anyone works with: the visitor's
/// session (perhaps signed in), the state and the request's meta.
pub struct Visit {
    pub state: AppState,
    pub session: tower_sessions::Session,
    pub meta: RequestMeta,
}

/// A server function open to anyone (`op` must say so): `body` with the
/// session, the state and the request's meta; a failure gets its status.
pub async fn visit<T, F, Fut>(op: Operation, body: F) -> Result<T, AppError>
where
    F: FnOnce(Visit) -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    async {
        if op.need.caller != Caller::Anyone {
            return Err(AppError::internal(format!(
                "{} is not open to anyone",
                op.name
            )));
        }
        let state = app_state()?;
        let session = guard::current_session().await?;
        let meta = request_meta().await;
        body(Visit {
            state,
            session,
            meta,
        })
        .await
    }
    .await
    .map_err(fail)
}

/// The request's client IP and user agent, set by the server's middleware.
pub async fn request_meta() -> RequestMeta {
    leptos_axum::extract::<axum::Extension<RequestMeta>>()
        .await
        .map(|axum::Extension(meta)| meta)
        .unwrap_or_default()
}

/// This instance's address as the browser reached it (`Host`, and
/// `X-Forwarded-Proto: https` from a proxy), for the configurations the
/// Public API page hands out; `http://127.0.0.1:3000` when the request's
/// host is missing or not a plain host name and port.
pub fn instance_url() -> String {
    let Some(parts) = use_context::<Parts>() else {
        return "http://127.0.0.1:3000".to_owned();
    };
    let header = |name: header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .unwrap_or_default()
            .to_owned()
    };
    let host = header(header::HOST);
    let scheme = if header(header::HeaderName::from_static("x-forwarded-proto"))
        .eq_ignore_ascii_case("https")
    {
        "https"
    } else {
        "http"
    };
    let url = format!("{scheme}://{host}");
    if crate::proxy_config::url_ok(&url) && !host.contains('/') {
        url
    } else {
        "http://127.0.0.1:3000".to_owned()
    }
}

/// Marks the response as not to be stored by any cache: it carries a secret
/// shown once.
pub fn no_store() {
    if let Some(response) = use_context::<ResponseOptions>() {
        response.insert_header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// Gives the browser the ticket of a key waiting in the hand-over.
pub fn give_handover_ticket(state: &AppState, ticket: &handover::Ticket) {
    set_cookie(&ticket.cookie(state.settings.secure_cookies));
}

/// The key handed over to this browser for the caller, if one waits: each
/// ticket the browser sent is tried, and the cookie removed once one opened
/// a key (it is worthless after that).
/// `webhook`: the page takes a webhook's signing secret, not an API key;
/// a hand-over of the other kind is left for its own page.
pub async fn take_handed_over(
    call: &Call,
    webhook: bool,
) -> Result<Option<GeneratedKey>, AppError> {
    use sea_orm::TransactionTrait;
    let Some(parts) = use_context::<Parts>() else {
        return Ok(None);
    };
    let secure = call.state.settings.secure_cookies;
    let tickets = handover::tickets_in(&parts.headers, secure);
    let (user, org) = (call.who.user.id, call.who.organization.id);
    for ticket in tickets {
        let now = call.state.clock.now();
        let txn = call.state.db.begin().await?;
        match handover::take(&txn, user, org, ticket, now).await? {
            Some(key) if key.webhook == webhook => {
                txn.commit().await?;
                set_cookie(&handover::clear_cookie(secure));
                return Ok(Some(key));
            }
            // Another page's: put back (not taken).
            Some(_) => txn.rollback().await?,
            None => txn.commit().await?,
        }
    }
    Ok(None)
}

fn set_cookie(value: &str) {
    if let (Some(response), Ok(value)) = (
        use_context::<ResponseOptions>(),
        HeaderValue::from_str(value),
    ) {
        response.append_header(header::SET_COOKIE, value);
    }
}

const NOTICE_COOKIE: &str = "keyhouse_notice";
const SECURE_NOTICE_COOKIE: &str = "__Host-keyhouse_notice";
/// How long a notice waits for its page.
const NOTICE_SECONDS: i64 = 60;

/// Leaves `notice` for the page a browser's form post leads to (callers of
/// the server function itself get its answer, and no cookie). The cookie is
/// `HttpOnly`, `SameSite=Strict`, lives in memory only, and is signed
/// (HMAC-SHA256) with this browser's session id and an expiry: another site
/// or a sibling host that plants one cannot know the key, and it is worth
/// nothing after sign-out or a minute.
pub fn notify(state: &AppState, notice: &Notice) {
    let Some(session) = session_cookie() else {
        return;
    };
    if !is_form_post() {
        return;
    }
    let expires = state.clock.now().timestamp() + NOTICE_SECONDS;
    let signed = format!("{}|{expires}", notice.encode());
    let tag = notice_tag(&session, &signed);
    set_cookie(&format!(
        "{}={signed}|{tag}; Path=/; HttpOnly; SameSite=Strict{}",
        notice_cookie(state.settings.secure_cookies),
        if state.settings.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    ));
}

/// The notice left for this page by this browser's session, taken: the
/// cookie is cleared with this response, so it is said once. Any other
/// value of the cookie (planted, expired, of another session) says nothing.
pub fn take_notice() -> Option<Notice> {
    let parts = use_context::<Parts>()?;
    let state = app_state().ok()?;
    let secure = state.settings.secure_cookies;
    let name = notice_cookie(secure);
    let values: Vec<&str> = cookies::values(&parts.headers, name).collect();
    if values.is_empty() {
        return None;
    }
    set_cookie(&format!(
        "{name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    ));
    let session = session_cookie()?;
    let now = state.clock.now().timestamp();
    values.iter().find_map(|value| {
        let (signed, tag) = value.rsplit_once('|')?;
        let (encoded, expires) = signed.rsplit_once('|')?;
        let fresh = expires.parse::<i64>().is_ok_and(|at| now <= at);
        let genuine = notice_genuine(&session, signed, tag);
        (fresh && genuine)
            .then(|| Notice::decode(encoded))
            .flatten()
    })
}

fn notice_cookie(secure: bool) -> &'static str {
    if secure {
        SECURE_NOTICE_COOKIE
    } else {
        NOTICE_COOKIE
    }
}

fn notice_key(session: &str) -> ring::hmac::Key {
    ring::hmac::Key::new(ring::hmac::HMAC_SHA256, session.as_bytes())
}

fn notice_tag(session: &str, signed: &str) -> String {
    use base64::Engine;
    let tag = ring::hmac::sign(&notice_key(session), signed.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag.as_ref())
}

/// Whether `tag` is this session's signature of `signed` (compared in
/// constant time).
fn notice_genuine(session: &str, signed: &str, tag: &str) -> bool {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(tag)
        .is_ok_and(|tag| ring::hmac::verify(&notice_key(session), signed.as_bytes(), &tag).is_ok())
}

/// This browser's session id, as its cookie carries it.
fn session_cookie() -> Option<String> {
    let parts = use_context::<Parts>()?;
    cookies::values(
        &parts.headers,
        crate::backend::session_store::SESSION_COOKIE,
    )
    .next()
    .map(str::to_owned)
}
