//! Forms posted in place (browser only).
//!
//! Every page works as plain HTML: a form posts, the server answers with a
//! redirect, the browser loads the next page. Once the page's islands run,
//! a POST form to this site is sent with `fetch` instead (the same fields,
//! urlencoded, `Accept: text/html`, so the server answers exactly as to the
//! plain post), and the page the redirect leads to is put in place of this
//! one: no reload, no flash, the address and history as after a plain post.
//! A refused form comes back with what the user put in kept (passwords
//! excepted) and the focus on the first field in error; otherwise the focus
//! goes to what the page now says. While it is on its way the form is
//! `aria-busy` and a second submission of it is dropped; a post is never
//! sent twice.
//! GET forms and links load pages as usual.
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Document, DomParser, Element, FormData, Headers, HtmlButtonElement, HtmlElement,
    HtmlFormElement, HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement, RequestInit,
    Response, SubmitEvent, SupportedType, UrlSearchParams,
};

static WATCHING: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// The address (path and query) of the page on show: going back or
    /// forward to another one loads that page.
    static SHOWN: RefCell<String> = RefCell::new(here());
}

/// Starts watching the document's submissions; once per document (the
/// islands hydrate again after each page put in place).
pub fn watch() {
    if WATCHING.swap(true, Ordering::Relaxed) {
        return;
    }
    SHOWN.with(|s| *s.borrow_mut() = here());
    let on_submit = window_event_listener(leptos::ev::submit, submitted);
    // History entries made here have no page of their own: load it.
    let on_pop = window_event_listener(leptos::ev::popstate, |_| {
        if SHOWN.with(|s| *s.borrow() != here()) {
            let _ = window().location().reload();
        }
    });
    // Back to a page kept by the browser's history: nothing is pending.
    let on_show = window_event_listener(leptos::ev::pageshow, |_| {
        if let Ok(busy) = document().query_selector_all("form[aria-busy]") {
            for i in 0..busy.length() {
                if let Some(form) = busy.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                    let _ = form.remove_attribute("aria-busy");
                }
            }
        }
    });
    // All three live as long as the document.
    std::mem::forget((on_submit, on_pop, on_show));
}

fn here() -> String {
    let location = window().location();
    format!(
        "{}{}",
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default()
    )
}

fn submitted(ev: SubmitEvent) {
    if ev.default_prevented() {
        return;
    }
    let Some(form) = ev
        .target()
        .and_then(|t| t.dyn_into::<HtmlFormElement>().ok())
    else {
        return;
    };
    // Read as attributes: `form.action` and `form.method` are clobbered by
    // fields of those names (the audit log's filter has an "action").
    let is_post = form
        .get_attribute("method")
        .is_some_and(|m| m.eq_ignore_ascii_case("post"));
    let location = window().location();
    let (origin, page) = (
        location.origin().unwrap_or_default(),
        location.href().unwrap_or_default(),
    );
    let Some(action) = form
        .get_attribute("action")
        .and_then(|a| web_sys::Url::new_with_base(&a, &page).ok())
        .map(|u| u.href())
        .filter(|a| a.starts_with(&format!("{origin}/")))
    else {
        return;
    };
    if !is_post {
        return;
    }
    if form.get_attribute("aria-busy").as_deref() == Some("true") {
        ev.prevent_default();
        return;
    }
    // The submitter's `name=value` (which button was pressed) is part of
    // the post, as in a plain submission.
    let pressed = ev
        .submitter()
        .and_then(|s| s.dyn_into::<HtmlButtonElement>().ok())
        .map(|b| (b.name(), b.value()))
        .filter(|(name, _)| !name.is_empty());
    let Some(body) = form_body(&form, pressed.as_ref()) else {
        return;
    };
    ev.prevent_default();
    let _ = form.set_attribute("aria-busy", "true");
    // Only the latest submission's answer is shown: an earlier one arriving
    // late would put an older page over a newer one.
    let turn = TURN.fetch_add(1, Ordering::Relaxed) + 1;
    let typed = typed_values(&form);
    leptos::task::spawn_local(async move {
        let answer = post(&action, &body).await;
        if TURN.load(Ordering::Relaxed) != turn {
            return;
        }
        match answer {
            Ok(answer) => {
                if show(&answer, &typed, pressed.as_ref()).is_err() {
                    let _ = window().location().assign(&answer.url);
                }
            }
            // No answer (offline, the connection dropped): the post may
            // have been carried out, so it is never sent again; the page
            // is loaded afresh and shows where things stand.
            Err(_) => {
                let _ = window().location().reload();
            }
        }
    });
}

/// The number of the latest in-place submission.
static TURN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn form_body(
    form: &HtmlFormElement,
    pressed: Option<&(String, String)>,
) -> Option<UrlSearchParams> {
    let data = FormData::new_with_form(form).ok()?;
    if let Some((name, value)) = pressed {
        data.append_with_str(name, value).ok()?;
    }
    UrlSearchParams::new_with_str_sequence_sequence(&data).ok()
}

/// A field's state as the user left it.
enum Typed {
    Value(String),
    Checked(bool),
}

/// What the user put into the form's fields that have an id (text, dates,
/// numbers, choices, checkboxes), to give back when the form is refused.
/// Never a password; hidden fields and one-time tokens come from the server,
/// except a hidden field standing for a ticked checkbox (`data-gives-back`
/// naming it: the API set lists' selection).
fn typed_values(form: &HtmlFormElement) -> Vec<(String, Typed)> {
    let mut typed = field_values(form);
    if let Ok(chosen) = form.query_selector_all("input[type=hidden][data-gives-back]") {
        typed.extend(
            (0..chosen.length())
                .filter_map(|i| chosen.item(i))
                .filter_map(|node| node.dyn_ref::<Element>()?.get_attribute("data-gives-back"))
                .map(|id| (id, Typed::Checked(true))),
        );
    }
    typed
}

fn field_values(form: &HtmlFormElement) -> Vec<(String, Typed)> {
    let Ok(fields) = form.query_selector_all("input[id], textarea[id], select[id]") else {
        return Vec::new();
    };
    (0..fields.length())
        .filter_map(|i| fields.item(i))
        .filter_map(|node| {
            if let Some(input) = node.dyn_ref::<HtmlInputElement>() {
                let kind = input.type_();
                match kind.as_str() {
                    "checkbox" | "radio" => Some((input.id(), Typed::Checked(input.checked()))),
                    "password" | "hidden" | "submit" | "button" | "file" => None,
                    _ if input.read_only() => None,
                    _ => Some((input.id(), Typed::Value(input.value()))),
                }
            } else if let Some(text) = node.dyn_ref::<HtmlTextAreaElement>() {
                Some((text.id(), Typed::Value(text.value())))
            } else {
                node.dyn_ref::<HtmlSelectElement>()
                    .map(|select| (select.id(), Typed::Value(select.value())))
            }
        })
        .collect()
}

/// The server's answer to an in-place post.
struct Answer {
    /// Where it came from: the page the redirect led to.
    url: String,
    html: String,
    /// Whether it is the page of a redirect (a post's every proper answer).
    redirected: bool,
}

/// Posts the form; the answer is the page its redirect leads to.
async fn post(action: &str, body: &UrlSearchParams) -> Result<Answer, JsValue> {
    let headers = Headers::new()?;
    headers.set("Accept", "text/html")?;
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(body);
    let answer: Response = JsFuture::from(window().fetch_with_str_and_init(action, &init))
        .await?
        .dyn_into()?;
    let html = JsFuture::from(answer.text()?)
        .await?
        .as_string()
        .unwrap_or_default();
    Ok(Answer {
        url: answer.url(),
        redirected: answer.redirected() && answer.ok(),
        html,
    })
}

/// Puts the answer's page in place of this one. An answer that is not a
/// redirect's page (an error from a proxy, a refused request) is shown as
/// it is, as a plain post would show it, but the address stays: reloading
/// must not ask a server function's address for a page.
fn show(
    answer: &Answer,
    typed: &[(String, Typed)],
    pressed: Option<&(String, String)>,
) -> Result<(), JsValue> {
    let fresh = DomParser::new()?.parse_from_string(&answer.html, SupportedType::TextHtml)?;
    let page = document();
    let (Some(new_body), Some(body)) = (fresh.body(), page.body()) else {
        return Err(JsValue::from_str("no page"));
    };
    if let (Some(root), Some(lang)) = (
        page.document_element(),
        fresh
            .document_element()
            .and_then(|e| e.get_attribute("lang")),
    ) {
        root.set_attribute("lang", &lang)?;
    }
    page.set_title(&fresh.title());
    // The parsed body itself, moved in: never re-parsed as markup (a
    // document parsed without scripting, serialized and parsed again with
    // it, can turn inert text into markup). Scripts in it never run.
    let new_body: Element = page.adopt_node(&new_body)?.dyn_into()?;
    let _ = new_body.set_attribute("data-hydrated", "true");
    body.replace_with_with_node_1(&new_body)?;
    let url = &answer.url;
    let moved = answer.redirected && window().location().href()? != *url;
    if moved {
        window()
            .history()?
            .push_state_with_url(&JsValue::NULL, "", Some(url))?;
        SHOWN.with(|s| *s.borrow_mut() = here());
    }
    let refused = answer.redirected && url.contains("__err=");
    if refused {
        give_back(&page, typed);
    }
    hydrate_islands(&page)?;
    // After the islands' own effects (a dialog made modal focuses its first
    // control): the focus goes where this says.
    let pressed = pressed.cloned();
    set_timeout(
        move || focus_after(&document(), refused, moved, pressed.as_ref()),
        std::time::Duration::ZERO,
    );
    Ok(())
}

/// Puts what the user had put into the refused form back (the page is
/// fresh from the server: nothing was typed into it yet).
fn give_back(page: &Document, typed: &[(String, Typed)]) {
    for (id, state) in typed {
        let Some(field) = page.get_element_by_id(id) else {
            continue;
        };
        match state {
            Typed::Checked(checked) => {
                if let Some(input) = field.dyn_ref::<HtmlInputElement>() {
                    input.set_checked(*checked);
                }
            }
            Typed::Value(value) => {
                if let Some(input) = field.dyn_ref::<HtmlInputElement>() {
                    input.set_value(value);
                } else if let Some(text) = field.dyn_ref::<HtmlTextAreaElement>() {
                    text.set_value(value);
                } else if let Some(select) = field.dyn_ref::<HtmlSelectElement>() {
                    select.set_value(value);
                }
            }
        }
    }
}

/// Where the focus goes: the first field in error; else the button that
/// was pressed, if the page still has it (the language switch); else what
/// the page now says (a notice, an alert); else, on a new address, the main
/// region from its top.
fn focus_after(page: &Document, refused: bool, moved: bool, pressed: Option<&(String, String)>) {
    let first = |selector: &str| page.query_selector(selector).ok().flatten();
    let invalid = refused.then(|| first("[aria-invalid=\"true\"]")).flatten();
    let same_button = pressed.and_then(|(name, value)| {
        first(&format!(
            "button[name=\"{}\"][value=\"{}\"]",
            css_text(name),
            css_text(value)
        ))
    });
    let said = || {
        ["main [role=\"alert\"]", "main .notice[role=\"status\"]"]
            .into_iter()
            .filter_map(first)
            .find(|e| !e.text_content().unwrap_or_default().trim().is_empty())
    };
    let target = invalid.or(same_button).or_else(said).or_else(|| {
        if moved {
            window().scroll_to_with_x_and_y(0.0, 0.0);
        }
        first("#main")
    });
    if let Some(el) = target.and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
        if el.tab_index() < 0 && !el.has_attribute("tabindex") {
            let _ = el.set_attribute("tabindex", "-1");
        }
        let _ = el.focus();
    }
}

/// `s` safe inside a quoted CSS attribute value.
fn css_text(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | ':' | '.'))
        .collect()
}

/// Makes the new page's islands interactive, as the page load does
/// (Leptos' island script leaves `window.__hydrateIsland` for this).
fn hydrate_islands(page: &Document) -> Result<(), JsValue> {
    let hydrate: js_sys::Function =
        js_sys::Reflect::get(&window(), &JsValue::from_str("__hydrateIsland"))?.dyn_into()?;
    let islands = page.query_selector_all("leptos-island")?;
    for i in 0..islands.length() {
        if let Some(island) = islands.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
            let id = island.get_attribute("data-component").unwrap_or_default();
            hydrate.call2(&JsValue::NULL, &island, &JsValue::from_str(&id))?;
        }
    }
    Ok(())
}
