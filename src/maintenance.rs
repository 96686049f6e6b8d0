//! Upkeep of the database while the daemon runs: the daily prune. A minute after start and then
//! every day, briefs older than `[storage] keep_days` are deleted through the writer, one small
//! batch at a time so that polls go on meanwhile. Follows config reloads; stops with the daemon.

use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::errors::chain;
use crate::store::writer::WriterHandle;

/// The first prune runs this long after start, once the first polls are under way.
const FIRST_AFTER: Duration = Duration::from_secs(60);

/// Then once a day.
const EVERY: Duration = Duration::from_secs(86_400);

/// Prunes daily with the retention `keep` holds (none: nothing is pruned) until `shutdown`.
pub async fn run(
    writer: WriterHandle,
    mut keep: watch::Receiver<Option<Duration>>,
    shutdown: CancellationToken,
) {
    let mut wait = FIRST_AFTER;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            r = keep.changed() => if r.is_err() { return } else { continue },
            () = tokio::time::sleep(wait) => {}
        }
        wait = EVERY;
        let Some(k) = *keep.borrow() else { continue };
        let (mut briefs, mut deliveries) = (0, 0);
        loop {
            let step = tokio::select! {
                () = shutdown.cancelled() => return,
                r = writer.call(move |s| s.prune_step(k)) => r,
            };
            match step {
                Ok(Ok(r)) => {
                    briefs += r.briefs;
                    deliveries += r.deliveries;
                    if !r.more {
                        break;
                    }
                }
                Ok(Err(e)) | Err(e) => {
                    tracing::error!(error = %chain(&e), "pruning old briefs failed; trying again tomorrow");
                    break;
                }
            }
        }
        tracing::info!(
            briefs,
            deliveries,
            keep_days = k.as_secs() / 86_400,
            "pruned briefs older than the retention"
        );
    }
}
