//! `sources`: list, status, OPML import and export, removal (discover and test are in `discover`).

use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::{CliError, one_line};
use crate::config::{Config, check_source_name, parse_source_url};
use crate::model::{SourceKind, SourceOrigin, SourceSpec, SourceStatus};
use crate::opml;

/// `sources` subcommands.
#[derive(Debug, Subcommand)]
pub enum SourcesCmd {
    /// List sources with their last poll result.
    List {
        /// One JSON object a line.
        #[arg(long)]
        json: bool,
    },
    /// Fetch state of every source in detail (validators aside).
    Status {
        /// One JSON object a line.
        #[arg(long)]
        json: bool,
    },
    /// Subscribe to the feeds of an OPML file (stored in the database, not the config file).
    Import {
        /// The OPML file.
        file: PathBuf,
    },
    /// Print every enabled source as OPML 2.0.
    Export,
    /// Remove an imported source (disabled instead when it has briefs, which are kept).
    Remove {
        /// The source's name.
        name: String,
    },
    /// Find a site's feeds (announced, or at the usual paths); without one, propose an HTML source
    /// with a `links` selector for its repeated article links.
    Discover {
        /// The site's page (home page or listing page).
        url: String,
        /// One JSON object a line.
        #[arg(long)]
        json: bool,
    },
    /// Show what a configured source yields now, without storing anything.
    Test {
        /// The source's name.
        name: String,
        /// One JSON object a line.
        #[arg(long)]
        json: bool,
    },
}

pub(super) async fn run(config: &Path, cmd: SourcesCmd) -> Result<(), CliError> {
    let cmd = match cmd {
        SourcesCmd::Discover { url, json } => {
            return super::discover::discover(config, &url, json).await;
        }
        SourcesCmd::Test { name, json } => return super::discover::test(config, &name, json).await,
        other => other,
    };
    let cfg = Config::load(config)?;
    let (mut store, _) = crate::app::open_and_sync(&cfg)?;
    match cmd {
        SourcesCmd::List { json } => print_list(&store.source_statuses()?, json, false)?,
        SourcesCmd::Status { json } => print_list(&store.source_statuses()?, json, true)?,
        SourcesCmd::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", file.display())))?;
            let outlines = opml::parse(&text)
                .map_err(|e| CliError::Usage(format!("{}: {e}", file.display())))?;
            let mut specs = Vec::new();
            let mut invalid = 0;
            for o in outlines {
                match parse_source_url(&o.xml_url) {
                    Ok(url) => specs.push(SourceSpec {
                        name: source_name(&o.title, &url),
                        kind: SourceKind::Feed,
                        url,
                        interval: cfg.fetch.default_interval,
                        origin: SourceOrigin::Imported,
                        settings: Default::default(),
                    }),
                    Err(reason) => {
                        invalid += 1;
                        eprintln!(
                            "{}: skipped outline {:?}: {reason}",
                            file.display(),
                            o.title
                        );
                    }
                }
            }
            let report = store.import_sources(&specs)?;
            println!(
                "imported {} sources ({} already subscribed, {} invalid)",
                report.added.len(),
                report.skipped,
                invalid
            );
        }
        SourcesCmd::Export => {
            let outlines: Vec<opml::Outline> = store
                .source_statuses()?
                .into_iter()
                .filter(|s| s.enabled && s.kind == SourceKind::Feed)
                .map(|s| opml::Outline {
                    title: s.name,
                    xml_url: s.url,
                    html_url: None,
                    categories: Vec::new(),
                })
                .collect();
            print!("{}", opml::write("briefwatch subscriptions", &outlines));
        }
        SourcesCmd::Remove { name } => {
            if store.remove_source(&name)? {
                println!("removed source {name:?}");
            } else {
                println!("source {name:?} has briefs: disabled it and kept its briefs");
            }
        }
        SourcesCmd::Discover { .. } | SourcesCmd::Test { .. } => {
            unreachable!("handled before the store is opened")
        }
    }
    Ok(())
}

/// A source name from an outline title, falling back to the feed's host.
fn source_name(title: &str, url: &url::Url) -> String {
    let t = one_line(title);
    if check_source_name(&t).is_ok() {
        t
    } else {
        url.host_str().unwrap_or("feed").to_string()
    }
}

fn print_list(list: &[SourceStatus], json: bool, detail: bool) -> Result<(), CliError> {
    if json {
        for s in list {
            println!(
                "{}",
                serde_json::to_string(&crate::views::SourceLine::new(s))
                    .map_err(anyhow::Error::from)?
            );
        }
        return Ok(());
    }
    for s in list {
        let state = match (&s.last_error, s.last_status, s.enabled) {
            (_, _, false) => "disabled".to_string(),
            (Some(e), _, _) => format!("FAILING x{}: {}", s.failures, one_line(e)),
            (None, Some(st), _) => format!("ok ({st})"),
            (None, None, _) => "never polled".to_string(),
        };
        println!(
            "{:<24} {:>6} briefs  every {:<8} {}",
            one_line(&s.name),
            s.briefs,
            humantime::format_duration(std::time::Duration::from_secs(s.interval_secs)).to_string(),
            state
        );
        if detail {
            let t = |d: Option<chrono::DateTime<chrono::Utc>>| {
                d.map(|d| d.to_rfc3339()).unwrap_or_else(|| "-".into())
            };
            println!("    url: {}", one_line(&s.url));
            println!(
                "    origin: {}  last checked: {}  last success: {}  next check: {}",
                s.origin.as_str(),
                t(s.last_checked),
                t(s.last_success),
                t(s.next_check)
            );
            println!(
                "    failures in a row: {}  briefs in the last 24 h: {}",
                s.failures, s.briefs_24h
            );
            if let Some(w) = &s.websub {
                println!(
                    "    websub: {}  hub: {}  topic: {}  lease until: {}{}",
                    w.state,
                    one_line(&w.hub),
                    one_line(&w.topic),
                    t(w.lease_expires),
                    w.last_error
                        .as_deref()
                        .map(|e| format!("  last error: {}", one_line(e)))
                        .unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}
