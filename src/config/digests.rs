//! `[smtp]` and `[[digests]]`: the mail server digests are sent through (host, port, TLS mode,
//! credentials read from a file, an environment variable or a systemd credential, timeouts) and
//! each digest's schedule, recipients, filters and wording, validated against the topic pack, the
//! gazetteer and the sources.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::Mailbox;

use super::Problem;
use super::classify::ClassifyConfig;
use super::destinations::{Secret, SecretSource};
use super::raw::{RawDigest, RawSmtp};
use super::resolve;
use crate::errors::chain;
use crate::model::SourceSpec;
use crate::sinks::digest::{Schedule, check_subject_template};

/// How the connection to the mail server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain SMTP, for a relay on the same host or network (port 25 by default).
    None,
    /// Plain connection upgraded with STARTTLS, which is then required (port 587 by default).
    Starttls,
    /// TLS from the first byte, "implicit TLS" (port 465 by default).
    Tls,
}

impl SmtpTls {
    /// The name used in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            SmtpTls::None => "none",
            SmtpTls::Starttls => "starttls",
            SmtpTls::Tls => "tls",
        }
    }

    fn default_port(self) -> u16 {
        match self {
            SmtpTls::None => 25,
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
        }
    }
}

/// A validated `[smtp]` section.
#[derive(Debug, Clone, PartialEq)]
pub struct SmtpConfig {
    /// The server's host name (also the name its TLS certificate must carry).
    pub host: String,
    /// Its port.
    pub port: u16,
    /// How the connection is secured.
    pub tls: SmtpTls,
    /// The `From:` mailbox, also the envelope sender.
    pub from: Mailbox,
    /// Login, when the server wants one.
    pub username: Option<String>,
    /// The password for `username`.
    pub password: Option<Secret>,
    /// Timeout of each network step of a send.
    pub timeout: Duration,
    /// An extra PEM certificate authority to trust (a private relay's own CA).
    pub ca_file: Option<PathBuf>,
}

/// A validated `[[digests]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestConfig {
    /// Unique name: the key of its runs in the store and of its `Message-ID`s.
    pub name: String,
    /// When it goes out.
    pub schedule: Schedule,
    /// Recipients.
    pub to: Vec<Mailbox>,
    /// Topics listed; empty: every topic.
    pub topics: Vec<String>,
    /// Sources whose stories are listed; empty: every source.
    pub sources: Vec<String>,
    /// Lowest topic score listed.
    pub min_score: f32,
    /// Entities (canonical, lower-cased) a story must mention, any of them; empty: no condition.
    pub entities: Vec<String>,
    /// Most stories listed; the rest are counted in the footer.
    pub max_stories: usize,
    /// The subject template (variables `name`, `count`, `date`, `period_start`, `period_end`).
    pub subject: Option<String>,
    /// Send a digest saying "nothing new" when no story matched, rather than nothing.
    pub send_empty: bool,
    /// The `List-Unsubscribe` target (`https:` or `mailto:`), also shown in the footer.
    pub unsubscribe: Option<String>,
}

/// The default of `max_stories`.
pub const DEFAULT_MAX_STORIES: usize = 50;

/// Checks `[smtp]`: `None` when absent. A digest without `[smtp]` is a problem reported by
/// [`validate_digests`].
pub(super) fn validate_smtp(
    raw: Option<RawSmtp>,
    base: &Path,
    problems: &mut Vec<Problem>,
) -> Option<SmtpConfig> {
    let raw = raw?;
    let before = problems.len();
    let mut problem = |field: &str, reason: String| {
        problems.push(Problem {
            key: format!("smtp.{field}"),
            reason,
        })
    };
    let host = raw.host.unwrap_or_else(|| "localhost".to_owned());
    if host.trim().is_empty() || host.contains(char::is_whitespace) {
        problem("host", format!("{host:?} is not a host name"));
    }
    let tls = match raw.tls.as_deref().unwrap_or("starttls") {
        "none" => SmtpTls::None,
        "starttls" => SmtpTls::Starttls,
        "tls" => SmtpTls::Tls,
        other => {
            problem(
                "tls",
                format!("unknown mode {other:?}; expected none, starttls or tls"),
            );
            SmtpTls::None
        }
    };
    let port = raw.port.unwrap_or_else(|| tls.default_port());
    if port == 0 {
        problem("port", "must be between 1 and 65535".into());
    }
    let from = match raw.from.as_deref().map(str::parse::<Mailbox>) {
        Some(Ok(m)) => Some(m),
        Some(Err(e)) => {
            problem(
                "from",
                format!(
                    "{:?} is not a mailbox ({e}); write \"Name <user@example.org>\" or user@example.org",
                    raw.from.as_deref().unwrap_or_default()
                ),
            );
            None
        }
        None => {
            problem(
                "from",
                "missing: the sender, e.g. \"briefwatch <briefwatch@example.org>\"".into(),
            );
            None
        }
    };
    let password = SecretSource {
        file: raw.password_file.as_deref(),
        env: raw.password_env.as_deref(),
        credential: raw.password_credential.as_deref(),
    }
    .read(base)
    .unwrap_or_else(|e| {
        problem("password_file", chain(&e).to_string());
        None
    });
    if password.is_some() && raw.username.is_none() {
        problem("username", "a password is given but no username".into());
    }
    if raw.username.is_some() && password.is_none() {
        problem(
            "password_file",
            "username needs a password (password_file, password_env or password_credential)".into(),
        );
    }
    if password.is_some() && tls == SmtpTls::None && !is_loopback(&host) {
        problem(
            "tls",
            format!(
                "\"none\" would send the password in clear text to {host}; use starttls or tls"
            ),
        );
    }
    let timeout = Duration::from_secs(raw.timeout_secs.unwrap_or(30));
    if timeout.is_zero() {
        problem("timeout_secs", "must be at least 1".into());
    }
    let ca_file = raw.ca_file.map(|f| resolve(base, &f));
    if let Some(f) = &ca_file
        && let Err(e) = std::fs::metadata(f)
    {
        problem("ca_file", format!("cannot read {}: {e}", f.display()));
    }
    if problems.len() > before {
        return None;
    }
    Some(SmtpConfig {
        host,
        port,
        tls,
        from: from?,
        username: raw.username,
        password,
        timeout,
        ca_file,
    })
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Checks every `[[digests]]` entry; an entry with any problem is left out.
pub(super) fn validate_digests(
    raw: Vec<RawDigest>,
    smtp_given: bool,
    classify: &ClassifyConfig,
    sources: &[SourceSpec],
    problems: &mut Vec<Problem>,
) -> Vec<DigestConfig> {
    if !raw.is_empty() && !smtp_given {
        problems.push(Problem {
            key: "smtp".into(),
            reason: "digests are configured but [smtp] is missing".into(),
        });
    }
    let topic_ids: HashSet<&str> = classify.pack.topics.iter().map(|t| t.id.as_str()).collect();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, d) in raw.into_iter().enumerate() {
        let before = problems.len();
        let name = d.name.clone();
        let mut problem = |field: &str, reason: String| {
            problems.push(Problem {
                key: format!("digests[{i}].{field}"),
                reason: format!("digest {name:?}: {reason}"),
            })
        };
        if d.name.trim().is_empty() || d.name.chars().any(char::is_control) {
            problem("name", "must be a non-empty printable name".into());
        } else if !seen.insert(d.name.clone()) {
            problem("name", "duplicate digest name".into());
        }
        let schedule = Schedule::parse(&d.schedule)
            .map_err(|e| problem("schedule", e.to_string()))
            .ok();
        let mut to = Vec::new();
        for addr in &d.to {
            match addr.parse::<Mailbox>() {
                Ok(m) => to.push(m),
                Err(e) => problem("to", format!("{addr:?} is not a mailbox ({e})")),
            }
        }
        if d.to.is_empty() {
            problem("to", "names no recipient".into());
        }
        for t in &d.topics {
            if !topic_ids.contains(t.as_str()) {
                problem(
                    "topics",
                    format!("unknown topic {t:?} (not in the topic pack)"),
                );
            }
        }
        for s in &d.sources {
            if !sources.iter().any(|x| &x.name == s) {
                problem("sources", format!("unknown source {s:?}"));
            }
        }
        let mut entities = Vec::new();
        for e in &d.entities {
            match classify.gazetteer.canonical(e) {
                Some(c) => entities.push(c.to_lowercase()),
                None => problem(
                    "entities",
                    format!("unknown entity {e:?} (not in the gazetteer)"),
                ),
            }
        }
        let min_score = d.min_score.unwrap_or(classify.min_score);
        if !(0.0..=1.0).contains(&min_score) {
            problem(
                "min_score",
                format!("must be between 0 and 1, not {min_score}"),
            );
        }
        let max_stories = d.max_stories.unwrap_or(DEFAULT_MAX_STORIES);
        if max_stories == 0 {
            problem("max_stories", "must be at least 1".into());
        }
        if let Some(t) = &d.subject
            && let Err(e) = check_subject_template(t)
        {
            problem("subject", e.to_string());
        }
        if let Some(u) = &d.unsubscribe {
            let ok =
                url::Url::parse(u).is_ok_and(|p| matches!(p.scheme(), "https" | "http" | "mailto"));
            if !ok {
                problem(
                    "unsubscribe",
                    format!("{u:?} is not an https: or mailto: URL"),
                );
            }
        }
        if problems.len() > before {
            continue;
        }
        let Some(schedule) = schedule else { continue };
        out.push(DigestConfig {
            name: d.name,
            schedule,
            to,
            topics: d.topics,
            sources: d.sources,
            min_score,
            entities,
            max_stories,
            subject: d.subject,
            send_empty: d.send_empty.unwrap_or(false),
            unsubscribe: d.unsubscribe,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::{load, load_in_dir};
    use super::*;

    const SMTP: &str =
        "[smtp]\nhost = \"mail.example.org\"\nfrom = \"briefwatch <bw@example.org>\"\n";

    #[test]
    fn a_digest_is_read_with_its_defaults() {
        let c = load(&format!(
            "{SMTP}[[digests]]\nname = \"morning\"\nschedule = \"daily 07:30 Europe/London\"\n\
             to = [\"desk@example.org\"]\ntopics = [\"ceasefire\"]\n"
        ))
        .unwrap();
        let smtp = c.smtp.unwrap();
        assert_eq!((smtp.tls, smtp.port), (SmtpTls::Starttls, 587));
        let d = &c.digests[0];
        assert_eq!(d.schedule.to_string(), "daily 07:30 Europe/London");
        assert_eq!(d.to[0].email.to_string(), "desk@example.org");
        assert_eq!(d.max_stories, DEFAULT_MAX_STORIES);
        assert!(!d.send_empty);
    }

    #[test]
    fn every_bad_value_is_reported_with_digest_and_key() {
        let e = load(
            "[smtp]\nfrom = \"not a mailbox\"\ntls = \"ssl\"\n[[digests]]\nname = \"m\"\n\
             schedule = \"daily 25:00 Europe/London\"\nto = [\"nobody\"]\ntopics = [\"cease_fire\"]\n\
             subject = \"{{ nope }}\"\nunsubscribe = \"javascript:alert(1)\"\nmax_stories = 0\n",
        )
        .unwrap_err()
        .to_string();
        for key in [
            "smtp.from",
            "smtp.tls",
            "digests[0].schedule",
            "digests[0].to",
            "digests[0].topics",
            "digests[0].subject",
            "digests[0].unsubscribe",
            "digests[0].max_stories",
        ] {
            assert!(e.contains(key), "{key} missing from: {e}");
        }
        assert!(
            e.contains("cease_fire") && e.contains("digest \"m\""),
            "{e}"
        );
    }

    #[test]
    fn a_digest_without_smtp_is_a_problem() {
        let e =
            load("[[digests]]\nname = \"m\"\nschedule = \"every 6h\"\nto = [\"a@b.example\"]\n")
                .unwrap_err()
                .to_string();
        assert!(e.contains("key `smtp`"), "{e}");
    }

    #[test]
    fn the_password_comes_from_a_file_and_never_prints() {
        let (_dir, c) = load_in_dir(
            &[("pw", "hunter2\n")],
            "[smtp]\nhost = \"mail.example.org\"\nfrom = \"bw@example.org\"\nusername = \"bw\"\n\
             password_file = \"pw\"\n",
        );
        let smtp = c.unwrap().smtp.unwrap();
        assert_eq!(smtp.password.as_ref().unwrap().expose(), "hunter2");
        assert!(!format!("{smtp:?}").contains("hunter2"));
    }

    #[test]
    fn a_password_in_clear_text_to_a_remote_host_is_refused() {
        let (_dir, c) = load_in_dir(
            &[("pw", "hunter2")],
            "[smtp]\nhost = \"mail.example.org\"\ntls = \"none\"\nfrom = \"bw@example.org\"\n\
             username = \"bw\"\npassword_file = \"pw\"\n",
        );
        let e = c.unwrap_err().to_string();
        assert!(e.contains("smtp.tls") && !e.contains("hunter2"), "{e}");
    }
}
