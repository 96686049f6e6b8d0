//! Pure, synchronous transforms over owned data: cleaning HTML, extracting articles from pages and
//! normalising raw entries into briefs.
//!
//! Nothing here does I/O; the pipeline calls these between fetching and persisting.

pub mod canonicalize;
pub mod classify;
pub mod clean;
pub mod cluster;
pub mod extract;
pub mod fingerprint;
pub mod normalize;
