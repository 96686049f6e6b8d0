//! Pure, synchronous transforms over owned data: no I/O, no SQL, no clock reads that matter. The
//! pipeline calls them between fetching and persisting; their inputs (topic packs, gazetteers) are
//! read by the config stage and handed in as parsed values.
//!
//! The order a raw entry goes through them (`normalize` drives the first four):
//!
//! 1. [`clean`]: HTML → sanitised HTML and plain text (entities decoded, scripts dropped, links
//!    made absolute). [`extract`] does the same for a whole article page, finding its main content.
//! 2. [`normalize`]: a raw entry → a [`crate::model::Brief`] (title, text, dates, guid, content hash).
//! 3. [`canonicalize`]: the brief's URL → its canonical form (tracking parameters, AMP, index pages).
//! 4. [`fingerprint`]: a MinHash signature of title and text, for near-duplicate detection.
//! 5. [`classify`]: topics with evidence, and the entities named.
//! 6. [`cluster`]: which story a brief joins, given the candidates the store's index found (the
//!    store calls it at insert, inside the write transaction).
//! 7. [`route`]: the alert rules a new brief matches (also called by the store at insert, so that
//!    the outbox rows are written in the brief's transaction).

pub mod canonicalize;
pub mod classify;
pub mod clean;
pub mod cluster;
pub mod extract;
pub mod fingerprint;
pub mod normalize;
pub mod route;
mod swar;
