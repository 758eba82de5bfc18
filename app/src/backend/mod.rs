//! Server-only code that owns the data: database, entities, migrations,
//! sessions. Never compiled into the WASM bundle.
pub mod db;
pub mod entities;
pub mod migrations;
pub mod session_store;
pub mod state;
