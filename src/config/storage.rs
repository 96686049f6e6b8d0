//! `[storage]`: where the database lives and how long briefs are kept. Owns [`StorageConfig`];
//! does not open the database.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::raw::RawStorage;
use super::{Problem, resolve};

/// The database file when `storage.path` is not set, relative to the config file's folder.
const DEFAULT_DB_PATH: &str = "data/briefwatch.db";

/// `[storage]`.
#[derive(Debug, Clone)]
pub struct StorageConfig {
    /// SQLite database file (absolute).
    pub path: PathBuf,
    /// Briefs first stored longer ago than this are pruned daily; `None`: kept for ever.
    pub keep: Option<Duration>,
}

/// Resolves the database path against the config file's folder `base` (`default_db`, else
/// `data/briefwatch.db` there, when not set) and checks `keep_days`.
pub(super) fn validate_storage(
    raw: RawStorage,
    base: &Path,
    default_db: Option<PathBuf>,
    problems: &mut Vec<Problem>,
) -> StorageConfig {
    if raw.keep_days == Some(0) {
        problems.push(Problem {
            key: "storage.keep_days".into(),
            reason: "must be at least 1 (leave it out to keep briefs for ever)".into(),
        });
    }
    StorageConfig {
        path: match (raw.path.as_deref(), default_db) {
            (Some(p), _) => resolve(base, p),
            (None, Some(db)) => db,
            (None, None) => resolve(base, DEFAULT_DB_PATH),
        },
        keep: raw
            .keep_days
            .filter(|d| *d > 0)
            .map(|d| Duration::from_secs(d.saturating_mul(86_400))),
    }
}
