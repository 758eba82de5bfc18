//! The *Available API* / *Selected API* lists of the Create API key dialog.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::hydration::hydrated;
use crate::i18n::{t_string, use_i18n};
use crate::model::keys::ApiSetInfo;

use super::api_set_text;

/// The lists' words, in the user's language.
#[derive(Clone, Serialize, Deserialize)]
pub(super) struct PickerLabels {
    available_api: String,
    selected_api: String,
    move_to_selected: String,
    move_to_available: String,
    hint: String,
}

/// The API sets of a new key, each as `(id, "slug — name")`.
#[component]
pub(super) fn ApiSetPicker(sets: Vec<ApiSetInfo>) -> impl IntoView {
    let i18n = use_i18n();
    let options: Vec<(i64, String)> = sets
        .iter()
        .map(|s| (s.id, format!("{} — {}", s.slug, api_set_text(i18n, s).0)))
        .collect();
    let labels = PickerLabels {
        available_api: t_string!(i18n, available_api).to_string(),
        selected_api: t_string!(i18n, selected_api).to_string(),
        move_to_selected: t_string!(i18n, move_to_selected).to_string(),
        move_to_available: t_string!(i18n, move_to_available).to_string(),
        hint: t_string!(i18n, dual_list_hint).to_string(),
    };
    view! { <DualListPicker options labels /> }
}

/// The API sets of a new key. Before JavaScript: a plain list of
/// checkboxes. Once hydrated: the *Available API* and *Selected API*
/// listboxes with → and ← buttons; arrow keys move within a list, Enter or
/// a double-click moves the focused set to the other list.
#[island]
fn DualListPicker(options: Vec<(i64, String)>, labels: PickerLabels) -> impl IntoView {
    let js = hydrated();
    let sets = StoredValue::new(options);
    let labels = StoredValue::new(labels);
    // The sets ticked before the lists took over: by the user before the
    // page became interactive, or given back after a refused Create.
    let selected = RwSignal::new(ticked(&sets.get_value()));
    let active_available = RwSignal::new(None::<i64>);
    let active_selected = RwSignal::new(None::<i64>);

    let available_ids = move || {
        sets.with_value(|all| {
            all.iter()
                .map(|s| s.0)
                .filter(|id| !selected.get().contains(id))
                .collect::<Vec<_>>()
        })
    };
    let selected_ids = move || selected.get();
    // Moves `id` to the other list; the focus stays in this list, on the
    // set that took its place.
    let transfer = move |id: i64, to_selected: bool| {
        let (list, active) = if to_selected {
            (available_ids(), active_available)
        } else {
            (selected_ids(), active_selected)
        };
        let pos = list.iter().position(|&x| x == id);
        selected.update(|sel| {
            if to_selected {
                if !sel.contains(&id) {
                    sel.push(id);
                }
            } else {
                sel.retain(|&x| x != id);
            }
        });
        let rest: Vec<i64> = list.into_iter().filter(|&x| x != id).collect();
        active.set(pos.and_then(|p| rest.get(p.min(rest.len().saturating_sub(1))).copied()));
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent, to_selected: bool| {
        let (list, active) = if to_selected {
            (available_ids(), active_available)
        } else {
            (selected_ids(), active_selected)
        };
        if list.is_empty() {
            return;
        }
        let pos = active.get().and_then(|a| list.iter().position(|&x| x == a));
        let next = match ev.key().as_str() {
            "ArrowDown" => Some(pos.map_or(0, |p| (p + 1).min(list.len() - 1))),
            "ArrowUp" => Some(pos.map_or(0, |p| p.saturating_sub(1))),
            "Home" => Some(0),
            "End" => Some(list.len() - 1),
            "Enter" | " " => {
                ev.prevent_default();
                if let Some(id) = active.get() {
                    transfer(id, to_selected);
                }
                None
            }
            _ => None,
        };
        if let Some(n) = next {
            ev.prevent_default();
            active.set(list.get(n).copied());
        }
    };
    let label_of = move |id: i64| {
        sets.with_value(|all| {
            all.iter()
                .find(|s| s.0 == id)
                .map(|s| s.1.clone())
                .unwrap_or_default()
        })
    };
    let list_view = move |to_selected: bool| {
        let (ids, active): (Vec<i64>, RwSignal<Option<i64>>) = if to_selected {
            (available_ids(), active_available)
        } else {
            (selected_ids(), active_selected)
        };
        let prefix = if to_selected { "available" } else { "selected" };
        ids.into_iter()
            .map(|id| {
                let option_id = format!("{prefix}-set-{id}");
                view! {
                    <li
                        id=option_id
                        role="option"
                        aria-selected=move || if active.get() == Some(id) { "true" } else { "false" }
                        class=move || if active.get() == Some(id) { "option active" } else { "option" }
                        on:click=move |_| active.set(Some(id))
                        on:dblclick=move |_| transfer(id, to_selected)
                    >
                        {label_of(id)}
                    </li>
                }
            })
            .collect_view()
    };
    let active_descendant = move |to_selected: bool| {
        let (active, prefix) = if to_selected {
            (active_available, "available")
        } else {
            (active_selected, "selected")
        };
        active.get().map(|id| format!("{prefix}-set-{id}"))
    };

    view! {
        {move || if js.get() {
            view! {
                <div class="dual-list">
                    <div class="dual-list-column">
                        <span class="list-label" id="available-api-label">{labels.with_value(|l| l.available_api.clone())}</span>
                        <ul
                            role="listbox"
                            tabindex="0"
                            aria-labelledby="available-api-label"
                            aria-activedescendant=move || active_descendant(true)
                            on:keydown=move |ev| on_key(ev, true)
                            on:focus=move |_| if active_available.get().is_none() { active_available.set(available_ids().first().copied()) }
                        >
                            {move || list_view(true)}
                        </ul>
                    </div>
                    <div class="dual-list-buttons">
                        <button type="button" aria-label=labels.with_value(|l| l.move_to_selected.clone())
                            on:click=move |_| if let Some(id) = active_available.get() { transfer(id, true) }>
                            "→"
                        </button>
                        <button type="button" aria-label=labels.with_value(|l| l.move_to_available.clone())
                            on:click=move |_| if let Some(id) = active_selected.get() { transfer(id, false) }>
                            "←"
                        </button>
                    </div>
                    <div class="dual-list-column">
                        <span class="list-label" id="selected-api-label">{labels.with_value(|l| l.selected_api.clone())}</span>
                        <ul
                            role="listbox"
                            tabindex="0"
                            aria-labelledby="selected-api-label"
                            aria-activedescendant=move || active_descendant(false)
                            on:keydown=move |ev| on_key(ev, false)
                            on:focus=move |_| if active_selected.get().is_none() { active_selected.set(selected_ids().first().copied()) }
                        >
                            {move || list_view(false)}
                        </ul>
                    </div>
                </div>
                <p class="hint">{labels.with_value(|l| l.hint.clone())}</p>
                // Each names its checkbox: a refused Create gives the
                // selection back to the new page's checkboxes (enhance.rs).
                {move || selected.get().into_iter().map(|id| view! { <input type="hidden" name="api_sets[]" value=id.to_string() data-gives-back=check_id(id) /> }).collect_view()}
            }.into_any()
        } else {
            view! {
                <fieldset class="checks">
                    <legend>{labels.with_value(|l| l.selected_api.clone())}</legend>
                    {sets.get_value().into_iter().map(|(set, label)| {
                        let id = check_id(set);
                        let for_id = id.clone();
                        view! {
                            <label class="check" for=for_id>
                                <input type="checkbox" id=id name="api_sets[]" value=set.to_string() />
                                {label}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
            }.into_any()
        }}
    }
}

/// The id of the checkbox of the API set `id` (the lists before JavaScript).
fn check_id(id: i64) -> String {
    format!("set-check-{id}")
}

/// The sets whose checkboxes are ticked in the page as the island wakes up
/// (still the server's checkboxes then); none on the server.
fn ticked(options: &[(i64, String)]) -> Vec<i64> {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Some(page) = web_sys::window().and_then(|w| w.document()) else {
            return Vec::new();
        };
        options
            .iter()
            .map(|(id, _)| *id)
            .filter(|id| {
                page.get_element_by_id(&check_id(*id))
                    .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
                    .is_some_and(|input| input.checked())
            })
            .collect()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = options;
        Vec::new()
    }
}
