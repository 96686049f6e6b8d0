//! Loads the TOML config in two stages (raw serde shape → validated [`Config`]); the only reader of the file.
//!
//! Unknown keys are errors. Relative paths resolve against the config file's folder. Validation reports
//! every problem at once, each with the key it concerns.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use crate::model::{
    DEFAULT_MAX_ARTICLES, DEFAULT_MAX_PAGES, HtmlSettings, SourceKind, SourceOrigin,
    SourceSettings, SourceSpec,
};
use crate::transforms::classify::{self, Classifier, Gazetteer, Model, Pack};

/// Where the config is looked for when neither `--config` nor `BRIEFWATCH_CONFIG` names one.
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
}

/// `[classify]`: the topic pack, entity gazetteer and reporting threshold, loaded and compiled.
#[derive(Debug, Clone)]
pub struct ClassifyConfig {
    /// The pack file (absolute), or `None` for the built-in default pack.
    pub topics_file: Option<PathBuf>,
    /// The compiled pack.
    pub pack: Arc<Pack>,
    /// The gazetteer extension file (absolute), if any.
    pub entities_file: Option<PathBuf>,
    /// The built-in gazetteer plus the extension.
    pub gazetteer: Arc<Gazetteer>,
    /// Topics scoring below this are not reported (0.5: a topic's threshold just reached).
    pub min_score: f32,
}

impl Default for ClassifyConfig {
    fn default() -> Self {
        ClassifyConfig {
            topics_file: None,
            pack: Arc::new(Pack::default_pack()),
            entities_file: None,
            gazetteer: Arc::new(Gazetteer::builtin()),
            min_score: classify::DEFAULT_MIN_SCORE,
        }
    }
}

impl ClassifyConfig {
    /// A classifier for this configuration, with an optional trained model.
    pub fn classifier(&self, model: Option<Model>) -> Classifier {
        Classifier::with_gazetteer((*self.pack).clone(), (*self.gazetteer).clone(), model)
            .with_min_score(self.min_score)
    }
}

/// `[stories]`: how near-duplicates from several sources are grouped.
#[derive(Debug, Clone)]
pub struct StoriesConfig {
    /// How far apart two briefs may be published and still be one story.
    pub window: Duration,
}

/// `[storage]`.
#[derive(Debug, Clone)]
pub struct StorageConfig {
    /// SQLite database file (absolute).
    pub path: PathBuf,
}

/// `[fetch]`: limits and politeness of the one HTTP client.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// Whole-request timeout, body included.
    pub timeout: Duration,
    /// TCP + TLS connect timeout.
    pub connect_timeout: Duration,
    /// Largest body accepted, counted after decompression.
    pub max_body_bytes: u64,
    /// Most redirects followed for one request.
    pub max_redirects: usize,
    /// Most requests in flight at once.
    pub concurrency: usize,
    /// Most requests in flight to one host at once.
    pub per_host_concurrency: usize,
    /// Allow loopback, private and link-local targets.
    pub allow_private_networks: bool,
    /// Hosts allowed even when private (`host` or `host:port`).
    pub allow_hosts: Vec<AllowedHost>,
    /// Interval for sources that do not set one (imported ones, for instance).
    pub default_interval: Duration,
}

/// An entry of `fetch.allow_hosts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    /// Lower-case host name or IP literal (IPv6 without brackets).
    pub host: String,
    /// The port, or any port when absent.
    pub port: Option<u16>,
}

impl AllowedHost {
    /// Whether this entry allows `url`'s host and port.
    pub fn matches(&self, url: &Url) -> bool {
        let host = match url.host() {
            Some(url::Host::Ipv6(a)) => a.to_string(),
            Some(h) => h.to_string().to_ascii_lowercase(),
            None => return false,
        };
        host == self.host
            && self
                .port
                .is_none_or(|p| Some(p) == url.port_or_known_default())
    }
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_body_bytes: 10 * 1024 * 1024,
            max_redirects: 5,
            concurrency: 32,
            per_host_concurrency: 2,
            allow_private_networks: false,
            allow_hosts: Vec::new(),
            default_interval: Duration::from_secs(15 * 60),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    storage: RawStorage,
    #[serde(default)]
    fetch: RawFetch,
    #[serde(default)]
    stories: RawStories,
    #[serde(default)]
    sources: Vec<RawSource>,
    #[serde(default)]
    classify: RawClassify,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClassify {
    /// Topic pack file, relative to the config file; the built-in pack when absent.
    topics: Option<String>,
    /// Gazetteer extension file, relative to the config file.
    entities: Option<String>,
    /// Lowest score reported, in [0, 1].
    min_score: Option<f32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStories {
    window: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStorage {
    path: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFetch {
    timeout_secs: Option<u64>,
    connect_timeout_secs: Option<u64>,
    max_body_bytes: Option<u64>,
    max_redirects: Option<usize>,
    concurrency: Option<usize>,
    per_host_concurrency: Option<usize>,
    allow_private_networks: Option<bool>,
    allow_hosts: Option<Vec<String>>,
    default_interval: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    name: String,
    url: String,
    kind: Option<String>,
    interval: Option<String>,
    fetch_full_article: Option<bool>,
    max_articles: Option<usize>,
    html: Option<RawHtml>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHtml {
    links: Option<String>,
    next_page: Option<String>,
    max_pages: Option<usize>,
    title: Option<String>,
    body: Option<String>,
    published: Option<String>,
    author: Option<String>,
}

impl Config {
    /// Reads and validates the config file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml(&text, path)
    }

    /// Validates config text as if it had been read from `path` (which anchors relative paths).
    pub fn from_toml(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let mut problems = Vec::new();
        let storage = StorageConfig {
            path: resolve(
                &base,
                raw.storage.path.as_deref().unwrap_or("data/briefwatch.db"),
            ),
        };
        let fetch = validate_fetch(raw.fetch, &mut problems);
        let sources = validate_sources(raw.sources, &fetch, &mut problems);
        let window = match raw.stories.window.as_deref() {
            None => crate::store::DEFAULT_STORY_WINDOW,
            Some(w) => parse_interval(w).unwrap_or_else(|reason| {
                problems.push(Problem {
                    key: "stories.window".into(),
                    reason,
                });
                crate::store::DEFAULT_STORY_WINDOW
            }),
        };
        let classify = validate_classify(raw.classify, &base, &mut problems);
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
            stories: StoriesConfig { window },
            sources,
            classify,
        })
    }
}

fn resolve(base: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

fn positive<T: PartialOrd + Default + Copy>(
    v: Option<T>,
    default: T,
    key: &str,
    problems: &mut Vec<Problem>,
) -> T {
    match v {
        Some(v) if v <= T::default() => {
            problems.push(Problem {
                key: key.into(),
                reason: "must be greater than zero".into(),
            });
            default
        }
        Some(v) => v,
        None => default,
    }
}

fn validate_fetch(raw: RawFetch, problems: &mut Vec<Problem>) -> FetchConfig {
    let d = FetchConfig::default();
    let secs = |v: Option<u64>, d: Duration, key: &str, problems: &mut Vec<Problem>| {
        Duration::from_secs(positive(v, d.as_secs(), key, problems))
    };
    let default_interval = match raw.default_interval.as_deref() {
        None => d.default_interval,
        Some(s) => parse_interval(s).unwrap_or_else(|reason| {
            problems.push(Problem {
                key: "fetch.default_interval".into(),
                reason,
            });
            d.default_interval
        }),
    };
    let mut allow_hosts = Vec::new();
    for (i, h) in raw.allow_hosts.unwrap_or_default().iter().enumerate() {
        match parse_allowed_host(h) {
            Ok(a) => allow_hosts.push(a),
            Err(reason) => problems.push(Problem {
                key: format!("fetch.allow_hosts[{i}]"),
                reason,
            }),
        }
    }
    FetchConfig {
        timeout: secs(raw.timeout_secs, d.timeout, "fetch.timeout_secs", problems),
        connect_timeout: secs(
            raw.connect_timeout_secs,
            d.connect_timeout,
            "fetch.connect_timeout_secs",
            problems,
        ),
        max_body_bytes: positive(
            raw.max_body_bytes,
            d.max_body_bytes,
            "fetch.max_body_bytes",
            problems,
        ),
        max_redirects: raw.max_redirects.unwrap_or(d.max_redirects),
        concurrency: positive(
            raw.concurrency,
            d.concurrency,
            "fetch.concurrency",
            problems,
        ),
        per_host_concurrency: positive(
            raw.per_host_concurrency,
            d.per_host_concurrency,
            "fetch.per_host_concurrency",
            problems,
        ),
        allow_private_networks: raw.allow_private_networks.unwrap_or(false),
        allow_hosts,
        default_interval,
    }
}

/// Loads and compiles the topic pack and gazetteer extension, so that pack errors (with file, topic
/// and rule) are config problems.
fn validate_classify(raw: RawClassify, base: &Path, problems: &mut Vec<Problem>) -> ClassifyConfig {
    let mut out = ClassifyConfig::default();
    if let Some(t) = raw.topics {
        let path = resolve(base, &t);
        match classify::load_pack(&path) {
            Ok(pack) => out.pack = Arc::new(pack),
            Err(e) => problems.push(Problem {
                key: "classify.topics".into(),
                reason: e.to_string(),
            }),
        }
        out.topics_file = Some(path);
    }
    if let Some(e) = raw.entities {
        let path = resolve(base, &e);
        match Gazetteer::load(&path) {
            Ok(extra) => out.gazetteer = Arc::new(Gazetteer::builtin().extended(extra)),
            Err(e) => problems.push(Problem {
                key: "classify.entities".into(),
                reason: e.to_string(),
            }),
        }
        out.entities_file = Some(path);
    }
    match raw.min_score {
        Some(m) if !(0.0..=1.0).contains(&m) => problems.push(Problem {
            key: "classify.min_score".into(),
            reason: format!("must be between 0 and 1, not {m}"),
        }),
        Some(m) => out.min_score = m,
        None => {}
    }
    out
}

fn validate_sources(
    raw: Vec<RawSource>,
    fetch: &FetchConfig,
    problems: &mut Vec<Problem>,
) -> Vec<SourceSpec> {
    let mut out: Vec<SourceSpec> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, s) in raw.into_iter().enumerate() {
        let key = |field: &str| format!("sources[{i}].{field}");
        let before = problems.len();
        if let Err(reason) = check_source_name(&s.name) {
            problems.push(Problem {
                key: key("name"),
                reason,
            });
        } else if !seen.insert(s.name.clone()) {
            problems.push(Problem {
                key: key("name"),
                reason: format!("duplicate source name {:?}", s.name),
            });
        }
        let url = parse_source_url(&s.url).map_err(|reason| {
            problems.push(Problem {
                key: key("url"),
                reason,
            })
        });
        let kind = match s.kind.as_deref() {
            None | Some("feed") => SourceKind::Feed,
            Some("html") => SourceKind::Html,
            Some(other) => {
                problems.push(Problem {
                    key: key("kind"),
                    reason: format!("unknown kind {other:?}; expected \"feed\" or \"html\""),
                });
                SourceKind::Feed
            }
        };
        let interval = match s.interval.as_deref() {
            None => fetch.default_interval,
            Some(v) => parse_interval(v).unwrap_or_else(|reason| {
                problems.push(Problem {
                    key: key("interval"),
                    reason,
                });
                fetch.default_interval
            }),
        };
        let settings = validate_source_settings(
            kind,
            s.html,
            s.fetch_full_article,
            s.max_articles,
            &key,
            problems,
        );
        if let (Ok(url), true) = (url, problems.len() == before) {
            out.push(SourceSpec {
                name: s.name,
                kind,
                url,
                interval,
                origin: SourceOrigin::Config,
                settings,
            });
        }
    }
    out
}

/// Checks the `[sources.html]` selectors (each must parse as CSS; `links` is required for kind
/// `html`) and the article limits.
fn validate_source_settings(
    kind: SourceKind,
    html: Option<RawHtml>,
    fetch_full_article: Option<bool>,
    max_articles: Option<usize>,
    key: &dyn Fn(&str) -> String,
    problems: &mut Vec<Problem>,
) -> SourceSettings {
    let mut settings = SourceSettings {
        fetch_full_article: fetch_full_article.unwrap_or(false),
        max_articles: max_articles.unwrap_or(DEFAULT_MAX_ARTICLES),
        html: None,
    };
    if settings.max_articles == 0 {
        problems.push(Problem {
            key: key("max_articles"),
            reason: "must be at least 1".into(),
        });
    }
    if fetch_full_article.is_some() && kind == SourceKind::Html {
        problems.push(Problem {
            key: key("fetch_full_article"),
            reason: "applies to feeds; an html source always fetches its articles".into(),
        });
    }
    let Some(h) = html else {
        if kind == SourceKind::Html {
            problems.push(Problem {
                key: key("html.links"),
                reason: "an html source needs a `links` CSS selector for the brief links on its page (`briefwatch sources discover URL` proposes one)".into(),
            });
        }
        return settings;
    };
    let mut check = |field: &str, sel: &Option<String>| {
        if let Some(sel) = sel
            && let Err(e) = scraper::Selector::parse(sel)
        {
            problems.push(Problem {
                key: key(&format!("html.{field}")),
                reason: format!("{sel:?} is not a valid CSS selector: {e}"),
            });
        }
    };
    check("links", &h.links);
    check("next_page", &h.next_page);
    check("title", &h.title);
    check("body", &h.body);
    check("published", &h.published);
    check("author", &h.author);
    if kind == SourceKind::Html && h.links.as_deref().is_none_or(|l| l.trim().is_empty()) {
        problems.push(Problem {
            key: key("html.links"),
            reason: "required for an html source: a CSS selector for the brief links on its page"
                .into(),
        });
    }
    if kind == SourceKind::Feed && (h.links.is_some() || h.next_page.is_some()) {
        problems.push(Problem {
            key: key("html.links"),
            reason: "listing selectors apply to kind = \"html\" sources only".into(),
        });
    }
    if h.max_pages == Some(0) {
        problems.push(Problem {
            key: key("html.max_pages"),
            reason: "must be at least 1".into(),
        });
    }
    settings.html = Some(HtmlSettings {
        links: h.links.unwrap_or_default(),
        next_page: h.next_page,
        max_pages: h.max_pages.unwrap_or(DEFAULT_MAX_PAGES),
        title: h.title,
        body: h.body,
        published: h.published,
        author: h.author,
    });
    settings
}

/// Checks that a source name is usable in logs, the CLI and OPML: non-empty, printable, no surrounding space.
pub fn check_source_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("must not be empty".into());
    }
    if name.trim() != name || name.chars().any(char::is_control) {
        return Err(format!(
            "{name:?} has surrounding whitespace or control characters"
        ));
    }
    Ok(())
}

/// Parses a source URL: absolute http(s) only.
pub fn parse_source_url(s: &str) -> Result<Url, String> {
    let url = Url::parse(s.trim()).map_err(|e| format!("invalid URL {s:?}: {e}"))?;
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(url),
        "http" | "https" => Err(format!("URL {s:?} has no host")),
        other => Err(format!(
            "URL {s:?} uses scheme {other:?}; only http and https are fetched"
        )),
    }
}

/// Parses an interval such as `15m`, `1h 30m` or `90s`; at least one second.
pub fn parse_interval(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s)
        .map_err(|e| format!("invalid interval {s:?}: {e} (examples: \"90s\", \"15m\", \"1h\")"))?;
    if d < Duration::from_secs(1) {
        return Err(format!("interval {s:?} is shorter than one second"));
    }
    Ok(d)
}

fn parse_allowed_host(s: &str) -> Result<AllowedHost, String> {
    let url = Url::parse(&format!("http://{}/", s.trim()))
        .map_err(|e| format!("invalid host {s:?}: {e} (expected \"host\" or \"host:port\")"))?;
    let host = match url.host() {
        Some(url::Host::Ipv6(a)) => a.to_string(),
        Some(h) => h.to_string(),
        None => return Err(format!("invalid host {s:?}")),
    };
    Ok(AllowedHost {
        host,
        port: url.port(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Config, ConfigError> {
        Config::from_toml(text, Path::new("/etc/bw/briefwatch.toml"))
    }

    #[test]
    fn relative_storage_path_resolves_against_config_folder() {
        let c = load("[storage]\npath = \"data/x.db\"\n").unwrap();
        assert_eq!(c.storage.path, PathBuf::from("/etc/bw/data/x.db"));
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
    fn allow_hosts_match_host_and_port() {
        let c = load("[fetch]\nallow_hosts = [\"127.0.0.1:8088\", \"Intranet\"]\n").unwrap();
        let ok = |u: &str| {
            c.fetch
                .allow_hosts
                .iter()
                .any(|a| a.matches(&Url::parse(u).unwrap()))
        };
        assert!(ok("http://127.0.0.1:8088/feed"));
        assert!(!ok("http://127.0.0.1:8089/feed"));
        assert!(ok("https://intranet/x"));
    }

    #[test]
    fn classify_defaults_to_the_built_in_pack() {
        let c = load("").unwrap();
        assert!(c.classify.topics_file.is_none());
        assert_eq!(c.classify.pack.topics.len(), 14);
        assert_eq!(c.classify.min_score, 0.5);
    }

    #[test]
    fn classify_pack_and_entities_resolve_against_the_config_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("mine.toml"),
            "[[topic]]\nid = \"x\"\n[topic.terms]\nfoo = 3\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("ents.toml"), "[org]\n\"Acme\" = []\n").unwrap();
        let c = Config::from_toml(
            "[classify]\ntopics = \"mine.toml\"\nentities = \"ents.toml\"\nmin_score = 0.6\n",
            &dir.path().join("bw.toml"),
        )
        .unwrap();
        assert_eq!(c.classify.pack.topic_ids(), ["x"]);
        assert!(
            c.classify
                .gazetteer
                .entities
                .iter()
                .any(|e| e.name == "Acme")
        );
        let hit = c.classify.classifier(None).classify("foo", "Acme");
        assert_eq!(hit.topics[0].id, "x");
        assert_eq!(hit.entities[0].name, "Acme");
    }

    #[test]
    fn broken_topic_rule_is_a_problem_naming_file_topic_and_rule() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("bad.toml"),
            "[[topic]]\nid = \"plots\"\n[topic.terms]\n\"kill*\" = 3\n",
        )
        .unwrap();
        let e = Config::from_toml(
            "[classify]\ntopics = \"bad.toml\"\nmin_score = 2\n",
            &dir.path().join("bw.toml"),
        )
        .unwrap_err();
        let ConfigError::Invalid { problems, .. } = e else {
            panic!("not Invalid")
        };
        assert_eq!(problems[0].key, "classify.topics");
        let r = &problems[0].reason;
        assert!(
            r.contains("bad.toml") && r.contains("`plots`") && r.contains("kill*"),
            "{r}"
        );
        assert_eq!(problems[1].key, "classify.min_score");
    }

    #[test]
    fn shipped_example_config_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/briefwatch.toml");
        let c = Config::load(&path).unwrap();
        assert!(!c.sources.is_empty());
    }
}
