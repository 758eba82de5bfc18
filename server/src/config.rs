//! Typed configuration from flags and `KEYHOUSE_*` environment variables.
//! A bad value stops the server at start with a one-line explanation.
use std::net::SocketAddr;
use std::path::PathBuf;

use app::backend::auth::leak_reporters::LeakReporters;
use app::backend::mail::{self, SmtpUrl};

pub use crate::metrics::MetricsAddr;
use crate::metrics::parse_metrics_addr;
use clap::Parser;
use clap::builder::BoolishValueParser;

/// Who may sign up (`--signup`). The variants carry no doc comments on
/// purpose: clap would list them in `--help` as a new section.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Signup {
    // Anyone, each with a new organization.
    Open,
    // Only through an invitation.
    InviteOnly,
}

/// How log lines are written (`--log-format`); no doc comments on the
/// variants, for the same reason as [`Signup`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    // Human-readable lines.
    Text,
    // One JSON object per line, for log shippers.
    Json,
}

/// What to do instead of serving; no subcommand: serve.
#[derive(Clone, Debug, PartialEq, Eq, clap::Subcommand)]
pub enum Command {
    /// Copy the database to FILE while the server may be running.
    ///
    /// SQLite: VACUUM INTO, a consistent copy of everything committed when
    /// it begins. PostgreSQL: pg_dump --format=custom when pg_dump is on
    /// PATH, otherwise the recipe. FILE is never overwritten: the copy is
    /// written beside it under a temporary name and linked as FILE once
    /// complete. Exit status: 0 written, 2 refused (nothing written), 1
    /// failed or interrupted (nothing left behind).
    Backup {
        /// Where the copy goes; must not exist yet.
        file: PathBuf,
    },
    /// Say, offline, whether strings are well-formed Keyhouse keys.
    ///
    /// Each KEY argument is checked as it is; without arguments, standard
    /// input is scanned for key-shaped words (a file, a diff). Keys are
    /// shown only by their first characters. Exit status: 1 when a
    /// well-formed key was found, 0 when none, 2 when the input could not
    /// be read.
    CheckKey {
        /// Strings to check (prefer standard input: arguments stay in the
        /// shell's history).
        keys: Vec<String>,
    },
}

#[derive(Parser, Debug, Clone)]
#[command(
    name = "keyhouse",
    version,
    about = "Keyhouse: a self-hosted portal for issuing, scoping and checking API keys",
    disable_help_subcommand = true
)]
pub struct Config {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Address to listen on (ip:port).
    #[arg(long, env = "KEYHOUSE_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Where `GET /metrics` (Prometheus) is served, apart from the public
    /// address (ip:port), or `off`.
    #[arg(
        long,
        env = "KEYHOUSE_METRICS_ADDR",
        default_value = "127.0.0.1:9464",
        value_parser = parse_metrics_addr
    )]
    pub metrics_addr: MetricsAddr,

    /// Database URL: sqlite://path/to/file.db or postgres://user:pass@host/db.
    #[arg(
        long,
        env = "KEYHOUSE_DATABASE_URL",
        default_value = "sqlite://data/keyhouse.db",
        value_parser = parse_database_url,
        hide_env_values = true,
        global = true
    )]
    pub database_url: String,

    /// Log filter, e.g. `info` or `keyhouse=debug,tower_http=info`.
    #[arg(long, env = "KEYHOUSE_LOG", default_value = "info", value_parser = parse_log_filter)]
    pub log: String,

    /// How log lines are written: `text` (for people) or `json` (one object
    /// per line, for log shippers).
    #[arg(long, env = "KEYHOUSE_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,

    /// Folder with the built site (the WASM bundle, CSS and public files),
    /// read instead of the files the release binary carries: for
    /// development. Unset: the binary's own, else `./target/site`.
    #[arg(long, env = "KEYHOUSE_SITE_ROOT")]
    pub site_root: Option<PathBuf>,

    /// Mark the session cookie Secure; turn on when served over HTTPS.
    #[arg(
        long,
        env = "KEYHOUSE_SECURE_COOKIES",
        default_value = "false",
        value_parser = BoolishValueParser::new(),
        action = clap::ArgAction::Set
    )]
    pub secure_cookies: bool,

    /// Minutes of inactivity after which a session ends.
    #[arg(
        long,
        env = "KEYHOUSE_SESSION_IDLE_MINUTES",
        default_value_t = 30,
        value_parser = clap::value_parser!(u32).range(1..=10_080)
    )]
    pub session_idle_minutes: u32,

    /// Hours after sign-in at which a session ends, however active.
    #[arg(
        long,
        env = "KEYHOUSE_SESSION_ABSOLUTE_HOURS",
        default_value_t = 12,
        value_parser = clap::value_parser!(u32).range(1..=720)
    )]
    pub session_absolute_hours: u32,

    /// Comma-separated IPs of reverse proxies whose X-Forwarded-For is
    /// believed. Empty: the socket address is the client.
    #[arg(
        long,
        env = "KEYHOUSE_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = clap::value_parser!(std::net::IpAddr)
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    /// Seconds between sweeps that delete expired sessions.
    #[arg(
        long,
        env = "KEYHOUSE_SESSION_CLEANUP_SECONDS",
        default_value_t = 300,
        value_parser = clap::value_parser!(u64).range(1..=86_400)
    )]
    pub session_cleanup_seconds: u64,

    /// At most this many active API keys per user in an organization.
    #[arg(
        long,
        env = "KEYHOUSE_MAX_KEYS_PER_USER",
        default_value_t = 100,
        value_parser = clap::value_parser!(u32).range(1..=100_000)
    )]
    pub max_keys_per_user: u32,

    /// Who may sign up: `open` (anyone, each with a new organization) or
    /// `invite-only` (only through an invitation; the very first account of
    /// an empty instance excepted).
    #[arg(long, env = "KEYHOUSE_SIGNUP", value_enum, default_value = "open")]
    pub signup: Signup,

    /// Sign-ups one client address (an IPv6 client: its /64) may make in an
    /// hour.
    #[arg(
        long,
        env = "KEYHOUSE_SIGN_UPS_PER_HOUR",
        default_value_t = 10,
        value_parser = clap::value_parser!(u32).range(1..=1_000_000)
    )]
    pub sign_ups_per_hour: u32,

    /// Public keys (PEM, EC P-256) of secret scanners allowed to report
    /// leaked keys to `POST /api/v1/leaks`: the PEM text itself or the path
    /// of a file holding it. Unset: leak reports are refused.
    #[arg(long, env = "KEYHOUSE_LEAK_REPORT_KEYS", value_parser = LeakReporters::from_setting)]
    pub leak_report_keys: Option<LeakReporters>,

    /// Let webhook endpoints be on loopback, private and other non-public
    /// addresses (your own network; tests). Off: such an endpoint is refused.
    #[arg(
        long,
        env = "KEYHOUSE_WEBHOOK_ALLOW_PRIVATE",
        default_value = "false",
        value_parser = BoolishValueParser::new(),
        action = clap::ArgAction::Set
    )]
    pub webhook_allow_private: bool,

    /// Where the expiry e-mail goes (`smtp://HOST:PORT`, `…?tls=required`,
    /// `smtps://…`, `USER:PASSWORD@` to log in); unset: no e-mail.
    #[arg(long, env = "KEYHOUSE_SMTP_URL", hide_env_values = true, value_parser = SmtpUrl::parse)]
    pub smtp_url: Option<SmtpUrl>,

    /// The sender of that e-mail: `Name <address>` or an address.
    #[arg(long, env = "KEYHOUSE_MAIL_FROM", default_value = "Keyhouse <keyhouse@localhost>", value_parser = mail::parse_from)]
    pub mail_from: String,
}

fn parse_database_url(value: &str) -> Result<String, String> {
    match app::backend::db::Backend::of(value) {
        Some(_) => Ok(value.to_owned()),
        None => Err("expected sqlite://FILE or postgres://USER:PASSWORD@HOST/DB".into()),
    }
}

fn parse_log_filter(value: &str) -> Result<String, String> {
    tracing_subscriber::EnvFilter::try_new(value)
        .map(|_| value.to_owned())
        .map_err(|e| e.to_string())
}

impl Config {
    /// Parses flags and environment; on a bad value prints one line naming
    /// the setting and exits with status 2. `--help` and `--version` print
    /// as usual.
    pub fn from_env_or_exit() -> Config {
        match Config::try_parse() {
            Ok(config) => config,
            Err(err) => {
                use clap::error::ErrorKind::{DisplayHelp, DisplayVersion};
                if matches!(err.kind(), DisplayHelp | DisplayVersion) {
                    err.exit();
                }
                eprintln!("keyhouse: {}", one_line(&err.to_string()));
                std::process::exit(2);
            }
        }
    }

    /// Defaults with a given database, for tests.
    pub fn for_database(database_url: &str) -> Config {
        Config {
            command: None,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            metrics_addr: MetricsAddr(None),
            database_url: database_url.to_owned(),
            log: "info".into(),
            log_format: LogFormat::Text,
            site_root: None,
            secure_cookies: false,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            trusted_proxies: Vec::new(),
            session_cleanup_seconds: 300,
            max_keys_per_user: 100,
            signup: Signup::Open,
            sign_ups_per_hour: 10,
            leak_report_keys: None,
            webhook_allow_private: false,
            smtp_url: None,
            mail_from: "Keyhouse <keyhouse@localhost>".into(),
        }
    }
}

/// First line of a clap error, without its `error: ` prefix, with the
/// environment variable named so the reader knows where the value came from,
/// and with the allowed values when there is a fixed list (clap puts them on
/// a line of their own).
fn one_line(message: &str) -> String {
    let first = message.lines().next().unwrap_or(message);
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let mut line = first.to_owned();
    for (flag, env) in [
        ("--addr", "KEYHOUSE_ADDR"),
        ("--metrics-addr", "KEYHOUSE_METRICS_ADDR"),
        ("--database-url", "KEYHOUSE_DATABASE_URL"),
        ("--log", "KEYHOUSE_LOG"),
        ("--log-format", "KEYHOUSE_LOG_FORMAT"),
        ("--site-root", "KEYHOUSE_SITE_ROOT"),
        ("--secure-cookies", "KEYHOUSE_SECURE_COOKIES"),
        ("--session-idle-minutes", "KEYHOUSE_SESSION_IDLE_MINUTES"),
        (
            "--session-cleanup-seconds",
            "KEYHOUSE_SESSION_CLEANUP_SECONDS",
        ),
        ("--max-keys-per-user", "KEYHOUSE_MAX_KEYS_PER_USER"),
        ("--signup", "KEYHOUSE_SIGNUP"),
        ("--sign-ups-per-hour", "KEYHOUSE_SIGN_UPS_PER_HOUR"),
        ("--leak-report-keys", "KEYHOUSE_LEAK_REPORT_KEYS"),
        ("--webhook-allow-private", "KEYHOUSE_WEBHOOK_ALLOW_PRIVATE"),
    ] {
        if first.contains(&format!("'{flag} ")) {
            line = format!("{first} (set by {flag} or {env})");
            break;
        }
    }
    // clap names what is missing on the next line ("…not provided:").
    if let Some(missing) = first
        .ends_with(':')
        .then(|| message.lines().nth(1).map(str::trim))
        .flatten()
        .filter(|l| !l.is_empty())
    {
        line.push(' ');
        line.push_str(missing);
    }
    let allowed = message.lines().find_map(|l| {
        l.trim()
            .strip_prefix("[possible values: ")
            .and_then(|rest| rest.strip_suffix(']'))
    });
    if let Some(values) = allowed {
        line.push_str(&format!("; allowed values: {values}"));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, String> {
        let mut argv = vec!["keyhouse"];
        argv.extend_from_slice(args);
        Config::try_parse_from(argv).map_err(|e| one_line(&e.to_string()))
    }

    #[test]
    fn defaults_are_loopback_and_sqlite() {
        let config = parse(&[]).expect("defaults parse");
        assert_eq!(config.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(config.database_url, "sqlite://data/keyhouse.db");
        assert!(!config.secure_cookies);
    }

    #[test]
    fn bad_address_is_one_line_naming_the_variable() {
        let err = parse(&["--addr", "nonsense"]).expect_err("refused");
        assert!(!err.contains('\n'));
        assert!(err.contains("nonsense"), "{err}");
        assert!(err.contains("KEYHOUSE_ADDR"), "{err}");
    }

    #[test]
    fn unknown_database_scheme_is_refused() {
        let err = parse(&["--database-url", "mysql://x/y"]).expect_err("refused");
        assert!(err.contains("KEYHOUSE_DATABASE_URL"), "{err}");
    }

    #[test]
    fn bad_log_filter_and_out_of_range_numbers_are_refused() {
        assert!(parse(&["--log", "=[="]).is_err());
        assert!(parse(&["--session-idle-minutes", "0"]).is_err());
        assert!(parse(&["--secure-cookies", "maybe"]).is_err());
        assert!(parse(&["--secure-cookies", "true"]).is_ok_and(|c| c.secure_cookies));
        assert!(parse(&["--trusted-proxies", "10.0.0.1,nonsense"]).is_err());
        let proxies = parse(&["--trusted-proxies", "10.0.0.1,::1"]).expect("parses");
        assert_eq!(proxies.trusted_proxies.len(), 2);
        let err = parse(&["--signup", "closed"]).expect_err("refused");
        assert!(err.contains("KEYHOUSE_SIGNUP"), "{err}");
        assert!(parse(&["--signup", "invite-only"]).is_ok_and(|c| c.signup == Signup::InviteOnly));
        assert_eq!(parse(&[]).map(|c| c.signup), Ok(Signup::Open));
    }

    #[test]
    fn backup_is_a_subcommand_and_no_subcommand_serves() {
        assert_eq!(parse(&[]).map(|c| c.command), Ok(None));
        let config = parse(&["backup", "/tmp/k.db"]).expect("parses");
        assert_eq!(
            config.command,
            Some(Command::Backup {
                file: PathBuf::from("/tmp/k.db")
            })
        );
        // The database may also be named after the subcommand.
        let config = parse(&["backup", "--database-url", "sqlite://x.db", "b.db"]).expect("parses");
        assert_eq!(config.database_url, "sqlite://x.db");
        let err = parse(&["backup"]).expect_err("refused");
        assert!(!err.contains('\n'), "{err}");
        assert!(err.contains("<FILE>"), "{err}");
    }

    #[test]
    fn log_format_is_text_or_json() {
        assert_eq!(parse(&[]).map(|c| c.log_format), Ok(LogFormat::Text));
        assert_eq!(
            parse(&["--log-format", "json"]).map(|c| c.log_format),
            Ok(LogFormat::Json)
        );
        let err = parse(&["--log-format", "xml"]).expect_err("refused");
        assert!(!err.contains('\n'), "{err}");
        assert!(err.contains("KEYHOUSE_LOG_FORMAT"), "{err}");
        assert!(err.contains("allowed values: text, json"), "{err}");
    }
}
