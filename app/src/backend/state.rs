//! The one application state, built once at start.
use axum::extract::FromRef;
use leptos::prelude::*;
use sea_orm::DatabaseConnection;

use crate::error::AppError;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
}

/// The state, from inside a server function or a component rendered on the
/// server (the router provides it as context).
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| AppError::internal("AppState missing from context"))
}
