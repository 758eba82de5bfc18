//! A modal dialog that also works before (and without) JavaScript.
//!
//! The server renders a `<dialog open>`: a plain, non-modal box in the page,
//! so its forms post and its links navigate without JavaScript. The island
//! makes it modal (`showModal()`): the browser traps focus in it, makes the
//! rest of the page inert, and Esc leads to `close_href`, the page without
//! the dialog. Its content stays server-rendered HTML.
use leptos::prelude::*;

#[component]
pub fn Dialog(
    /// The id of the heading that names the dialog.
    #[prop(into)]
    labelled_by: String,
    /// Where Esc leads: the page without the dialog.
    #[prop(into)]
    close_href: String,
    #[prop(optional, into)] class: String,
    children: Children,
) -> impl IntoView {
    view! {
        <ModalDialog labelled_by close_href class>
            {children()}
        </ModalDialog>
    }
}

#[island]
fn ModalDialog(
    labelled_by: String,
    close_href: String,
    class: String,
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
                let _ = window().location().set_href(&close_href);
            }
        >
            {children()}
        </dialog>
    }
}
