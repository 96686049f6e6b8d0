//! `[[destinations]]` and `[delivery]`: where alerts go (webhook, Slack, Discord, Teams, ntfy), with
//! their secrets read from a file, an environment variable or a systemd credential, and how
//! deliveries are retried. Secrets are held in [`Secret`], which never prints its value.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use super::raw::{RawDelivery, RawDestination};
use super::{Problem, resolve};
use crate::errors::chain;

/// A secret value (a webhook signing secret, a header with a token, a URL with a token in it).
/// `Debug` and `Display` print `***`, never the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that needs it (signing, the request).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// What a destination speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DestinationKind {
    /// Generic JSON, signed per Standard Webhooks.
    Webhook,
    /// Slack incoming webhook (Block Kit).
    Slack,
    /// Discord webhook (embeds).
    Discord,
    /// Microsoft Teams workflow webhook (Adaptive Card).
    Teams,
    /// ntfy topic.
    Ntfy,
}

impl DestinationKind {
    /// The name used in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            DestinationKind::Webhook => "webhook",
            DestinationKind::Slack => "slack",
            DestinationKind::Discord => "discord",
            DestinationKind::Teams => "teams",
            DestinationKind::Ntfy => "ntfy",
        }
    }

    fn parse(s: &str) -> Option<DestinationKind> {
        Some(match s {
            "webhook" => DestinationKind::Webhook,
            "slack" => DestinationKind::Slack,
            "discord" => DestinationKind::Discord,
            "teams" => DestinationKind::Teams,
            "ntfy" => DestinationKind::Ntfy,
            _ => return None,
        })
    }
}

/// A validated `[[destinations]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Destination {
    /// Unique name, used by rules and in logs (the URL is not logged: it may hold a token).
    pub name: String,
    /// What it speaks.
    pub kind: DestinationKind,
    /// Where to POST (ntfy: the topic URL).
    pub url: Secret,
    /// The `whsec_...` signing secret (webhook only; required there).
    pub secret: Option<Secret>,
    /// Extra request headers (e.g. `Authorization`), from `headers_file`.
    pub headers: Vec<(String, Secret)>,
    /// Whole-request timeout.
    pub timeout: Duration,
    /// ntfy priority, 1 (min) to 5 (max).
    pub priority: Option<u8>,
    /// ntfy tags (emoji short codes or words).
    pub tags: Vec<String>,
}

/// `[delivery]`: how alert deliveries are retried and bounded.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryConfig {
    /// Delay before each attempt: the first is usually 0; after the last, a delivery is dead.
    pub retry_schedule: Vec<Duration>,
    /// Default whole-request timeout of a destination.
    pub timeout: Duration,
    /// Requests in flight at once, over all destinations.
    pub concurrency: usize,
    /// How long `poll --once` waits for due deliveries before it exits (the rest stay queued).
    pub poll_once_timeout: Duration,
}

/// The retry schedule of design.md: 0 s, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h.
pub fn default_retry_schedule() -> Vec<Duration> {
    [
        0, 5, 300, 1_800, 7_200, 18_000, 36_000, 50_400, 72_000, 86_400,
    ]
    .into_iter()
    .map(Duration::from_secs)
    .collect()
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            retry_schedule: default_retry_schedule(),
            timeout: Duration::from_secs(10),
            concurrency: 8,
            poll_once_timeout: Duration::from_secs(30),
        }
    }
}

/// Checks `[delivery]`.
pub(super) fn validate_delivery(raw: RawDelivery, problems: &mut Vec<Problem>) -> DeliveryConfig {
    let mut out = DeliveryConfig::default();
    if let Some(list) = raw.retry_schedule {
        let mut schedule = Vec::new();
        for (i, s) in list.iter().enumerate() {
            match humantime::parse_duration(s) {
                Ok(d) => schedule.push(d),
                Err(e) => problems.push(Problem {
                    key: format!("delivery.retry_schedule[{i}]"),
                    reason: format!("invalid duration {s:?}: {e}"),
                }),
            }
        }
        if list.is_empty() {
            problems.push(Problem {
                key: "delivery.retry_schedule".into(),
                reason: "needs at least one attempt".into(),
            });
        }
        out.retry_schedule = schedule;
    }
    let positive = |key: &str, v: u64, problems: &mut Vec<Problem>| {
        if v == 0 {
            problems.push(Problem {
                key: format!("delivery.{key}"),
                reason: "must be at least 1".into(),
            });
        }
        v.max(1)
    };
    if let Some(t) = raw.timeout_secs {
        out.timeout = Duration::from_secs(positive("timeout_secs", t, problems));
    }
    if let Some(c) = raw.concurrency {
        out.concurrency = positive("concurrency", c as u64, problems) as usize;
    }
    if let Some(t) = raw.poll_once_timeout_secs {
        out.poll_once_timeout = Duration::from_secs(t);
    }
    out
}

/// Why a secret, URL or header file could not be read or is unusable. Never quotes a secret.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// More than one of `_file`, `_env`, `_credential`.
    #[error("give only one of _file, _env and _credential")]
    TooManySources,
    /// The file could not be read.
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file holds nothing.
    #[error("{path} is empty")]
    EmptyFile {
        /// The file.
        path: PathBuf,
    },
    /// The environment variable is not set.
    #[error("environment variable {0} is not set")]
    EnvUnset(String),
    /// The environment variable is empty.
    #[error("environment variable {0} is empty")]
    EnvEmpty(String),
    /// A credential named outside systemd.
    #[error(
        "credential {0:?}: $CREDENTIALS_DIRECTORY is not set (not started by systemd with LoadCredential=)"
    )]
    NoCredentials(String),
    /// A headers file line that is not `Name: value`.
    #[error("{path} line {line}: expected `Name: value`")]
    HeaderLine {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
    },
    /// A header name with characters HTTP does not allow.
    #[error("{path} line {line}: {name:?} is not a header name")]
    HeaderName {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The name as written.
        name: String,
    },
    /// Not a Standard Webhooks secret.
    #[error("must start with \"whsec_\" (Standard Webhooks secret)")]
    NotWhsec,
    /// `whsec_` followed by something unusable.
    #[error(transparent)]
    Webhook(#[from] crate::sinks::sign::SecretError),
}

/// Where a secret comes from: at most one of a file, an environment variable and a systemd
/// credential (`$CREDENTIALS_DIRECTORY/NAME`, from `LoadCredential=`).
pub(super) struct SecretSource<'a> {
    pub(super) file: Option<&'a str>,
    pub(super) env: Option<&'a str>,
    pub(super) credential: Option<&'a str>,
}

impl SecretSource<'_> {
    /// The secret, trimmed of surrounding whitespace; `Ok(None)` when no source is given.
    pub(super) fn read(&self, base: &Path) -> Result<Option<Secret>, SecretError> {
        let given = [self.file, self.env, self.credential]
            .iter()
            .filter(|s| s.is_some())
            .count();
        if given > 1 {
            return Err(SecretError::TooManySources);
        }
        if let Some(f) = self.file {
            return read_secret_file(&resolve(base, f)).map(Some);
        }
        if let Some(var) = self.env {
            return match std::env::var(var) {
                Ok(v) if !v.trim().is_empty() => Ok(Some(Secret::new(v.trim()))),
                Ok(_) => Err(SecretError::EnvEmpty(var.to_string())),
                Err(_) => Err(SecretError::EnvUnset(var.to_string())),
            };
        }
        if let Some(name) = self.credential {
            let Some(dir) = std::env::var_os("CREDENTIALS_DIRECTORY") else {
                return Err(SecretError::NoCredentials(name.to_string()));
            };
            return read_secret_file(&PathBuf::from(dir).join(name)).map(Some);
        }
        Ok(None)
    }
}

fn read_secret_file(path: &Path) -> Result<Secret, SecretError> {
    match std::fs::read_to_string(path) {
        Ok(v) if !v.trim().is_empty() => Ok(Secret::new(v.trim())),
        Ok(_) => Err(SecretError::EmptyFile {
            path: path.to_path_buf(),
        }),
        Err(source) => Err(SecretError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Reads `Name: value` lines (blank lines and `#` comments skipped).
fn read_headers(path: &Path) -> Result<Vec<(String, Secret)>, SecretError> {
    let text = std::fs::read_to_string(path).map_err(|source| SecretError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(SecretError::HeaderLine {
                path: path.to_path_buf(),
                line: i + 1,
            });
        };
        let name = name.trim();
        let valid_name = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !valid_name {
            return Err(SecretError::HeaderName {
                path: path.to_path_buf(),
                line: i + 1,
                name: name.to_string(),
            });
        }
        out.push((name.to_string(), Secret::new(value.trim())));
    }
    Ok(out)
}

/// Checks a Standard Webhooks secret: `whsec_` and base64 of at least 24 bytes.
fn check_webhook_secret(s: &Secret) -> Result<(), SecretError> {
    if !s.expose().starts_with("whsec_") {
        return Err(SecretError::NotWhsec);
    }
    crate::sinks::sign::WebhookSecret::parse(s.expose())?;
    Ok(())
}

/// Checks every `[[destinations]]` entry; an entry with any problem is left out.
pub(super) fn validate_destinations(
    raw: Vec<RawDestination>,
    delivery: &DeliveryConfig,
    base: &Path,
    problems: &mut Vec<Problem>,
) -> Vec<Destination> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (i, d) in raw.into_iter().enumerate() {
        let key = |field: &str| format!("destinations[{i}].{field}");
        let before = problems.len();
        let mut problem = |field: &str, reason: String| {
            problems.push(Problem {
                key: key(field),
                reason,
            })
        };
        if d.name.trim().is_empty() {
            problem("name", "must not be empty".into());
        } else if !seen.insert(d.name.clone()) {
            problem("name", format!("duplicate destination name {:?}", d.name));
        }
        let kind = DestinationKind::parse(&d.kind);
        if kind.is_none() {
            problem(
                "kind",
                format!(
                    "unknown kind {:?}; expected webhook, slack, discord, teams or ntfy",
                    d.kind
                ),
            );
        }
        let url_source = SecretSource {
            file: d.url_file.as_deref(),
            env: d.url_env.as_deref(),
            credential: d.url_credential.as_deref(),
        };
        let url = match (d.url, url_source.read(base)) {
            (Some(_), Ok(Some(_))) => {
                problem(
                    "url",
                    "give url or one of url_file, url_env, url_credential, not both".into(),
                );
                None
            }
            (Some(u), Ok(None)) => Some(Secret::new(u)),
            (None, Ok(Some(u))) => Some(u),
            (None, Ok(None)) => {
                problem(
                    "url",
                    "missing (or url_file, url_env, url_credential)".into(),
                );
                None
            }
            (_, Err(e)) => {
                problem("url_file", chain(&e).to_string());
                None
            }
        };
        if let Some(u) = &url {
            match Url::parse(u.expose()) {
                Ok(p) if matches!(p.scheme(), "http" | "https") && p.host().is_some() => {}
                // The URL may hold a token: the reason does not quote it.
                Ok(_) => problem("url", "must be an http(s) URL with a host".into()),
                Err(e) => problem("url", format!("not a valid URL: {e}")),
            }
        }
        let secret = SecretSource {
            file: d.secret_file.as_deref(),
            env: d.secret_env.as_deref(),
            credential: d.secret_credential.as_deref(),
        }
        .read(base);
        let secret = match (kind, secret) {
            (_, Err(e)) => {
                problem("secret_file", chain(&e).to_string());
                None
            }
            (Some(DestinationKind::Webhook), Ok(None)) => {
                problem(
                    "secret_file",
                    "a webhook destination needs a signing secret (secret_file, secret_env or secret_credential)"
                        .into(),
                );
                None
            }
            (Some(DestinationKind::Webhook), Ok(Some(s))) => match check_webhook_secret(&s) {
                Ok(()) => Some(s),
                Err(e) => {
                    problem(
                        "secret_file",
                        format!("invalid signing secret: {}", chain(&e)),
                    );
                    None
                }
            },
            (_, Ok(Some(_))) => {
                problem(
                    "secret_file",
                    "only webhook destinations are signed; remove the secret".into(),
                );
                None
            }
            (_, Ok(None)) => None,
        };
        let headers = match d.headers_file.as_deref() {
            None => Vec::new(),
            Some(f) => read_headers(&resolve(base, f)).unwrap_or_else(|e| {
                problem("headers_file", chain(&e).to_string());
                Vec::new()
            }),
        };
        if let Some(p) = d.priority
            && !(1..=5).contains(&p)
        {
            problem("priority", format!("must be 1 to 5, not {p}"));
        }
        if kind != Some(DestinationKind::Ntfy) && (d.priority.is_some() || d.tags.is_some()) {
            problem(
                "priority",
                "priority and tags apply to ntfy destinations only".into(),
            );
        }
        let timeout = match d.timeout_secs {
            Some(0) => {
                problem("timeout_secs", "must be at least 1".into());
                delivery.timeout
            }
            Some(t) => Duration::from_secs(t),
            None => delivery.timeout,
        };
        if problems.len() > before {
            continue;
        }
        let (Some(kind), Some(url)) = (kind, url) else {
            continue;
        };
        out.push(Destination {
            name: d.name,
            kind,
            url,
            secret,
            headers,
            timeout,
            priority: d.priority,
            tags: d.tags.unwrap_or_default(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use super::super::tests::load_in_dir;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn load(files: &[(&str, &str)], toml: &str) -> Result<Config, String> {
        load_in_dir(files, toml).1.map_err(|e| e.to_string())
    }

    #[test]
    fn webhook_secret_comes_from_a_file_relative_to_the_config() {
        let secret = format!("{SECRET}\n");
        let c = load(
            &[
                ("ops.secret", &secret),
                ("ops.headers", "Authorization: Bearer t0k\n"),
            ],
            "[[destinations]]\nname = \"ops\"\nkind = \"webhook\"\nurl = \"https://hooks.example/x\"\n\
             secret_file = \"ops.secret\"\nheaders_file = \"ops.headers\"\n",
        )
        .unwrap();
        let d = &c.destinations[0];
        assert_eq!(d.secret.as_ref().unwrap().expose(), SECRET);
        assert_eq!(d.headers[0].0, "Authorization");
        assert_eq!(d.headers[0].1.expose(), "Bearer t0k");
        let debug = format!("{c:?}");
        assert!(
            !debug.contains("MfKQ9r8"),
            "secret in Debug output: {debug}"
        );
        assert!(!debug.contains("t0k"), "header value in Debug output");
    }

    #[test]
    fn destination_problems_name_the_key() {
        let e = load(
            &[],
            "[[destinations]]\nname = \"ops\"\nkind = \"webhook\"\nurl = \"https://hooks.example/x\"\n\
             [[destinations]]\nname = \"chat\"\nkind = \"irc\"\nurl = \"https://x.example/\"\n\
             [[destinations]]\nname = \"bad\"\nkind = \"webhook\"\nurl = \"https://x.example/\"\n\
             secret_env = \"BRIEFWATCH_TEST_UNSET_SECRET\"\n",
        )
        .unwrap_err();
        assert!(e.contains("destinations[0].secret_file"), "{e}");
        assert!(e.contains("destinations[1].kind"), "{e}");
        assert!(e.contains("BRIEFWATCH_TEST_UNSET_SECRET is not set"), "{e}");
    }

    #[test]
    fn a_malformed_secret_is_refused_without_printing_it() {
        let e = load(
            &[("s", "not-a-secret-value")],
            "[[destinations]]\nname = \"ops\"\nkind = \"webhook\"\nurl = \"https://hooks.example/x\"\n\
             secret_file = \"s\"\n",
        )
        .unwrap_err();
        assert!(e.contains("whsec_"), "{e}");
        assert!(!e.contains("not-a-secret-value"), "{e}");
    }

    #[test]
    fn delivery_schedule_parses() {
        let c = load(
            &[],
            "[delivery]\nretry_schedule = [\"0s\", \"200ms\", \"1s\"]\ntimeout_secs = 3\n",
        )
        .unwrap();
        assert_eq!(c.delivery.retry_schedule.len(), 3);
        assert_eq!(c.delivery.timeout.as_secs(), 3);
        let e = load(&[], "[delivery]\nretry_schedule = [\"soon\"]\n").unwrap_err();
        assert!(e.contains("delivery.retry_schedule[0]"), "{e}");
    }
}
