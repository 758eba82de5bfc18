//! Pieces the filtered lists share (User Management, the audit log, API
//! keys).
use leptos::prelude::*;

use crate::components::form::FormError;
use crate::i18n::{t_string, use_i18n};
use crate::model::error::AppError;

/// Why a filtered list is not shown. A list refuses a request only for its
/// filters (read from the page's address with `model::filter`), so a bad
/// request says that; anything else reads as any error does.
#[component]
pub fn ListError(error: AppError) -> impl IntoView {
    let i18n = use_i18n();
    let filters = matches!(error, AppError::BadRequest(_));
    let message =
        Signal::derive(move || filters.then(|| t_string!(i18n, filters_invalid).to_string()));
    view! { <FormError error=Some(error) message /> }
}
