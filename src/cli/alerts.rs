//! `alerts`: inspect and drive the delivery outbox: list deliveries, send a test message to a
//! destination through the real path, retry a failed delivery under its own id, enable a
//! destination that a 410 disabled.

use std::path::Path;

use clap::Subcommand;

use super::{CliError, one_line};
use crate::config::Config;
use crate::sinks::dispatcher::{DispatchEnv, DrainReport, drain};
use crate::sources::http::HttpClient;
use crate::store::DeliveryRecord;
use crate::store::writer::StoreWriter;
use crate::views::DeliveryLine;

/// `alerts` subcommands.
#[derive(Debug, Subcommand)]
pub enum AlertsCmd {
    /// Deliveries, newest first: id, state, attempts, rule, destination, brief, last error.
    List {
        /// Only failed (dead-lettered) deliveries and those waiting on a disabled destination.
        #[arg(long)]
        failed: bool,
        /// At most this many (0: all).
        #[arg(long, default_value_t = 50)]
        limit: u64,
        /// One JSON object a line.
        #[arg(long)]
        json: bool,
    },
    /// Send a clearly marked test message to a destination now, through the real delivery path.
    Test {
        /// The destination's name.
        dest: String,
    },
    /// Send a failed delivery again now, under its own id.
    Retry {
        /// The delivery id (`msg_...`).
        id: String,
    },
    /// Re-enable a destination that answered 410 Gone; its waiting deliveries are sent now.
    Enable {
        /// The destination's name.
        dest: String,
    },
}

pub(super) async fn run(config: &Path, cmd: AlertsCmd) -> Result<(), CliError> {
    let cfg = Config::load(config)?;
    let (store, _) = crate::app::open_and_sync(&cfg)?;
    match cmd {
        AlertsCmd::List {
            failed,
            limit,
            json,
        } => {
            let list = store.list_deliveries(failed, (limit > 0).then_some(limit))?;
            print_list(&list, json)?;
            if !json {
                for (name, at, why) in store.disabled_destinations()? {
                    println!(
                        "destination {name} disabled since {} ({}); `briefwatch alerts enable {name}` after fixing it",
                        at.format("%Y-%m-%d %H:%M"),
                        one_line(&why)
                    );
                }
            }
            Ok(())
        }
        AlertsCmd::Test { dest } => {
            if !cfg.destinations.iter().any(|d| d.name == dest) {
                return Err(CliError::Usage(format!(
                    "no destination named {dest:?} in {}",
                    config.display()
                )));
            }
            let mut store = store;
            let id = store.enqueue_test(&dest)?;
            let (report, store) = send_due(&cfg, store).await?;
            finish(&store, &id, report)
        }
        AlertsCmd::Retry { id } => {
            let mut store = store;
            store.retry_delivery(&id)?;
            let (report, store) = send_due(&cfg, store).await?;
            finish(&store, &id, report)
        }
        AlertsCmd::Enable { dest } => {
            let mut store = store;
            if store.enable_destination(&dest)? {
                println!("destination {dest} enabled; its waiting deliveries are due now");
            } else {
                println!("destination {dest} was not disabled");
            }
            Ok(())
        }
    }
}

/// Delivers what is due now through the real dispatcher path, bounded by the `poll --once` timeout.
async fn send_due(
    cfg: &Config,
    store: crate::store::Store,
) -> Result<(DrainReport, crate::store::Store), CliError> {
    let client = HttpClient::new(&cfg.fetch)?;
    let env = DispatchEnv::new(cfg, client);
    let writer = StoreWriter::spawn(store, false);
    let handle = writer.handle();
    let report = drain(&handle, &env, cfg.delivery.poll_once_timeout).await;
    drop(handle);
    let store = tokio::task::spawn_blocking(move || writer.finish())
        .await
        .map_err(anyhow::Error::from)?;
    Ok((report?, store))
}

/// Prints how delivery `id` ended; a delivery that did not get through is an error (exit 1).
fn finish(store: &crate::store::Store, id: &str, _report: DrainReport) -> Result<(), CliError> {
    let d = store.delivery(id)?;
    let status = d
        .last_status
        .map(|s| format!(" (HTTP {s})"))
        .unwrap_or_default();
    match d.state.as_str() {
        "delivered" => {
            println!("{id}: delivered to {}{status}", d.destination);
            Ok(())
        }
        state => Err(CliError::Other(anyhow::anyhow!(
            "{id}: {state} after {} attempt(s) to {}{status}: {}",
            d.attempts,
            d.destination,
            d.last_error.as_deref().map(one_line).unwrap_or_default()
        ))),
    }
}

fn print_list(list: &[DeliveryRecord], json: bool) -> Result<(), CliError> {
    for d in list {
        if json {
            println!(
                "{}",
                serde_json::to_string(&DeliveryLine::new(d)).map_err(anyhow::Error::from)?
            );
            continue;
        }
        let state = if d.destination_disabled && d.state == "pending" {
            "waiting (destination disabled)".to_string()
        } else {
            d.state.clone()
        };
        println!(
            "{}  {:<9} {:<10} x{:<2} {} -> {}  {}",
            d.id,
            d.kind.as_str(),
            state,
            d.attempts,
            one_line(&d.rule),
            one_line(&d.destination),
            d.title.as_deref().map(one_line).unwrap_or_default()
        );
        if let Some(e) = d.last_error.as_deref().filter(|_| d.state != "delivered") {
            println!("    last error: {}", one_line(e));
        }
    }
    Ok(())
}
