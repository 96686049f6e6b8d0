//! Loads the TOML config in two stages (raw serde shape → validated [`Config`]); the only reader of the
//! config file and of the files it names (topic pack, gazetteer). Does not open the store or the network.
//!
//! Unknown keys are errors. Relative paths resolve against the config file's folder. Validation reports
//! every problem at once, each with the key it concerns.
//!
//! - `raw`: the serde shapes, exactly as written.
//! - one module per section, each with its validated type and its validation:
//!   `storage`, `fetch`, `stories`, `sources`, `classify`, `destinations` (with `[delivery]`),
//!   `alerts`, `digests` (with `[smtp]`), `server`, `websub`.

mod alerts;
mod classify;
mod destinations;
mod digests;
mod fetch;
pub mod paths;
mod raw;
mod server;
mod sources;
mod storage;
mod stories;
mod websub;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use classify::{ClassifyConfig, PackFileError, load_gazetteer_file, load_pack_file};
pub use destinations::{
    DeliveryConfig, Destination, DestinationKind, Secret, default_retry_schedule,
};
pub use digests::{DEFAULT_MAX_STORIES, DigestConfig, SmtpConfig, SmtpTls};
pub use fetch::{AllowedHost, FetchConfig};
pub use server::ServerConfig;
pub use sources::{check_source_name, parse_source_url};
pub use storage::StorageConfig;
pub use stories::{DEFAULT_STORY_WINDOW, StoriesConfig};
pub use websub::WebSubConfig;

use crate::model::SourceSpec;
use crate::transforms::route::Route;

/// The first place the config is looked for when neither `--config` nor `BRIEFWATCH_CONFIG`
/// names one (relative to the working directory: a checkout); see [`paths`] for the others.
pub const DEFAULT_CONFIG_PATH: &str = "config/briefwatch.toml";

/// A config file that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not have the expected shape (unknown key, wrong type).
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The TOML parser's message, with line, column and key.
        message: String,
    },
    /// No config file was named and none was found where one is looked for.
    #[error(transparent)]
    NotFound(#[from] paths::ConfigNotFound),
    /// The file parsed but some values are invalid.
    #[error("{}", render_problems(path, problems))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem found.
        problems: Vec<Problem>,
    },
}

/// One invalid value: the key it sits under and why it is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted key, e.g. `sources[2].url` or `fetch.timeout_secs`.
    pub key: String,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "key `{}`: {}", self.key, self.reason)
    }
}

fn render_problems(path: &Path, problems: &[Problem]) -> String {
    let mut out = format!("{}: {} problem(s)", path.display(), problems.len());
    for p in problems {
        out.push_str(&format!("\n  {}: {p}", path.display()));
    }
    out
}

/// A single value that does not parse: a source name, source URL, interval or allowed host. Its
/// message is the reason shown under the value's key.
#[derive(Debug, thiserror::Error)]
pub enum ValueError {
    /// An empty (or all-space) source name.
    #[error("must not be empty")]
    EmptyName,
    /// A source name with surrounding whitespace or control characters.
    #[error("{name:?} has surrounding whitespace or control characters")]
    UnprintableName {
        /// The name.
        name: String,
    },
    /// A source URL that does not parse.
    #[error("invalid URL {input:?}: {source}")]
    Url {
        /// The URL as written.
        input: String,
        /// Why it does not parse.
        source: url::ParseError,
    },
    /// An http(s) source URL without a host.
    #[error("URL {input:?} has no host")]
    UrlWithoutHost {
        /// The URL as written.
        input: String,
    },
    /// A source URL whose scheme is not http or https.
    #[error("URL {input:?} uses scheme {scheme:?}; only http and https are fetched")]
    UrlScheme {
        /// The URL as written.
        input: String,
        /// Its scheme.
        scheme: String,
    },
    /// An interval that does not parse.
    #[error("invalid interval {input:?}: {source} (examples: \"90s\", \"15m\", \"1h\")")]
    Interval {
        /// The interval as written.
        input: String,
        /// Why it does not parse.
        source: humantime::DurationError,
    },
    /// An interval under one second.
    #[error("interval {input:?} is shorter than one second")]
    IntervalTooShort {
        /// The interval as written.
        input: String,
    },
    /// A `fetch.allow_hosts` entry that does not parse as `host` or `host:port`.
    #[error("invalid host {input:?}: {source} (expected \"host\" or \"host:port\")")]
    AllowedHost {
        /// The entry as written.
        input: String,
        /// Why it does not parse.
        source: url::ParseError,
    },
    /// A `fetch.allow_hosts` entry without a host.
    #[error("invalid host {input:?}")]
    AllowedHostMissing {
        /// The entry as written.
        input: String,
    },
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub file: PathBuf,
    /// Database settings.
    pub storage: StorageConfig,
    /// HTTP client and scheduling settings.
    pub fetch: FetchConfig,
    /// Story clustering settings.
    pub stories: StoriesConfig,
    /// Sources declared in the file, in order.
    pub sources: Vec<SourceSpec>,
    /// Topic and entity tagging.
    pub classify: ClassifyConfig,
    /// Where alerts go.
    pub destinations: Vec<Destination>,
    /// Alert rules, compiled.
    pub alerts: Vec<Route>,
    /// How deliveries are retried and bounded.
    pub delivery: DeliveryConfig,
    /// The mail server digests go through, when configured.
    pub smtp: Option<SmtpConfig>,
    /// Scheduled digest emails.
    pub digests: Vec<DigestConfig>,
    /// The health and metrics endpoint, when configured.
    pub server: Option<ServerConfig>,
    /// The WebSub subscriber, when active (`[server]` with `listen` and `public_url`).
    pub websub: Option<WebSubConfig>,
}

impl Config {
    /// Reads and validates the config file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml_in(
            &text,
            path,
            paths::default_db_path(path, &paths::PathEnv::from_process()),
        )
    }

    /// Validates config text as if it had been read from `path` (which anchors relative paths);
    /// the database defaults to `data/briefwatch.db` beside it.
    pub fn from_toml(text: &str, path: &Path) -> Result<Config, ConfigError> {
        Self::from_toml_in(text, path, None)
    }

    /// [`Config::from_toml`] with the database at `default_db` when `[storage] path` is not set
    /// (see [`paths::default_db_path`]).
    pub fn from_toml_in(
        text: &str,
        path: &Path,
        default_db: Option<PathBuf>,
    ) -> Result<Config, ConfigError> {
        let raw: raw::RawConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let mut problems = Vec::new();
        let storage = storage::validate_storage(raw.storage, &base, default_db, &mut problems);
        let fetch = fetch::validate_fetch(raw.fetch, &mut problems);
        let sources = sources::validate_sources(raw.sources, &fetch, &mut problems);
        let stories = stories::validate_stories(raw.stories, &mut problems);
        let classify = classify::validate_classify(raw.classify, &base, &mut problems);
        let delivery = destinations::validate_delivery(raw.delivery, &mut problems);
        let destinations =
            destinations::validate_destinations(raw.destinations, &delivery, &base, &mut problems);
        let alerts = alerts::validate_alerts(raw.alerts, &classify, &destinations, &mut problems);
        let server = server::validate_server(raw.server, &base, &mut problems);
        let websub = websub::validate_websub(raw.websub, server.as_ref(), &mut problems);
        let smtp_given = raw.smtp.is_some();
        let smtp = digests::validate_smtp(raw.smtp, &base, &mut problems);
        let digests =
            digests::validate_digests(raw.digests, smtp_given, &classify, &sources, &mut problems);
        if !problems.is_empty() {
            return Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                problems,
            });
        }
        Ok(Config {
            file: path.to_path_buf(),
            storage,
            fetch,
            stories,
            sources,
            classify,
            destinations,
            alerts,
            delivery,
            smtp,
            digests,
            server,
            websub,
        })
    }
}

/// `p`, or `p` under `base` when relative.
fn resolve(base: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// Parses an interval such as `15m`, `1h 30m` or `90s`; at least one second.
pub fn parse_interval(s: &str) -> Result<Duration, ValueError> {
    let d = humantime::parse_duration(s).map_err(|source| ValueError::Interval {
        input: s.to_string(),
        source,
    })?;
    if d < Duration::from_secs(1) {
        return Err(ValueError::IntervalTooShort {
            input: s.to_string(),
        });
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Validates `text` as the config file of a temporary folder holding `files` (name, content).
    pub(super) fn load_in_dir(
        files: &[(&str, &str)],
        text: &str,
    ) -> (tempfile::TempDir, Result<Config, ConfigError>) {
        let dir = tempfile::tempdir().unwrap();
        for (name, content) in files {
            std::fs::write(dir.path().join(name), content).unwrap();
        }
        let c = Config::from_toml(text, &dir.path().join("bw.toml"));
        (dir, c)
    }

    /// Validates `text` as if read from `/etc/bw/briefwatch.toml`.
    pub(super) fn load(text: &str) -> Result<Config, ConfigError> {
        Config::from_toml(text, Path::new("/etc/bw/briefwatch.toml"))
    }

    #[test]
    fn relative_storage_path_resolves_against_config_folder() {
        let c = load("[storage]\npath = \"data/x.db\"\n").unwrap();
        assert_eq!(c.storage.path, PathBuf::from("/etc/bw/data/x.db"));
    }

    #[test]
    fn keep_days_is_read_in_days_and_zero_is_refused() {
        let c = load("[storage]\nkeep_days = 30\n").unwrap();
        assert_eq!(c.storage.keep, Some(Duration::from_secs(30 * 86_400)));
        let e = load("[storage]\nkeep_days = 0\n").unwrap_err().to_string();
        assert!(e.contains("storage.keep_days"), "{e}");
    }

    #[test]
    fn unknown_key_is_rejected_with_its_name() {
        let e = load("[fetch]\ntimeout = 3\n").unwrap_err().to_string();
        assert!(e.contains("timeout"), "{e}");
        assert!(e.contains("/etc/bw/briefwatch.toml"), "{e}");
    }

    #[test]
    fn every_problem_is_reported_with_its_key() {
        let e = load(
            r#"
[fetch]
concurrency = 0
[[sources]]
name = "a"
url = "ftp://x/"
[[sources]]
name = "a"
url = "https://ok.example/"
interval = "soon"
"#,
        )
        .unwrap_err();
        let ConfigError::Invalid { problems, .. } = e else {
            panic!("not Invalid")
        };
        let keys: Vec<_> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "fetch.concurrency",
                "sources[0].url",
                "sources[1].name",
                "sources[1].interval"
            ]
        );
    }

    #[test]
    fn shipped_example_config_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/briefwatch.toml");
        let c = Config::load(&path).unwrap();
        assert!(!c.sources.is_empty());
    }
}
