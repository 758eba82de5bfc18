//! The process's log output: text for people, or JSON for log shippers.
use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogFormat};

/// Installs the process's subscriber (once, at start): the `KEYHOUSE_LOG`
/// filter, each event written as a text line or as one JSON object
/// (`timestamp`, `level`, `fields` with the `message`, `target`, and the
/// enclosing spans). Both formats carry the same events and fields; what
/// an event holds (never a key or a password) is decided where it is made.
pub fn init(config: &Config) {
    let logs = tracing_subscriber::fmt().with_env_filter(EnvFilter::new(&config.log));
    match config.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
}
