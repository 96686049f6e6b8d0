//! `[storage]`: where the database lives. Owns [`StorageConfig`]; does not open the database.

use std::path::{Path, PathBuf};

use super::raw::RawStorage;
use super::resolve;

/// The database file when `storage.path` is not set, relative to the config file's folder.
const DEFAULT_DB_PATH: &str = "data/briefwatch.db";

/// `[storage]`.
#[derive(Debug, Clone)]
pub struct StorageConfig {
    /// SQLite database file (absolute).
    pub path: PathBuf,
}

/// Resolves the database path against the config file's folder `base`.
pub(super) fn validate_storage(raw: RawStorage, base: &Path) -> StorageConfig {
    StorageConfig {
        path: resolve(base, raw.path.as_deref().unwrap_or(DEFAULT_DB_PATH)),
    }
}
