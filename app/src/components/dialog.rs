//! A modal dialog that also works before the WASM has loaded.
//!
//! The server renders a `<dialog open>`: a plain, non-modal box in the page,
//! so its forms post and its links navigate without JavaScript. Once
//! hydrated it becomes modal (`showModal()`): the browser traps focus in it,
//! makes the rest of the page inert, and Esc asks to close it, which the
//! caller turns into navigation or state.
use leptos::prelude::*;

#[component]
pub fn Dialog(
    /// The id of the heading that names the dialog.
    #[prop(into)]
    labelled_by: String,
    /// Called when the user presses Esc.
    on_close: Callback<()>,
    #[prop(optional, into)] class: String,
    children: Children,
) -> impl IntoView {
    let node = NodeRef::<leptos::html::Dialog>::new();
    Effect::new(move |_| {
        if let Some(dialog) = node.get()
            && !dialog.matches(":modal").unwrap_or(false)
        {
            dialog.close();
            // Fails only when the dialog is not in the document.
            let _ = dialog.show_modal();
        }
    });
    view! {
        <dialog
            node_ref=node
            open=true
            role="dialog"
            class=format!("modal {class}")
            aria-labelledby=labelled_by
            on:cancel=move |ev: leptos::ev::Event| {
                ev.prevent_default();
                on_close.run(());
            }
        >
            {children()}
        </dialog>
    }
}

/// A close handler that navigates to `href` (the page without the dialog).
pub fn close_to(href: String) -> Callback<()> {
    let navigate = leptos_router::hooks::use_navigate();
    Callback::new(move |()| navigate(&href, Default::default()))
}
