//! Outgoing e-mail over SMTP (`KEYHOUSE_SMTP_URL`), with lettre on tokio
//! and rustls. `smtp://host:port` is plain SMTP (a relay on the same host,
//! the tests' sink), `smtp://host:port?tls=required` STARTTLS, and
//! `smtps://host:port` TLS from the start; `user:password@` logs in. The URL
//! is never logged: it may hold a password.
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How long one message may take (connect, greet, send).
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The configured sender: the transport and the `From` address.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer for `url` sending as `from` (`Name <address>` or an
    /// address); the error says which of the two is wrong, without the URL.
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let from: Mailbox = from
            .parse()
            .map_err(|_| format!("{from:?} is not an e-mail address"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|_| {
                "expected smtp://HOST:PORT, smtp://HOST:PORT?tls=required or smtps://HOST:PORT"
                    .to_owned()
            })?
            .timeout(Some(TIMEOUT))
            .build();
        Ok(Mailer { transport, from })
    }

    /// Sends one plain-text message to `to`. The error is short and holds
    /// no credential (the server's answer or what failed).
    pub async fn send(&self, to: &str, subject: &str, body: String) -> Result<(), String> {
        let to: Mailbox = to.parse().map_err(|_| "not an e-mail address".to_owned())?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|err| err.to_string())?;
        match tokio::time::timeout(TIMEOUT * 2, self.transport.send(message)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(err)) => Err(short(&err.to_string())),
            Err(_) => Err("no answer within 20 s".into()),
        }
    }
}

/// `KEYHOUSE_SMTP_URL`, which may hold a password: never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl(pub String);

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SmtpUrl(…)")
    }
}

impl SmtpUrl {
    /// The configuration's parser: takes any text, so a parse error never
    /// echoes it (it may hold a password); [`Mailer::new`] judges it at
    /// start, with an error that does not repeat it.
    pub fn parse(value: &str) -> Result<SmtpUrl, String> {
        Ok(SmtpUrl(value.to_owned()))
    }
}

/// A sender address a mailer takes (the configuration's parser).
pub fn parse_from(value: &str) -> Result<String, String> {
    Mailer::new("smtp://127.0.0.1:25", value)?;
    Ok(value.to_owned())
}

/// At most 300 characters, on a character boundary.
fn short(text: &str) -> String {
    text.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_url_is_refused_without_repeating_it() {
        let err = Mailer::new("smtpx://mailer:hunter2@mail.example:25", "a@example.com")
            .expect_err("bad scheme");
        assert!(!err.contains("hunter2"), "{err}");
        assert!(Mailer::new("smtp://127.0.0.1:2525", "Keyhouse <k@example.com>").is_ok());
        assert!(Mailer::new("smtp://127.0.0.1:2525", "not an address").is_err());
        assert_eq!(
            format!("{:?}", SmtpUrl("smtp://u:hunter2@h".into())),
            "SmtpUrl(…)"
        );
    }
}
