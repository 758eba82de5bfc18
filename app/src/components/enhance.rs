//! Forms posted in place (browser only).
//!
//! Every page works as plain HTML: a form posts, the server answers with a
//! redirect, the browser loads the next page. Once the page's islands run,
//! a POST form to this site is sent with `fetch` instead (the same fields,
//! urlencoded, `Accept: text/html`, so the server answers exactly as to the
//! plain post), and the page the redirect leads to is put in place of this
//! one: no reload, no flash, the address and history as after a plain post.
//! A refused form comes back with the user's typed values kept (passwords
//! excepted) and the focus on the first field in error. While it is on its
//! way the form is `aria-busy` and a second submission of it is dropped.
//! GET forms and links load pages as usual.
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Document, DomParser, Element, FormData, Headers, HtmlButtonElement, HtmlElement,
    HtmlFormElement, HtmlInputElement, HtmlTextAreaElement, RequestInit, Response, SubmitEvent,
    SupportedType, UrlSearchParams,
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
    if form.get_attribute("aria-busy").as_deref() == Some("true") {
        ev.prevent_default();
        return;
    }
    let _ = form.set_attribute("aria-busy", "true");
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
    let typed = typed_values(&form);
    leptos::task::spawn_local(async move {
        match post(&action, &body).await {
            Ok((url, html)) => {
                if show(&url, &html, &typed, pressed.as_ref()).is_err() {
                    let _ = window().location().assign(&url);
                }
            }
            // Not sent (offline, refused): the plain way, which says why.
            Err(_) => {
                let _ = form.remove_attribute("aria-busy");
                if let Some((name, value)) = &pressed
                    && let Ok(input) = document().create_element("input")
                {
                    let _ = input.set_attribute("type", "hidden");
                    let _ = input.set_attribute("name", name);
                    let _ = input.set_attribute("value", value);
                    let _ = form.append_child(&input);
                }
                let _ = form.submit();
            }
        }
    });
}

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

/// The values typed into the form's fields that have an id, to give back
/// when the form is refused. Never a password.
fn typed_values(form: &HtmlFormElement) -> Vec<(String, String)> {
    let Ok(fields) = form.query_selector_all("input[id], textarea[id]") else {
        return Vec::new();
    };
    (0..fields.length())
        .filter_map(|i| fields.item(i))
        .filter_map(|node| {
            if let Some(input) = node.dyn_ref::<HtmlInputElement>() {
                let kind = input.type_();
                let text = matches!(
                    kind.as_str(),
                    "text" | "email" | "url" | "tel" | "number" | "search" | ""
                );
                (text && !input.read_only()).then(|| (input.id(), input.value()))
            } else {
                node.dyn_ref::<HtmlTextAreaElement>()
                    .map(|t| (t.id(), t.value()))
            }
        })
        .collect()
}

/// Posts the form; the answer is the page its redirect leads to, and that
/// page's address.
async fn post(action: &str, body: &UrlSearchParams) -> Result<(String, String), JsValue> {
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
    Ok((answer.url(), html))
}

/// Puts the page `html` (at `url`) in place of this one.
fn show(
    url: &str,
    html: &str,
    typed: &[(String, String)],
    pressed: Option<&(String, String)>,
) -> Result<(), JsValue> {
    let fresh = DomParser::new()?.parse_from_string(html, SupportedType::TextHtml)?;
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
    body.set_inner_html(&new_body.inner_html());
    let moved = window().location().href()? != url;
    if moved {
        window()
            .history()?
            .push_state_with_url(&JsValue::NULL, "", Some(url))?;
        SHOWN.with(|s| *s.borrow_mut() = here());
    }
    let refused = url.contains("__err=");
    if refused {
        give_back(&page, typed);
    }
    hydrate_islands(&page)?;
    focus_after(&page, refused, moved, pressed);
    Ok(())
}

/// Puts the user's typed values back into the refused form (where the
/// field is still as the server sent it).
fn give_back(page: &Document, typed: &[(String, String)]) {
    for (id, value) in typed {
        let Some(field) = page.get_element_by_id(id) else {
            continue;
        };
        if let Some(input) = field.dyn_ref::<HtmlInputElement>() {
            if input.value() == input.default_value() {
                input.set_value(value);
            }
        } else if let Some(text) = field.dyn_ref::<HtmlTextAreaElement>()
            && Ok(text.value()) == text.default_value()
        {
            text.set_value(value);
        }
    }
}

/// Where the focus goes: the first field in error; else the button that
/// was pressed, if the page still has it (the language switch); else, on a
/// new address, the main region from its top.
fn focus_after(page: &Document, refused: bool, moved: bool, pressed: Option<&(String, String)>) {
    let invalid = refused
        .then(|| {
            page.query_selector("[aria-invalid=\"true\"]")
                .ok()
                .flatten()
        })
        .flatten();
    let same_button = pressed.and_then(|(name, value)| {
        page.query_selector(&format!(
            "button[name=\"{}\"][value=\"{}\"]",
            css_text(name),
            css_text(value)
        ))
        .ok()
        .flatten()
    });
    let target = invalid.or(same_button).or_else(|| {
        moved
            .then(|| {
                window().scroll_to_with_x_and_y(0.0, 0.0);
                page.get_element_by_id("main")
            })
            .flatten()
    });
    if let Some(el) = target.and_then(|e| e.dyn_into::<HtmlElement>().ok()) {
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
