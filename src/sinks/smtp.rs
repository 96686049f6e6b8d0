//! Mail out: builds a digest's MIME message (multipart/alternative with a text and an HTML part, a
//! fixed `Message-ID`, `Date`, `List-Unsubscribe`, `Auto-Submitted`) and sends it through the
//! configured server with lettre's tokio transport: plain, STARTTLS or implicit TLS (rustls),
//! optional login, timeouts. Says whether a failure is worth retrying. Never logs the password.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{SmtpConfig, SmtpTls};
use crate::sources::netguard::{NetPolicy, ResolveError};

/// One mail to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// Recipients.
    pub to: Vec<Mailbox>,
    /// The subject line.
    pub subject: String,
    /// The `text/plain` part.
    pub text: String,
    /// The `text/html` part.
    pub html: String,
    /// The `Message-ID`, angle brackets included.
    pub message_id: String,
    /// The `Date`.
    pub date: SystemTime,
    /// The `List-Unsubscribe` target (`https:` or `mailto:`), without angle brackets.
    pub unsubscribe: Option<String>,
}

/// Why a mail could not be built or the transport set up: a problem of the config or the content,
/// not worth retrying as such.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// `ca_file` could not be read or is not PEM.
    #[error("smtp.ca_file {path}: {reason}")]
    CaFile {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        reason: String,
    },
    /// lettre refused the TLS setup.
    #[error("TLS setup for {host}: {reason}")]
    Tls {
        /// The server.
        host: String,
        /// Why.
        reason: String,
    },
    /// lettre refused the message (no recipient, a bad header).
    #[error("building the message: {0}")]
    Build(String),
}

/// How a send failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// A 4xx answer, a refused or dropped connection, a timeout, a TLS failure: try again later.
    #[error("{0}")]
    Transient(String),
    /// A 5xx answer: the server refused the mail for good.
    #[error("{0}")]
    Permanent(String),
}

/// The configured mail server.
#[derive(Clone)]
pub struct Mailer {
    host: String,
    port: u16,
    tls: Option<Tls>,
    credentials: Option<Credentials>,
    timeout: Duration,
    policy: NetPolicy,
    from: Mailbox,
    server: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// Sets up the transport for `cfg` under the network policy of `[fetch]`; connects nothing
    /// yet.
    pub fn new(cfg: &SmtpConfig, policy: NetPolicy) -> Result<Mailer, MailError> {
        let mut tls = None;
        if cfg.tls != SmtpTls::None {
            // The certificate is checked against the configured name, whatever address the
            // connection goes to.
            let mut params = TlsParameters::builder(cfg.host.clone());
            if let Some(path) = &cfg.ca_file {
                let pem = std::fs::read(path).map_err(|e| MailError::CaFile {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                let cert = Certificate::from_pem(&pem).map_err(|e| MailError::CaFile {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
                params = params.add_root_certificate(cert);
            }
            let params = params.build_rustls().map_err(|e| MailError::Tls {
                host: cfg.host.clone(),
                reason: e.to_string(),
            })?;
            tls = Some(match cfg.tls {
                SmtpTls::Starttls => Tls::Required(params),
                _ => Tls::Wrapper(params),
            });
        }
        let credentials = match (&cfg.username, &cfg.password) {
            (Some(user), Some(password)) => {
                Some(Credentials::new(user.clone(), password.expose().to_owned()))
            }
            _ => None,
        };
        Ok(Mailer {
            host: cfg.host.clone(),
            port: cfg.port,
            tls,
            credentials,
            timeout: cfg.timeout,
            policy,
            from: cfg.from.clone(),
            server: format!("{}:{}", cfg.host, cfg.port),
        })
    }

    /// The server, as `host:port`, for logs and messages.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Builds `mail` as it goes out.
    pub fn message(&self, mail: &Mail) -> Result<Message, MailError> {
        build(&self.from, mail)
    }

    /// A transport to one checked address of the server.
    fn transport(&self, addr: SocketAddr) -> AsyncSmtpTransport<Tokio1Executor> {
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(addr.ip().to_string())
                .port(addr.port())
                .timeout(Some(self.timeout));
        if let Some(tls) = &self.tls {
            builder = builder.tls(tls.clone());
        }
        if let Some(c) = &self.credentials {
            builder = builder.credentials(c.clone());
        }
        builder.build()
    }

    /// Sends `mail`; `Ok` once the server accepted it. The server's name is resolved and checked
    /// against the private-network guard at each send, and only the addresses it allows are
    /// tried, in order, until one answers.
    pub async fn send(&self, mail: &Mail) -> Result<(), SendError> {
        let message = self
            .message(mail)
            .map_err(|e| SendError::Permanent(e.to_string()))?;
        let addrs = match self.policy.resolve(&self.host, self.port).await {
            Ok(addrs) => addrs,
            Err(ResolveError::Refused(r)) => {
                return Err(SendError::Permanent(format!(
                    "smtp.host {}: refused: {r}",
                    self.server
                )));
            }
            Err(e) => return Err(SendError::Transient(format!("{}: {e}", self.server))),
        };
        let mut last = None;
        for addr in addrs {
            match self.transport(addr).send(message.clone()).await {
                Ok(_) => return Ok(()),
                Err(e) => {
                    let text = format!("{}: {}", self.server, crate::errors::chain(&e));
                    if e.is_permanent() {
                        return Err(SendError::Permanent(text));
                    }
                    // An SMTP answer or a TLS failure is the server's word; only a failed
                    // connection is worth another address.
                    if e.is_transient() || e.is_tls() || e.is_timeout() {
                        return Err(SendError::Transient(text));
                    }
                    last = Some(text);
                }
            }
        }
        Err(SendError::Transient(last.unwrap_or_else(|| {
            format!("{}: no address to connect to", self.server)
        })))
    }
}

/// Builds the message: `From`, `To`, `Subject`, `Date`, `Message-ID`, `Auto-Submitted`,
/// `List-Unsubscribe` when given, and a multipart/alternative body (text first, HTML preferred).
pub fn build(from: &Mailbox, mail: &Mail) -> Result<Message, MailError> {
    let mut b = Message::builder()
        .from(from.clone())
        .subject(mail.subject.clone())
        .date(mail.date)
        .message_id(Some(mail.message_id.clone()))
        .header(AutoSubmitted);
    for to in &mail.to {
        b = b.to(to.clone());
    }
    if let Some(u) = &mail.unsubscribe {
        b = b.header(ListUnsubscribe(format!("<{u}>")));
    }
    let body = MultiPart::alternative()
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(mail.text.clone()),
        )
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_HTML)
                .body(mail.html.clone()),
        );
    b.multipart(body)
        .map_err(|e| MailError::Build(e.to_string()))
}

/// A `Message-ID` for the period of `digest` ending at `end`, stable across attempts and
/// processes: `<briefwatch.digest.NAME.YYYYMMDDTHHMMSSZ.HASH@DOMAIN>`, where NAME keeps the
/// name's ASCII letters and digits, HASH tells apart names that keep the same ones, and DOMAIN is
/// the sender's.
pub fn message_id(digest: &str, end: chrono::DateTime<chrono::Utc>, from: &Mailbox) -> String {
    let slug: String = digest
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(40)
        .collect();
    let hash = xxhash_rust::xxh3::xxh3_64(digest.as_bytes()) as u32;
    format!(
        "<briefwatch.digest.{slug}.{}.{hash:08x}@{}>",
        end.format("%Y%m%dT%H%M%SZ"),
        from.email.domain()
    )
}

/// How long a claimed digest may take before another process may take it over: a send's steps
/// each get `timeout`, and connect, greeting, TLS, login, envelope and data are at most six.
pub fn lease(timeout: Duration) -> Duration {
    timeout * 6 + Duration::from_secs(5)
}

/// `Auto-Submitted: auto-generated` (RFC 3834): no vacation replies to a digest.
#[derive(Debug, Clone, Copy)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// `List-Unsubscribe: <URL>` (RFC 2369).
#[derive(Debug, Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn mail() -> Mail {
        Mail {
            to: vec!["desk@example.org".parse().unwrap()],
            subject: "Morning: 2 stories <b>".into(),
            text: "plain part".into(),
            html: "<p>html part</p>".into(),
            message_id: "<x.1@example.org>".into(),
            date: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            unsubscribe: Some("https://example.org/unsub?d=morning".into()),
        }
    }

    #[test]
    fn the_message_carries_both_parts_and_the_headers() {
        let from: Mailbox = "briefwatch <bw@example.org>".parse().unwrap();
        let raw = String::from_utf8(build(&from, &mail()).unwrap().formatted()).unwrap();
        for needle in [
            "Message-ID: <x.1@example.org>",
            "Auto-Submitted: auto-generated",
            "List-Unsubscribe: <https://example.org/unsub?d=morning>",
            "multipart/alternative",
            "text/plain",
            "text/html",
            "Date: Tue, 14 Nov 2023 22:13:20 +0000",
        ] {
            assert!(raw.contains(needle), "{needle} missing from:\n{raw}");
        }
        assert!(raw.find("text/plain") < raw.find("text/html"), "text first");
    }

    #[test]
    fn message_ids_are_stable_per_period_and_distinct_per_digest() {
        let from: Mailbox = "bw@news.example.org".parse().unwrap();
        let end = chrono::Utc.with_ymd_and_hms(2026, 3, 2, 7, 30, 0).unwrap();
        let a = message_id("morning desk", end, &from);
        assert_eq!(a, message_id("morning desk", end, &from));
        assert!(
            a.starts_with("<briefwatch.digest.morningdesk.20260302T073000Z.")
                && a.ends_with("@news.example.org>"),
            "{a}"
        );
        assert_ne!(a, message_id("morning-desk", end, &from));
        assert_ne!(
            a,
            message_id("morning desk", end + chrono::Duration::days(1), &from)
        );
    }
}
