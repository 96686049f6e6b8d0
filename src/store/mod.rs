//! The only module that speaks SQL: a SQLite database (WAL, synchronous=FULL, foreign keys) behind
//! domain methods. `rusqlite` types never leave this module.
//!
//! - [`schema`]: numbered migrations.
//! - `sources`, `briefs`, `stories`: the domain methods on [`Store`].
//! - [`writer`]: a thread that owns a [`Store`] and commits pipeline results in groups.

mod briefs;
mod deliveries;
mod digests;
mod health;
mod reader;
mod retention;
pub mod schema;
mod sources;
mod stories;
mod story_index;
#[cfg(test)]
pub(crate) mod testing;
mod topics;
mod websub;
pub mod writer;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::Connection;

use crate::errors::Cause;

pub use briefs::{BriefFilter, InsertReport, LinkState, NewBrief};
pub use deliveries::{
    AlertContent, Claimed, DeliveryKind, DeliveryRecord, Finish, new_delivery_id,
};
pub use digests::{ClaimRequest, ClaimedRun, DigestRun, RunOutcome};
pub use health::HealthFigures;
pub use reader::{BriefQuery, QUERY_BUDGET};
pub use retention::{PRUNE_BATCH, PruneReport};
pub use sources::ImportReport;
pub use stories::{Appearance, StorySummary};
pub use topics::{BriefText, Label, StoredModel};
pub use websub::AnnouncedHub;

/// A store operation that failed. Causes (SQLite's, the file system's) are kept as `source()`, boxed so
/// that `rusqlite` types stay inside this module; `crate::errors::chain` shows them on one line.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file could not be opened or prepared.
    #[error("cannot open database {path}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// Why.
        #[source]
        source: Cause,
    },
    /// The database was written by a newer briefwatch.
    #[error("database {path} has schema version {found}; this briefwatch knows up to {known}")]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// Its schema version.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
    /// A query failed.
    #[error("database error while {op}{}", subject.as_deref().map(|s| format!(" ({s})")).unwrap_or_default())]
    Query {
        /// What the store was doing.
        op: &'static str,
        /// What it was working on, when known: `source 3`, `brief 12`.
        subject: Option<String>,
        /// What SQLite (or the writer) said.
        #[source]
        source: Cause,
    },
    /// A record that was asked for does not exist.
    #[error("{what} not found")]
    NotFound {
        /// What was looked for, e.g. `brief 12`.
        what: String,
    },
    /// The record is not in a state that allows the operation.
    #[error("{what}")]
    Conflict {
        /// What stands in the way, e.g. `delivery msg_.. is delivered, not failed`.
        what: String,
    },
    /// A read for the API ran past its time budget and was interrupted.
    #[error("{op} took longer than {}s and was stopped", budget.as_secs())]
    TooCostly {
        /// What the store was doing.
        op: &'static str,
        /// The budget it ran out of.
        budget: Duration,
    },
    /// A search query that FTS5 cannot parse even after quoting.
    #[error("invalid search query {query:?}")]
    BadQuery {
        /// The query.
        query: String,
        /// What FTS5 said.
        #[source]
        source: Cause,
    },
}

impl StoreError {
    /// A query error from a plain message (the writer's own failures).
    pub(crate) fn query(op: &'static str, detail: impl Into<String>) -> StoreError {
        StoreError::Query {
            op,
            subject: None,
            source: detail.into().into(),
        }
    }

    /// The same error, naming what the store was working on (`source 3`, `brief 12`), unless it
    /// already names something.
    pub fn about(self, what: impl FnOnce() -> String) -> StoreError {
        match self {
            StoreError::Query {
                op,
                subject: None,
                source,
            } => StoreError::Query {
                op,
                subject: Some(what()),
                source,
            },
            other => other,
        }
    }
}

/// Runs a query and collects every row through `row`; errors name `op`.
pub(crate) fn query_all<T>(
    conn: &Connection,
    op: &'static str,
    sql: &str,
    params: impl rusqlite::Params,
    row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).ctx(op)?;
    let rows = stmt.query_map(params, row).ctx(op)?;
    rows.collect::<Result<_, _>>().ctx(op)
}

/// Attaches the operation name to a `rusqlite` error.
pub(crate) trait Context<T> {
    fn ctx(self, op: &'static str) -> Result<T, StoreError>;
}

impl<T> Context<T> for Result<T, rusqlite::Error> {
    fn ctx(self, op: &'static str) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::Query {
            op,
            subject: None,
            source: Box::new(e),
        })
    }
}

/// The story window of a store until [`Store::set_story_window`] is called. The program always sets
/// the configured one (`crate::config::DEFAULT_STORY_WINDOW` when the file says nothing); this value
/// is the same, so that stores opened by tests and benchmarks cluster alike. The store does not
/// depend on the config: a test in `app` keeps the two equal.
const INITIAL_STORY_WINDOW: Duration = Duration::from_secs(7 * 86_400);

/// Turns off SQLite's memory-usage statistics, once per process and before the first connection:
/// they take a global mutex on every allocation, which the single writer pays for on every row.
fn disable_memory_statistics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: sqlite3_config is called before any connection is opened (the Once runs first);
        // if SQLite was already initialised it returns SQLITE_MISUSE and changes nothing.
        unsafe {
            rusqlite::ffi::sqlite3_config(
                rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS,
                0 as std::ffi::c_int,
            );
        }
    });
}

/// Size figures of a database file, from [`Store::size_stats`].
#[derive(Debug, Clone, Copy)]
pub struct SizeStats {
    /// Stored briefs.
    pub briefs: u64,
    /// Bytes of title, text and HTML in them.
    pub text_bytes: u64,
    /// Bytes of the database file.
    pub file_bytes: u64,
}

/// The briefwatch database.
pub struct Store {
    conn: Connection,
    stories: stories::StoryState,
    outbox: deliveries::Outbox,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let open_err = |source: Cause| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| open_err(format!("cannot create {}: {e}", dir.display()).into()))?;
        }
        disable_memory_statistics();
        let conn = Connection::open(path).map_err(|e| open_err(Box::new(e)))?;
        let mut store = Store {
            conn,
            stories: stories::StoryState {
                window_secs: INITIAL_STORY_WINDOW.as_secs() as i64,
                index: None,
            },
            outbox: deliveries::Outbox::default(),
        };
        store.configure().map_err(|e| open_err(Box::new(e)))?;
        store.migrate(path)?;
        Ok(store)
    }

    fn configure(&self) -> Result<(), rusqlite::Error> {
        self.conn.busy_timeout(Duration::from_secs(10))?;
        // Switching a new database to WAL needs it to itself for a moment, and SQLite answers BUSY
        // at once (without the busy handler) while another process is opening it too: the daemon
        // and a CLI command started together. Retry within the same 10 s.
        // 16 KiB pages, set before the first table exists (a no-op on an existing database): a
        // brief row is about 2 KB, and with SQLite's 4 KiB default a page held one row and half a
        // page of nothing, so a 1,000-feed cold poll wrote a 160 MB file in 167,000 page writes.
        self.conn.execute_batch("PRAGMA page_size = 16384;")?;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            match self.conn.execute_batch("PRAGMA journal_mode = WAL;") {
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == rusqlite::ErrorCode::DatabaseBusy
                        && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(20));
                }
                other => break other?,
            }
        }
        // SQLite's default of a checkpoint every 1000 pages (4 MiB of log). With 8192, measured on a
        // 1,000-feed cold poll, the checkpoints stopped keeping up: the log grew to 200 MB and the
        // whole database was copied out of it when the connection closed.
        self.conn.execute_batch(
            "PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA temp_store = MEMORY;
             PRAGMA cache_size = -16000;
             PRAGMA wal_autocheckpoint = 1000;",
        )
    }

    fn migrate(&mut self, path: &Path) -> Result<(), StoreError> {
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .ctx("reading the schema version")?;
        let known = schema::MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew {
                path: path.to_path_buf(),
                found: version,
                known,
            });
        }
        for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(version as usize) {
            // IMMEDIATE, and the version read again inside: another process opening the same new
            // database at the same moment (the daemon and a CLI command) waits here and then finds
            // the step done, instead of applying it twice.
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .ctx("starting a migration")?;
            let now: i64 = tx
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .ctx("reading the schema version")?;
            if now > i as i64 {
                continue;
            }
            tx.execute_batch(sql).ctx("applying a migration")?;
            tx.pragma_update(None, "user_version", i as i64 + 1)
                .ctx("recording the schema version")?;
            tx.commit().ctx("committing a migration")?;
            tracing::info!(version = i + 1, "database schema migrated");
        }
        Ok(())
    }

    /// Sets how far apart two briefs may be published and still join one story.
    pub fn set_story_window(&mut self, window: Duration) {
        self.stories.window_secs = window.as_secs().min(i64::MAX as u64) as i64;
        self.stories.index = None;
    }

    /// How far apart two briefs may be published and still join one story.
    pub fn story_window(&self) -> Duration {
        Duration::from_secs(self.stories.window_secs.max(0) as u64)
    }

    /// Size figures of the database at `path` (checkpointed first): file size, briefs, text bytes.
    pub fn size_stats(path: &Path) -> Result<SizeStats, StoreError> {
        let store = Store::open(path)?;
        let op = "measuring the database";
        store
            .conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .ctx(op)?;
        let (briefs, text_bytes): (i64, i64) = store
            .conn
            .query_row(
                "SELECT count(*), coalesce(sum(length(CAST(title AS BLOB)) + length(CAST(text AS BLOB))
                     + coalesce(length(CAST(html AS BLOB)), 0)), 0) FROM briefs",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .ctx(op)?;
        drop(store);
        let file_bytes =
            std::fs::metadata(path)
                .map(|m| m.len())
                .map_err(|e| StoreError::Open {
                    path: path.to_path_buf(),
                    source: Box::new(e),
                })?;
        Ok(SizeStats {
            briefs: briefs as u64,
            text_bytes: text_bytes as u64,
            file_bytes,
        })
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .ctx("reading the schema version")
    }
}

pub(crate) fn to_ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

pub(crate) fn from_ts(ts: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(ts, 0).single().unwrap_or_default()
}

/// Unix milliseconds, as the outbox and digest runs store times.
pub(crate) fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// The time of Unix milliseconds `ms` (the epoch when out of range).
pub(crate) fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_migrates_and_reopen_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/bw.db");
        let s = Store::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), schema::MIGRATIONS.len() as i64);
        drop(s);
        let s = Store::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), schema::MIGRATIONS.len() as i64);
        let mode: String = s
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn a_new_database_has_16_kib_pages_and_an_old_one_keeps_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let page = |s: &Store| -> i64 {
            s.conn
                .query_row("PRAGMA page_size", [], |r| r.get(0))
                .unwrap()
        };
        let s = Store::open(&dir.path().join("new.db")).unwrap();
        assert_eq!(page(&s), 16_384);
        let old = dir.path().join("old.db");
        Connection::open(&old)
            .unwrap()
            .execute_batch(
                "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; CREATE TABLE t (x);",
            )
            .unwrap();
        let s = Store::open(&old).unwrap();
        assert_eq!(page(&s), 4096);
    }

    #[test]
    fn two_processes_creating_the_same_database_at_once_both_succeed() {
        // Regression: the daemon and a CLI command opening a new database together both applied
        // migration 1 ("table stories already exists"), or one got "database is locked" while the
        // other switched it to WAL.
        for _ in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("bw.db");
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
            let opened: Vec<_> = (0..4)
                .map(|_| {
                    let (path, barrier) = (path.clone(), barrier.clone());
                    std::thread::spawn(move || {
                        barrier.wait();
                        Store::open(&path).map(|_| ())
                    })
                })
                .collect();
            for t in opened {
                t.join().unwrap().unwrap();
            }
        }
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bw.db");
        let s = Store::open(&path).unwrap();
        s.conn.pragma_update(None, "user_version", 999).unwrap();
        drop(s);
        assert!(matches!(
            Store::open(&path),
            Err(StoreError::TooNew { found: 999, .. })
        ));
    }
}
