//! Integration tests for briefwatch: the real binary (`CARGO_BIN_EXE_briefwatch`), real config
//! files and SQLite databases in temp dirs, and a real local HTTP origin ([`server`]).
//!
//! Every test owns its temp dir and its server, and bounds every wait with a deadline.
//!
//! - [`polling`]: first poll, conditional re-poll (validators, 304), a changed feed, restart.
//! - [`failures`]: HTTP 500, malformed XML and a hanging origin are counted and recorded.
//! - [`normalise`]: legacy encodings, xml:base, relative links, JSON Feed, guids, dates.
//! - [`feed_quality`]: UTF-16 without a BOM, undeclared HTML entities, a parser panic recorded.
//! - [`search`]: FTS over the body text.
//! - [`stories`]: one article under several URLs, reworded copies, templated headlines, window.
//! - [`check_config`]: exit 0 / exit 2 with file, key and reason.
//! - [`cli_docs`]: `completions` for every shell, `man` (one page, and a page per command) and
//!   `--version` with the git commit.
//! - [`opml`]: import, poll and export of subscriptions.
//! - [`daemon`]: `run` on a 1 s interval, clean exit on SIGTERM / SIGINT, SIGHUP with a broken
//!   and a good config (sources added and removed), integrity of the database after the stop.
//! - [`systemd`]: the notify protocol on a socket the test owns: READY, STATUS, WATCHDOG (and
//!   $WATCHDOG_PID), RELOADING with MONOTONIC_USEC, STOPPING.
//! - [`secrets`]: no canary secret in any output at debug level (poll, dispatch, digest, daemon).
//! - [`security`]: loopback refused unless allowed.
//! - [`hostile`]: gzip bombs, oversized bodies, redirect loops, endless bodies, script, XML
//!   entities and invalid UTF-8 are contained without losing the healthy sources.
//! - [`html_sources`]: listing + pagination + article pages; 304 fetches nothing else; new articles
//!   once; `max_articles`; `fetch_full_article`; selector errors.
//! - [`extract`]: `extract --json` over a file and a loopback URL; a bad input does not stop the rest.
//! - [`topics`]: topics with evidence and entities on polled briefs, `--topic` filters, `classify`,
//!   `reclassify`, labels and training, broken rules.
//! - [`alerts`]: rules, signed webhooks and chat formats delivered once through a real receiver,
//!   retries under one id, 410, 429, a daemon killed mid-delivery.
//! - [`digests`]: digest mail through a real SMTP server ([`smtp`]): MIME, grouping, escaping,
//!   Message-ID, an outage at the fire time, a kill between claim and send, STARTTLS, 5xx.
//! - [`escaping`]: one hostile brief (markup, mrkdwn, mentions, ANSI, bidi, NUL) inert in every
//!   sink, the digest mail and the CLI.
//! - [`crash`]: the daemon killed with SIGKILL at random points (50 times by default; `CRASH_SEED`,
//!   `CRASH_KILLS`) against a growing feed farm, alert rules, a webhook receiver and a digest: every
//!   item stored once, every delivery received under one id, every digest period sent once, the
//!   database intact.
//! - [`metrics`]: `/healthz`, `/readyz` and `/metrics` of the running daemon, parsed.
//! - [`api`]: the JSON API and live stream: bearer auth, JSON errors, keyset pages while briefs
//!   arrive, a brief as the CLI shows it, the lists, SSE resumed with `Last-Event-ID`, the OpenAPI
//!   document and the answers checked against it.
//! - [`dashboard`]: the web dashboard: public shell with strict headers, `/api` still behind the
//!   token, no dashboard without a token, and in headless Chromium ([`webdriver`]; skipped with
//!   the reason when not installed) sign-in, a brief arriving live, search and evidence marks.
//! - [`demo`]: `demo --duration 10s`: briefs stored, a story merged, signed alerts verified by
//!   the demo's receiver, the digest mail saved as HTML.
//! - [`retention`]: `backup` while the daemon runs.
//! - [`architecture`]: the module map's arrows point downward (checked on the source text).
//! - [`properties`]: proptest properties: canonical URLs are a fixed point, fingerprints ignore
//!   spacing, punctuation and case.
//! - [`server_selftest`]: the test origin itself honours conditional GET.
//! - [`websub`]: a feed announcing a hub written for the test: subscription and verification of
//!   intent, a signed push stored and alerted within a second with no poll, a badly signed push
//!   ignored and logged, a short lease renewed before it ends.

mod harness;
mod receiver;
mod server;
mod smtp;
mod webdriver;

mod alerts;
mod api;
mod architecture;
mod check_config;
mod cli_docs;
mod crash;
mod daemon;
mod dashboard;
mod demo;
mod digests;
mod escaping;
mod extract;
mod failures;
mod feed_quality;
mod hostile;
mod html_sources;
mod metrics;
mod normalise;
mod opml;
mod polling;
mod properties;
mod retention;
mod search;
mod secrets;
mod security;
mod server_selftest;
mod stories;
mod systemd;
mod topics;
mod websub;
