//! `briefwatch demo`: a self-contained offline run. Starts a news site ([`site`]), a webhook
//! receiver ([`receiver`]) and an SMTP sink ([`smtp_sink`]) on loopback, writes a config for them
//! in a fresh folder ([`setup`]), runs the real daemon on it through [`crate::app::run`], and
//! narrates what the daemon stores, merges and delivers ([`progress`]), ending with the digest
//! mail sent through the real digest code and saved to a file ([`mime`]). Owns the narration and
//! the demo's servers; the work is the daemon's.

pub mod mime;
pub mod progress;
pub mod receiver;
pub mod script;
pub mod setup;
pub mod site;
pub mod smtp_sink;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::Utc;
use clap::Args;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::sinks::digest::{DigestEnv, Trigger, send_due};
use crate::sinks::escape::one_line;
use crate::store::writer::StoreWriter;
use crate::store::{RunOutcome, Store};
use progress::{Seen, Watcher};
use receiver::Received;
use script::BRIEFS;
use setup::Setup;
use site::Release;

/// The default length of the demo.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(60);
/// The shortest demo that leaves the daemon time to poll every release.
pub const MIN_DURATION: Duration = Duration::from_secs(5);
/// Share of the run over which the script is released; the rest lets the last polls, alerts and
/// merges happen before the end.
const RELEASE_SHARE: f64 = 0.55;
/// How often the database is looked at.
const WATCH_EVERY: Duration = Duration::from_millis(250);
/// Silence after which a line says what the demo is waiting for.
const QUIET_LINE_AFTER: Duration = Duration::from_secs(3);

/// `demo` arguments.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// How long the demo runs, e.g. "10s", "2m"; it also ends on Ctrl-C.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub duration: Duration,
}

/// Parses `--duration` like the config's intervals, at least [`MIN_DURATION`].
fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = crate::config::parse_interval(s).map_err(|e| e.to_string())?;
    if d < MIN_DURATION {
        return Err(format!(
            "{s:?} is too short; the demo needs at least {}",
            humantime::format_duration(MIN_DURATION)
        ));
    }
    Ok(d)
}

/// The demo's folder: config, database, secrets, daemon log and the digest it receives. Kept after
/// the run so that they can be looked at.
#[derive(Debug, Clone)]
pub struct Workdir {
    /// The folder.
    pub path: PathBuf,
}

impl Workdir {
    /// Creates a new private folder under the system's temporary directory.
    pub fn create() -> std::io::Result<Workdir> {
        use std::os::unix::fs::DirBuilderExt;
        let base = std::env::temp_dir();
        let mut last = None;
        for _ in 0..16 {
            let path = base.join(format!(
                "briefwatch-demo-{}-{:08x}",
                std::process::id(),
                fastrand::u32(..)
            ));
            match std::fs::DirBuilder::new().mode(0o700).create(&path) {
                Ok(()) => return Ok(Workdir { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| std::io::ErrorKind::AlreadyExists.into()))
    }

    /// Where the daemon's log lines go.
    pub fn log_file(&self) -> PathBuf {
        self.path.join("briefwatch.log")
    }

    fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
}

/// What the demo saw, for the closing summary (and its exit status).
#[derive(Debug, Default, Clone)]
pub struct Summary {
    /// Briefs the daemon stored.
    pub briefs: u64,
    /// Stories carried by two sources or more.
    pub merged: u64,
    /// Alerts whose signature the receiver verified.
    pub alerts_verified: u64,
    /// Alerts whose signature did not match.
    pub alerts_failed: u64,
    /// The digest's HTML part, when one arrived.
    pub digest_html: Option<PathBuf>,
}

/// Runs the demo for `args.duration` (or until Ctrl-C) in `dir`.
pub async fn run(args: DemoArgs, dir: Workdir) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let stop_servers = CancellationToken::new();
    let _servers = stop_servers.clone().drop_guard();
    let release = Release::over(args.duration.mul_f64(RELEASE_SHARE));
    let (alerts_tx, mut alerts) = mpsc::unbounded_channel::<Received>();
    let setup = Setup::start(&dir, release, alerts_tx, stop_servers.clone()).await?;
    print_intro(&args, &dir, &setup, release);
    // The database is created (and migrated) before the daemon starts, so that it can be watched
    // from the first moment.
    drop(Store::open(&setup.db)?);
    let mut watcher = Watcher::open(&setup.db)?;
    let stop_daemon = CancellationToken::new();
    let daemon = {
        let (config, stop) = (setup.config.clone(), stop_daemon.clone());
        tokio::spawn(async move { crate::app::run(&config, stop).await })
    };
    let mut narrator = Narrator::new(started, release);
    let deadline = tokio::time::sleep(args.duration);
    tokio::pin!(deadline);
    let mut tick = tokio::time::interval(WATCH_EVERY);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    tokio::pin!(daemon);
    loop {
        tokio::select! {
            () = &mut deadline => break,
            _ = &mut ctrl_c => {
                narrator.say("Ctrl-C: stopping early");
                break;
            }
            Some(r) = alerts.recv() => {
                // The brief an alert is about is shown first.
                narrator.releases();
                for seen in watcher.poll()? {
                    narrator.seen(&seen);
                }
                narrator.alert(&r);
            }
            ended = &mut daemon => {
                let why = match ended {
                    Ok(Ok(())) => "the daemon stopped by itself".to_owned(),
                    Ok(Err(e)) => format!("the daemon stopped: {e:#}"),
                    Err(e) => format!("the daemon task failed: {e}"),
                };
                anyhow::bail!("{why} (log: {})", dir.log_file().display());
            }
            _ = tick.tick() => {
                narrator.releases();
                for seen in watcher.poll()? {
                    narrator.seen(&seen);
                }
                narrator.quiet_line(args.duration);
            }
        }
    }
    narrator.say("stopping the daemon (in-flight polls and deliveries finish first)");
    stop_daemon.cancel();
    daemon.await??;
    for seen in watcher.poll()? {
        narrator.seen(&seen);
    }
    while let Ok(r) = alerts.try_recv() {
        narrator.alert(&r);
    }
    narrator.say("sending the digest for the whole run (as `briefwatch digest send demo` would)");
    send_digest(&setup.config).await?;
    let digest_html = save_digest(&dir, &setup, &mut narrator)?;
    let summary = Summary {
        digest_html,
        ..narrator.summary.clone()
    };
    print_summary(&summary, &dir, &setup);
    Ok(summary)
}

fn print_intro(args: &DemoArgs, dir: &Workdir, setup: &Setup, release: Release) {
    println!(
        "briefwatch demo: {} briefs from two outlets over {}, one every {:.1}s (Ctrl-C ends it early)",
        BRIEFS.len(),
        humantime::format_duration(args.duration),
        release.step().as_secs_f64()
    );
    println!("  news site      {}", setup.site_url());
    println!("    Wire (RSS)   {}", setup.site.wire_feed());
    println!("    Gazette      {}", setup.site.gazette_listing());
    println!(
        "  webhook        {} (signed, checked on arrival)",
        setup.receiver.url()
    );
    println!("  SMTP sink      127.0.0.1:{}", setup.smtp.addr.port());
    println!("  dashboard      {}", setup.dashboard_url());
    println!("    token        {}", setup.token);
    println!("  files          {}", dir.path.display());
    println!("    config       {}", setup.config.display());
    println!("    daemon log   {}", dir.log_file().display());
    println!();
}

/// Sends the digest's current period through the real digest code, like `digest send`.
async fn send_digest(config: &Path) -> anyhow::Result<()> {
    let cfg = Config::load(config)?;
    let env = DigestEnv::new(&cfg)?;
    let digest = env
        .digest(setup::DIGEST)
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("the demo config has no digest {:?}", setup::DIGEST))?;
    let (store, _) = crate::app::open_and_sync(&cfg)?;
    let writer = StoreWriter::spawn(store, false);
    let reports = send_due(&writer.handle(), &env, &digest, Trigger::Now, Utc::now()).await;
    tokio::task::spawn_blocking(move || writer.finish()).await?;
    for r in reports? {
        match r.outcome {
            RunOutcome::Sent { .. } | RunOutcome::Empty => {}
            RunOutcome::Retry { error, .. } | RunOutcome::Failed { error } => {
                anyhow::bail!("the digest was not sent: {}", one_line(&error))
            }
        }
    }
    Ok(())
}

/// Writes the last mail the sink received as `digest.eml` and its HTML part as `digest.html`.
fn save_digest(
    dir: &Workdir,
    setup: &Setup,
    narrator: &mut Narrator,
) -> anyhow::Result<Option<PathBuf>> {
    let Some(raw) = setup.smtp.messages().pop() else {
        narrator.say("no digest mail arrived (no story in the period)");
        return Ok(None);
    };
    let eml = dir.file("digest.eml");
    std::fs::write(&eml, &raw)?;
    let subject = mime::subject(&raw).unwrap_or_default();
    narrator.say(&format!(
        "SMTP sink received the digest {:?} ({} bytes), saved as {}",
        one_line(&subject),
        raw.len(),
        eml.display()
    ));
    let Some(html) = mime::html_part(&raw) else {
        return Ok(None);
    };
    let path = dir.file("digest.html");
    std::fs::write(&path, html)?;
    Ok(Some(path))
}

fn print_summary(s: &Summary, dir: &Workdir, setup: &Setup) {
    println!();
    println!("summary");
    println!("  briefs stored     {}", s.briefs);
    println!("  stories merged    {} (carried by two sources)", s.merged);
    println!(
        "  alerts            {} verified, {} failed verification",
        s.alerts_verified, s.alerts_failed
    );
    match &s.digest_html {
        Some(p) => println!("  digest            {}", p.display()),
        None => println!("  digest            none"),
    }
    println!("  everything else   {}", dir.path.display());
    println!(
        "  look around       briefwatch --config {} briefs list",
        setup.config.display()
    );
}

/// Prints the progress lines and keeps the counts.
struct Narrator {
    started: Instant,
    release: Release,
    released: usize,
    last_line: Instant,
    summary: Summary,
}

impl Narrator {
    fn new(started: Instant, release: Release) -> Narrator {
        Narrator {
            started,
            release,
            released: 0,
            last_line: Instant::now(),
            summary: Summary::default(),
        }
    }

    fn say(&mut self, line: &str) {
        let t = self.started.elapsed().as_secs_f64();
        println!("[{t:5.1}s] {line}");
        self.last_line = Instant::now();
    }

    /// A line for each brief the site has just put online.
    fn releases(&mut self) {
        let now = self.release.released();
        while self.released < now {
            let b = &BRIEFS[self.released];
            self.released += 1;
            self.say(&format!(
                "site     {} publishes {:?} ({}/{})",
                b.outlet.name(),
                b.title,
                self.released,
                BRIEFS.len()
            ));
        }
    }

    fn seen(&mut self, seen: &Seen) {
        match seen {
            Seen::Stored { brief, topics } => {
                self.summary.briefs += 1;
                let tags: Vec<String> = topics
                    .iter()
                    .map(|t| {
                        let terms: Vec<String> = t.terms.iter().map(|w| format!("{w:?}")).collect();
                        format!("{} {:.2} ({})", t.topic, t.score, terms.join(", "))
                    })
                    .collect();
                self.say(&format!(
                    "stored   #{} [{}] {}",
                    brief.id,
                    one_line(&brief.source),
                    one_line(&brief.title)
                ));
                let tags = if tags.is_empty() {
                    "none".to_owned()
                } else {
                    tags.join("; ")
                };
                println!("           topics: {tags}");
            }
            Seen::Merged {
                story,
                sources,
                title,
            } => {
                if sources.len() == 2 {
                    self.summary.merged += 1;
                }
                let names: Vec<String> = sources.iter().map(|s| one_line(s)).collect();
                self.say(&format!(
                    "merged   story #{story} now has {} sources: {} ({:?})",
                    sources.len(),
                    names.join(", "),
                    one_line(title)
                ));
            }
        }
    }

    fn alert(&mut self, r: &Received) {
        let check = match &r.verified {
            Ok(()) => {
                self.summary.alerts_verified += 1;
                "signature verified".to_owned()
            }
            Err(e) => {
                self.summary.alerts_failed += 1;
                format!("SIGNATURE FAILED: {e}")
            }
        };
        let story = r.story.map(|s| format!(" story #{s}")).unwrap_or_default();
        self.say(&format!(
            "alert    rule {:?} -> webhook:{story} [{}] {} ({}), {check} (webhook-id {})",
            one_line(&r.rule),
            one_line(&r.source),
            one_line(&r.title),
            r.topics.join(", "),
            one_line(&r.id)
        ));
    }

    /// After a few quiet seconds, a line saying what the demo waits for.
    fn quiet_line(&mut self, duration: Duration) {
        if self.last_line.elapsed() < QUIET_LINE_AFTER {
            return;
        }
        let left = duration.saturating_sub(self.started.elapsed());
        let line = if self.released < BRIEFS.len() {
            let next = self
                .release
                .due(self.released)
                .saturating_duration_since(Instant::now());
            format!(
                "waiting  {}/{} briefs published; the next in {:.1}s; briefwatch polls both outlets every second",
                self.released,
                BRIEFS.len(),
                next.as_secs_f64()
            )
        } else {
            format!(
                "waiting  all {} briefs published; the demo ends in {}s (Ctrl-C ends it now)",
                BRIEFS.len(),
                left.as_secs()
            )
        };
        self.say(&line);
    }
}
