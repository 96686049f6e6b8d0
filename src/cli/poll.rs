//! `poll`: one round over every enabled source, then exit.

use std::path::Path;

use clap::Args;
use tokio_util::sync::CancellationToken;

use super::CliError;
use crate::config::Config;
use crate::pipeline::poll_all;
use crate::sinks::dispatcher::{DispatchEnv, DrainReport, drain};
use crate::sources::http::HttpClient;
use crate::store::writer::StoreWriter;

/// Arguments of `poll`.
#[derive(Debug, Args)]
pub struct PollArgs {
    /// Poll once and exit (the only mode of `poll`; the daemon is `run`).
    #[arg(long)]
    pub once: bool,
    /// Print one JSON summary object: sources, fetched, not_modified, errors, new_briefs,
    /// known_entries, elapsed_ms, alerts_delivered, alerts_waiting, alerts_failed.
    #[arg(long)]
    pub json: bool,
}

pub(super) async fn run(config: &Path, args: PollArgs) -> Result<(), CliError> {
    let cfg = Config::load(config)?;
    let (store, active) = crate::app::open_and_sync(&cfg)?;
    let classifier = crate::app::build_classifier(&cfg, &store)?;
    let client = HttpClient::new(&cfg.fetch)?;
    let writer = StoreWriter::spawn(store, false);
    let env = DispatchEnv::new(&cfg, client.clone());
    let cancel = CancellationToken::new();
    crate::app::cancel_on_signals(cancel.clone());
    let handle = writer.handle();
    let (mut summary, _) = poll_all(
        &client,
        &classifier,
        &handle,
        active,
        cfg.fetch.concurrency,
        &cancel,
    )
    .await;
    // Deliveries that are due go out before exit, within the configured bound; the rest stay
    // queued for the daemon (or the next `poll --once`).
    let mut delivery = DrainReport::default();
    if !cfg.destinations.is_empty() && !cancel.is_cancelled() {
        match drain(&handle, &env, cfg.delivery.poll_once_timeout).await {
            Ok(r) => delivery = r,
            Err(e) => {
                tracing::error!(error = %crate::errors::chain(&e), "delivering alerts failed; they stay queued")
            }
        }
    }
    summary.alerts_delivered = delivery.delivered;
    summary.alerts_waiting = delivery.retrying + delivery.held;
    summary.alerts_failed = delivery.failed;
    summary.peak_rss_kib = peak_rss_kib();
    drop(handle);
    tokio::task::spawn_blocking(move || writer.finish())
        .await
        .map_err(anyhow::Error::from)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&summary).map_err(anyhow::Error::from)?
        );
    } else {
        println!(
            "{} sources: {} fetched, {} not modified, {} failed; {} new briefs ({} known entries skipped) in {} ms",
            summary.sources,
            summary.fetched,
            summary.not_modified,
            summary.errors,
            summary.new_briefs,
            summary.known_entries,
            summary.elapsed_ms
        );
    }
    Ok(())
}

/// This process's peak resident set size so far, in KiB: `VmHWM` of `/proc/self/status` (this
/// program's own memory), else `getrusage`. Linux carries `ru_maxrss` across `execve`, so a poll
/// started by a large parent (a test runner, a shell script's interpreter) reported the parent's
/// size at fork instead of its own.
fn peak_rss_kib() -> u64 {
    if let Some(kib) = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| vm_hwm_kib(&s))
    {
        return kib;
    }
    // SAFETY: getrusage writes into the zeroed struct it is given and reads nothing else.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return 0;
    }
    u64::try_from(usage.ru_maxrss).unwrap_or(0)
}

/// The `VmHWM:` line of a `/proc/PID/status` text, in KiB.
fn vm_hwm_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peak_is_read_from_vm_hwm() {
        let status =
            "Name:\tbriefwatch\nVmPeak:\t  900000 kB\nVmHWM:\t   38124 kB\nVmRSS:\t 30000 kB\n";
        assert_eq!(vm_hwm_kib(status), Some(38_124));
        assert_eq!(vm_hwm_kib("Name:\tx\n"), None);
        assert!(peak_rss_kib() > 0);
    }
}
