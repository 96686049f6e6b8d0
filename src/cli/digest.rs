//! `digest`: list the configured digests with their next run, last sent period and last error;
//! preview the next one without sending or recording it; send the current period now, recorded
//! like a scheduled one.

use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use clap::Subcommand;
use serde::Serialize;

use super::{CliError, one_line};
use crate::config::{Config, DigestConfig};
use crate::sinks::digest::{DigestEnv, Trigger, preview, send_due};
use crate::store::writer::StoreWriter;
use crate::store::{DigestRun, RunOutcome, Store};

/// `digest` subcommands.
#[derive(Debug, Subcommand)]
pub enum DigestCmd {
    /// Each digest: schedule, next run, last sent period, waiting retries, last error.
    List {
        /// One JSON object a line.
        #[arg(long)]
        json: bool,
    },
    /// Render the next digest as far as it goes now; sends and records nothing. Prints the
    /// subject and the text part unless --html is given.
    Preview {
        /// The digest's name.
        name: String,
        /// Write the HTML part to this file.
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
        /// Print the text part (the default when --html is not given).
        #[arg(long)]
        text: bool,
    },
    /// Send the current period (since the last digest) now, recorded like a scheduled one; waiting
    /// retries of earlier periods go first.
    Send {
        /// The digest's name.
        name: String,
    },
}

/// One line of `digest list --json`.
#[derive(Serialize)]
struct DigestLine<'a> {
    name: &'a str,
    schedule: String,
    to: Vec<String>,
    next_run: String,
    last_sent: Option<PeriodLine<'a>>,
    waiting: Vec<PeriodLine<'a>>,
    failed: Vec<PeriodLine<'a>>,
    last_error: Option<&'a str>,
}

/// A period in `digest list --json`.
#[derive(Serialize)]
struct PeriodLine<'a> {
    period_start: String,
    period_end: String,
    state: &'a str,
    message_id: &'a str,
    attempts: u32,
    stories: Option<u32>,
    next_attempt: Option<String>,
    sent_at: Option<String>,
    last_error: Option<&'a str>,
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl<'a> PeriodLine<'a> {
    fn new(r: &'a DigestRun) -> Self {
        PeriodLine {
            period_start: ts(r.period_start),
            period_end: ts(r.period_end),
            state: &r.state,
            message_id: &r.message_id,
            attempts: r.attempts,
            stories: r.stories,
            next_attempt: (r.state == "pending").then(|| r.next_at.map(ts)).flatten(),
            sent_at: r.sent_at.map(ts),
            last_error: r.last_error.as_deref(),
        }
    }
}

/// Runs of a digest kept for `digest list`.
const LISTED_RUNS: usize = 200;

pub(super) async fn run(config: &Path, cmd: DigestCmd) -> Result<(), CliError> {
    let cfg = Config::load(config)?;
    let env = DigestEnv::new(&cfg).map_err(anyhow::Error::from)?;
    let (store, _) = crate::app::open_and_sync(&cfg)?;
    let find = |name: &str| {
        env.digest(name).cloned().ok_or_else(|| {
            let known: Vec<&str> = cfg.digests.iter().map(|d| d.name.as_str()).collect();
            CliError::Usage(format!(
                "no digest named {name:?} in {} (configured: {})",
                config.display(),
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ))
        })
    };
    match cmd {
        DigestCmd::List { json } => list(&cfg, &store, json),
        DigestCmd::Preview { name, html, text } => {
            let digest = find(&name)?;
            let writer = StoreWriter::spawn(store, false);
            let r = preview(&writer.handle(), &env, &digest, Utc::now()).await;
            drop(tokio::task::spawn_blocking(move || writer.finish()).await);
            let (content, rendered) = r?;
            if let Some(path) = &html {
                std::fs::write(path, &rendered.html).map_err(|e| {
                    anyhow::anyhow!("cannot write the HTML part to {}: {e}", path.display())
                })?;
                eprintln!(
                    "{}: {} stories from {} to now; HTML written to {}",
                    digest.name,
                    content.total_stories,
                    ts(content.period_start),
                    path.display()
                );
            }
            if text || html.is_none() {
                println!("Subject: {}\n", rendered.subject);
                print!("{}", rendered.text);
            }
            Ok(())
        }
        DigestCmd::Send { name } => {
            let digest = find(&name)?;
            let writer = StoreWriter::spawn(store, false);
            let reports = send_due(&writer.handle(), &env, &digest, Trigger::Now, Utc::now()).await;
            drop(tokio::task::spawn_blocking(move || writer.finish()).await);
            let reports = reports?;
            if reports.is_empty() {
                println!(
                    "{}: nothing to send (a period ending now was already recorded)",
                    digest.name
                );
            }
            let mut failed = None;
            for r in &reports {
                let period = format!("{} to {}", ts(r.period_start), ts(r.period_end));
                match &r.outcome {
                    RunOutcome::Sent { stories } => println!(
                        "{}: sent {period} ({stories} stories) as {}",
                        r.digest, r.message_id
                    ),
                    RunOutcome::Empty => println!(
                        "{}: {period} had no stories; nothing sent (send_empty = false)",
                        r.digest
                    ),
                    RunOutcome::Retry { at, error } => {
                        failed = Some(format!(
                            "{}: {period} not sent: {}; the daemon retries at {}",
                            r.digest,
                            one_line(error),
                            ts(*at)
                        ))
                    }
                    RunOutcome::Failed { error } => {
                        failed = Some(format!(
                            "{}: {period} given up: {}",
                            r.digest,
                            one_line(error)
                        ))
                    }
                }
            }
            match failed {
                Some(msg) => Err(CliError::Other(anyhow::anyhow!(msg))),
                None => Ok(()),
            }
        }
    }
}

fn list(cfg: &Config, store: &Store, json: bool) -> Result<(), CliError> {
    let now = Utc::now();
    if cfg.digests.is_empty() && !json {
        println!("no digests configured");
    }
    for d in &cfg.digests {
        let runs = store.digest_runs(Some(&d.name), LISTED_RUNS)?;
        let line = digest_line(d, &runs, now);
        if json {
            println!(
                "{}",
                serde_json::to_string(&line).map_err(anyhow::Error::from)?
            );
            continue;
        }
        println!(
            "{}  {}  to {}",
            one_line(&d.name),
            line.schedule,
            line.to.join(", ")
        );
        println!("    next run:  {}", line.next_run);
        match &line.last_sent {
            Some(p) => println!(
                "    last sent: {} to {} ({} stories, {})",
                p.period_start,
                p.period_end,
                p.stories.unwrap_or_default(),
                p.message_id
            ),
            None => println!("    last sent: never"),
        }
        for p in &line.waiting {
            println!(
                "    waiting:   {} to {}, {} attempt(s), next {}",
                p.period_start,
                p.period_end,
                p.attempts,
                p.next_attempt.as_deref().unwrap_or("now")
            );
        }
        for p in &line.failed {
            println!(
                "    failed:    {} to {} after {} attempt(s)",
                p.period_start, p.period_end, p.attempts
            );
        }
        if let Some(e) = line.last_error {
            println!("    last error: {}", one_line(e));
        }
    }
    Ok(())
}

fn digest_line<'a>(
    d: &'a DigestConfig,
    runs: &'a [DigestRun],
    now: DateTime<Utc>,
) -> DigestLine<'a> {
    let of = |states: &[&str]| -> Vec<PeriodLine<'a>> {
        runs.iter()
            .filter(|r| states.contains(&r.state.as_str()))
            .map(PeriodLine::new)
            .collect()
    };
    DigestLine {
        name: &d.name,
        schedule: d.schedule.to_string(),
        to: d.to.iter().map(ToString::to_string).collect(),
        next_run: ts(d.schedule.next_after(now)),
        last_sent: runs.iter().find(|r| r.state == "sent").map(PeriodLine::new),
        waiting: of(&["pending", "sending"]),
        failed: of(&["failed"]),
        last_error: runs.iter().find_map(|r| r.last_error.as_deref()),
    }
}
