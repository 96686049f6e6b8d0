//! The raw serde shapes of the config file, exactly as written: unknown keys are errors, every
//! value optional. Validation into the typed sections happens in the section modules.

use serde::Deserialize;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(default)]
    pub storage: RawStorage,
    #[serde(default)]
    pub fetch: RawFetch,
    #[serde(default)]
    pub stories: RawStories,
    #[serde(default)]
    pub sources: Vec<RawSource>,
    #[serde(default)]
    pub classify: RawClassify,
    #[serde(default)]
    pub destinations: Vec<RawDestination>,
    #[serde(default)]
    pub alerts: Vec<RawAlert>,
    #[serde(default)]
    pub delivery: RawDelivery,
    pub smtp: Option<RawSmtp>,
    pub server: Option<RawServer>,
    #[serde(default)]
    pub digests: Vec<RawDigest>,
    pub websub: Option<RawWebSub>,
}

/// `[classify]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawClassify {
    /// Topic pack file, relative to the config file; the built-in pack when absent.
    pub topics: Option<String>,
    /// Gazetteer extension file, relative to the config file.
    pub entities: Option<String>,
    /// Lowest score reported, in [0, 1].
    pub min_score: Option<f32>,
}

/// `[stories]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStories {
    pub window: Option<String>,
}

/// `[storage]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStorage {
    pub path: Option<String>,
    pub keep_days: Option<u64>,
}

/// `[fetch]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFetch {
    pub timeout_secs: Option<u64>,
    pub connect_timeout_secs: Option<u64>,
    pub max_body_bytes: Option<u64>,
    pub max_redirects: Option<usize>,
    pub concurrency: Option<usize>,
    pub per_host_concurrency: Option<usize>,
    pub allow_private_networks: Option<bool>,
    pub allow_hosts: Option<Vec<String>>,
    pub default_interval: Option<String>,
}

/// One `[[sources]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    pub name: String,
    pub url: String,
    pub kind: Option<String>,
    pub interval: Option<String>,
    pub fetch_full_article: Option<bool>,
    pub max_articles: Option<usize>,
    pub adaptive: Option<bool>,
    pub min_interval: Option<String>,
    pub max_interval: Option<String>,
    pub html: Option<RawHtml>,
}

/// `[sources.html]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHtml {
    pub links: Option<String>,
    pub next_page: Option<String>,
    pub max_pages: Option<usize>,
    pub title: Option<String>,
    pub body: Option<String>,
    pub published: Option<String>,
    pub author: Option<String>,
}

/// One `[[destinations]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDestination {
    pub name: String,
    pub kind: String,
    pub url: Option<String>,
    pub url_file: Option<String>,
    pub url_env: Option<String>,
    pub url_credential: Option<String>,
    pub secret_file: Option<String>,
    pub secret_env: Option<String>,
    pub secret_credential: Option<String>,
    pub headers_file: Option<String>,
    pub timeout_secs: Option<u64>,
    pub priority: Option<u8>,
    pub tags: Option<Vec<String>>,
}

/// One `[[alerts]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAlert {
    pub name: String,
    #[serde(default)]
    pub topics: Vec<String>,
    #[serde(default)]
    pub all_topics: bool,
    pub min_score: Option<f32>,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub entities: Vec<String>,
    pub query: Option<String>,
    #[serde(default)]
    pub destinations: Vec<String>,
    pub throttle: Option<RawThrottle>,
}

/// `throttle = { max = 10, window = "1h" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawThrottle {
    pub max: u32,
    pub window: String,
}

/// `[delivery]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDelivery {
    pub retry_schedule: Option<Vec<String>>,
    pub timeout_secs: Option<u64>,
    pub concurrency: Option<usize>,
    pub poll_once_timeout_secs: Option<u64>,
}

/// `[smtp]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSmtp {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub tls: Option<String>,
    pub from: Option<String>,
    pub username: Option<String>,
    pub password_file: Option<String>,
    pub password_env: Option<String>,
    pub password_credential: Option<String>,
    pub timeout_secs: Option<u64>,
    pub ca_file: Option<String>,
}

/// One `[[digests]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDigest {
    pub name: String,
    pub schedule: String,
    #[serde(default)]
    pub to: Vec<String>,
    #[serde(default)]
    pub topics: Vec<String>,
    #[serde(default)]
    pub sources: Vec<String>,
    pub min_score: Option<f32>,
    #[serde(default)]
    pub entities: Vec<String>,
    pub max_stories: Option<usize>,
    pub subject: Option<String>,
    pub send_empty: Option<bool>,
    pub unsubscribe: Option<String>,
}

/// `[server]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServer {
    pub listen: String,
    pub public_url: Option<String>,
    pub token_file: Option<String>,
    pub token_env: Option<String>,
    pub token_credential: Option<String>,
}

/// `[websub]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWebSub {
    pub enabled: Option<bool>,
    pub safety_net_interval: Option<String>,
    pub lease: Option<String>,
    pub verify_timeout: Option<String>,
}
