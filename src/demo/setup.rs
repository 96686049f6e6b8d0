//! The demo's world: starts the site, the webhook receiver and the SMTP sink, and writes the config
//! (with a fresh webhook secret and dashboard token) that points the daemon at them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono::{Timelike, Utc};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::Workdir;
use super::receiver::{self, Received, Receiver};
use super::site::{self, Release, Site};
use super::smtp_sink::{self, SmtpSink};
use crate::sinks::sign::WebhookSecret;

/// The name of the demo's digest.
pub const DIGEST: &str = "demo";

/// The running servers and the files written for the daemon.
pub struct Setup {
    /// The news site.
    pub site: Site,
    /// The webhook receiver.
    pub receiver: Receiver,
    /// The mail server.
    pub smtp: SmtpSink,
    /// Where the daemon's HTTP endpoint (API, dashboard) listens.
    pub api: SocketAddr,
    /// The dashboard's bearer token (printed by the demo: signing in is what it is for).
    pub token: String,
    /// The config file.
    pub config: PathBuf,
    /// The database file.
    pub db: PathBuf,
}

impl Setup {
    /// Starts the servers (stopped by `stop`) and writes the config and its secrets into `dir`.
    pub async fn start(
        dir: &Workdir,
        release: Release,
        alerts: mpsc::UnboundedSender<Received>,
        stop: CancellationToken,
    ) -> anyhow::Result<Setup> {
        let secret = WebhookSecret::from_bytes(random_bytes::<32>()?)?;
        let site = site::start(release, stop.clone()).await?;
        let receiver = receiver::start(secret.clone(), alerts, stop.clone()).await?;
        let smtp = smtp_sink::start(stop).await?;
        let api = free_port()?;
        let token = hex(&random_bytes::<24>()?);
        write_private(&dir.file("webhook.secret"), &secret.expose())?;
        write_private(&dir.file("api.token"), &token)?;
        let config = dir.file("briefwatch.toml");
        let setup = Setup {
            site,
            receiver,
            smtp,
            api,
            token,
            db: dir.file("briefwatch.db"),
            config,
        };
        write_private(&setup.config, &setup.config_text())?;
        Ok(setup)
    }

    /// The site's front page.
    pub fn site_url(&self) -> String {
        format!("http://{}/", self.site.addr)
    }

    /// The daemon's web dashboard.
    pub fn dashboard_url(&self) -> String {
        format!("http://{}/ui/", self.api)
    }

    /// The config the daemon runs on.
    fn config_text(&self) -> String {
        let now = Utc::now();
        let (site, hook, smtp) = (self.site.addr, self.receiver.addr, self.smtp.addr);
        format!(
            r#"# Written by `briefwatch demo` for one run; every server named here is the demo's own, on
# loopback, which is why fetch.allow_hosts lists them (briefwatch refuses loopback otherwise).

[storage]
path = "briefwatch.db"

[fetch]
timeout_secs = 5
allow_hosts = ["{site}", "{hook}", "{smtp}"]

# The built-in topic pack (no [classify] section needed).

[[sources]]
name = "Wire"
kind = "feed"
url = "{wire}"
interval = "1s"

[[sources]]
name = "Gazette"
kind = "html"
url = "{gazette}"
interval = "1s"
[sources.html]
links = "article.brief h2 a"
title = "h1.entry-title"
body = "div.brief-body"
published = "time[datetime]"

[[destinations]]
name = "desk-webhook"
kind = "webhook"
url = "{hook_url}"
secret_file = "webhook.secret"

[[alerts]]
name = "plots-truces-hostages"
topics = ["assassination_plot", "ceasefire", "hostages"]
destinations = ["desk-webhook"]

[smtp]
host = "127.0.0.1"
port = {smtp_port}
tls = "none"
from = "briefwatch demo <briefwatch@demo.invalid>"
timeout_secs = 5

# Daily at the minute the demo started, so that the period the demo sends at its end (as
# `briefwatch digest send {DIGEST}` does) covers the whole run.
[[digests]]
name = "{DIGEST}"
schedule = "daily {hh:02}:{mm:02} UTC"
to = ["desk@demo.invalid"]

[server]
listen = "{api}"
token_file = "api.token"
"#,
            wire = self.site.wire_feed(),
            gazette = self.site.gazette_listing(),
            hook_url = self.receiver.url(),
            smtp_port = smtp.port(),
            hh = now.hour(),
            mm = now.minute(),
            api = self.api,
        )
    }
}

/// A loopback address with a port free at the time of asking, for the daemon's endpoint (whose
/// config takes a fixed address). Another process could take it before the daemon binds it; the
/// daemon then stops with an error naming the address.
fn free_port() -> std::io::Result<SocketAddr> {
    std::net::TcpListener::bind(("127.0.0.1", 0))?.local_addr()
}

fn random_bytes<const N: usize>() -> anyhow::Result<Vec<u8>> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| anyhow::anyhow!("no random numbers: {e}"))?;
    Ok(b.to_vec())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `text` to a new file only its owner may read.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}
