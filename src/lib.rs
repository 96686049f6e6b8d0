//! briefwatch: watches feeds and brief-publishing sites, stores new briefs in SQLite and serves them back.
//!
//! Module map, in pipeline order:
//!
//! - [`config`]: raw TOML shape → validated [`config::Config`]; the only place that reads the config file.
//! - [`model`]: plain data shared by every stage (sources, briefs, fetch outcomes); no I/O.
//! - [`decode`]: bytes in any character set to UTF-8, feed and page dates to UTC; below sources and
//!   transforms.
//! - [`scheduler`]: when each source is next due (intervals, backoff, jitter); no HTTP, no SQL.
//! - [`sources`]: fetch bytes over HTTP and parse them (feeds, listing and article pages) into raw
//!   briefs; never writes SQL.
//! - [`transforms`]: pure, synchronous functions over owned data (HTML → text, sanitising, canonical
//!   URLs, fingerprints, topic classification, article extraction).
//! - [`store`]: the only module that speaks SQL.
//! - [`pipeline`]: one poll of a set of sources: fetch → parse (→ article pages) → normalise →
//!   classify → persist.
//! - [`sinks`]: alert messages rendered, escaped and signed per destination kind, the dispatcher that
//!   delivers them, and digest emails (schedules, content, rendering, SMTP).
//! - [`maintenance`]: the daemon's daily prune of briefs past `[storage] keep_days`.
//! - [`metrics`]: the Prometheus metrics, counted where things happen.
//! - [`websub`]: the WebSub subscriber: subscriptions at the hubs feeds announce, leases, the
//!   `/websub/{id}` callback, signed pushes handed to the daemon's pipeline.
//! - [`server`]: the HTTP endpoint (`[server] listen`): health checks, metrics, and with a token the
//!   JSON API and the web dashboard.
//! - [`views`]: the JSON shapes of briefs, stories, sources and deliveries that the CLI's `--json`
//!   and the JSON API both print (one contract, described in the OpenAPI document).
//! - [`app`]: the daemon's lifecycle (signals, reload, shutdown order); wiring only.
//! - [`demo`]: `briefwatch demo`: a news site, webhook receiver and SMTP sink on loopback, the
//!   daemon run on them through [`app`], and a narration of what it stores, merges and sends.
//! - [`systemd`]: the notify protocol (READY, RELOADING, STOPPING, STATUS, WATCHDOG) the daemon
//!   speaks to its service manager.
//! - [`logging`]: the tracing subscriber: human or JSON lines, journald priority prefixes under systemd.
//! - [`errors`]: one-line rendering of error chains for logs and stored messages.
//! - [`opml`]: OPML 2.0 import and export of subscriptions.
//! - [`cli`]: the command-line interface over the same data.

pub mod app;
pub mod cli;
pub mod config;
pub mod decode;
pub mod demo;
pub mod errors;
pub mod logging;
pub mod maintenance;
pub mod metrics;
pub mod model;
pub mod opml;
pub mod pipeline;
pub mod scheduler;
pub mod server;
pub mod sinks;
pub mod sources;
pub mod store;
pub mod systemd;
pub mod transforms;
pub mod views;
pub mod websub;

/// The version `--version` prints: the package version and the git commit it was built from
/// (`unknown` when built outside a git checkout, e.g. from a crates.io tarball).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("BRIEFWATCH_GIT_COMMIT"),
    ")"
);

/// The User-Agent sent with every request, so that origin operators can see who is polling them.
pub const USER_AGENT: &str = concat!(
    "briefwatch/",
    env!("CARGO_PKG_VERSION"),
    " (+https://github.com/briefwatch/briefwatch; feed poller)"
);
