//! Retention and backups: pruning briefs older than `[storage] keep_days` (in small transactions,
//! keeping every brief whose story an alert still waits to be told about, and leaving tombstones
//! so that feeds still listing old entries do not bring them back), old finished deliveries with
//! them, `VACUUM INTO` copies of the live database, and giving memory back when idle.

use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use rusqlite::{TransactionBehavior, params};

use super::{Context, Store, StoreError, to_ts};

/// Briefs deleted per transaction, so that ingest never waits long behind a prune.
pub const PRUNE_BATCH: usize = 500;

/// What one prune step did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PruneReport {
    /// Briefs deleted (each leaves a tombstone).
    pub briefs: u64,
    /// Finished deliveries deleted.
    pub deliveries: u64,
    /// Whether older briefs remain to prune (call again).
    pub more: bool,
}

impl Store {
    /// Deletes up to [`PRUNE_BATCH`] briefs first stored more than `keep` ago, in one transaction,
    /// except those whose story has a delivery still pending, in flight or held; with the last
    /// batch, also finished deliveries (delivered, merged, failed) older than `keep` and the
    /// alert memory of stories that no longer exist.
    pub fn prune_step(&mut self, keep: Duration) -> Result<PruneReport, StoreError> {
        let op = "pruning old briefs";
        let now = Utc::now();
        let cutoff = to_ts(now) - keep.as_secs().min(i64::MAX as u64 / 2) as i64;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .ctx(op)?;
        let ids: Vec<i64> = {
            let mut stmt = tx
                .prepare_cached(
                    "SELECT id FROM briefs
                      WHERE fetched_at < ?1
                        AND (story_id IS NULL OR story_id NOT IN (
                             SELECT story_id FROM deliveries
                              WHERE state IN ('pending', 'sending', 'held')
                                AND story_id IS NOT NULL))
                      ORDER BY id LIMIT ?2",
                )
                .ctx(op)?;
            stmt.query_map(params![cutoff, PRUNE_BATCH as i64], |r| r.get(0))
                .ctx(op)?
                .collect::<Result<_, _>>()
                .ctx(op)?
        };
        let mut report = PruneReport {
            more: ids.len() == PRUNE_BATCH,
            ..PruneReport::default()
        };
        for id in &ids {
            if super::briefs::delete_in(&tx, *id, to_ts(now))? {
                report.briefs += 1;
            }
        }
        if !report.more {
            report.deliveries = tx
                .execute(
                    "DELETE FROM deliveries
                      WHERE state IN ('delivered', 'merged', 'failed') AND updated_at < ?1",
                    [cutoff * 1000],
                )
                .ctx(op)? as u64;
            tx.execute(
                "DELETE FROM alerted WHERE story_id NOT IN (SELECT id FROM stories)",
                [],
            )
            .ctx(op)?;
        }
        tx.commit().ctx(op)?;
        if report.briefs > 0 {
            self.stories.index = None;
        }
        Ok(report)
    }

    /// Gives memory back once a burst of work is over: the in-memory story index (rebuilt from the
    /// database at the next placement), SQLite's page cache of this connection (pages are read
    /// again from the OS cache when needed) and, with glibc, the heap memory freed since
    /// (`malloc_trim`), which glibc otherwise keeps for the process.
    pub fn release_memory(&mut self) {
        self.stories.index = None;
        if let Err(e) = self.conn.execute_batch("PRAGMA shrink_memory;") {
            tracing::debug!(error = %e, "shrinking the SQLite cache failed");
        }
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: malloc_trim only returns free heap pages to the kernel; it takes no pointers.
        unsafe {
            libc::malloc_trim(0);
        }
    }

    /// Writes a consistent copy of the database to `dest` (`VACUUM INTO`), safe while the daemon
    /// runs; `dest` must not exist yet.
    pub fn backup(&self, dest: &Path) -> Result<(), StoreError> {
        if dest.exists() {
            return Err(StoreError::Open {
                path: dest.to_path_buf(),
                source: "already exists; give a new file name".into(),
            });
        }
        let text = dest.to_str().ok_or_else(|| StoreError::Open {
            path: dest.to_path_buf(),
            source: "the path is not valid UTF-8".into(),
        })?;
        self.conn
            .execute("VACUUM INTO ?1", [text])
            .map(drop)
            .ctx("writing a backup")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{brief, persist, store_with_sources};

    fn store_with(guids: &[&str]) -> (tempfile::TempDir, Store) {
        let (dir, mut store, ids) = store_with_sources(&["wire"]);
        let briefs = guids
            .iter()
            .map(|g| brief(g, &format!("Title {g}")))
            .collect();
        persist(&mut store, ids[0], briefs);
        (dir, store)
    }

    fn count(store: &Store, sql: &str) -> i64 {
        store.conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn old_briefs_go_with_tombstones_and_a_waiting_alert_keeps_its_story() {
        let (_d, mut store) = store_with(&["a", "b", "c"]);
        // Age everything by ten days; brief "b"'s story still has an alert waiting.
        store
            .conn
            .execute_batch(
                "UPDATE briefs SET fetched_at = fetched_at - 864000;
                 INSERT INTO deliveries (id, kind, rule, destination, story_id, brief_id, state,
                     next_at, created_at, updated_at)
                 SELECT 'msg_1', 'alert', 'r', 'd', story_id, id, 'pending', 0, 0, 0
                   FROM briefs WHERE guid = 'b';",
            )
            .unwrap();
        let r = store.prune_step(Duration::from_secs(7 * 86_400)).unwrap();
        assert_eq!((r.briefs, r.more), (2, false));
        assert_eq!(count(&store, "SELECT count(*) FROM briefs"), 1);
        assert_eq!(count(&store, "SELECT count(*) FROM stories"), 1);
        assert_eq!(count(&store, "SELECT count(*) FROM tombstones"), 2);
        // Younger than the cut: nothing more goes.
        let r = store.prune_step(Duration::from_secs(30 * 86_400)).unwrap();
        assert_eq!(r.briefs, 0);
    }

    #[test]
    fn a_backup_is_a_complete_database_and_never_overwrites() {
        let (dir, store) = store_with(&["a", "b"]);
        let dest = dir.path().join("copy.db");
        store.backup(&dest).unwrap();
        let copy = Store::open(&dest).unwrap();
        assert_eq!(count(&copy, "SELECT count(*) FROM briefs"), 2);
        let e = crate::errors::chain(&store.backup(&dest).unwrap_err()).to_string();
        assert!(e.contains("already exists"), "{e}");
    }
}
