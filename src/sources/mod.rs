//! Sources fetch bytes and parse them into raw briefs; they never write SQL.
//!
//! - [`http`]: the one HTTP client (conditional GET, limits, politeness, private-network guard).
//! - [`charset`]: legacy encodings to UTF-8.
//! - [`dates`]: lenient feed timestamps.
//! - [`discover`]: announced feeds, common feed paths, a proposed `links` selector.
//! - [`html`]: listing pages (brief links, next page) and article pages to raw briefs.
//! - [`feed`]: RSS/Atom/JSON Feed documents to [`crate::model::RawBrief`]s (with `feed_extras` filling
//!   in what feed-rs leaves out).

pub mod charset;
pub mod dates;
pub mod discover;
pub mod feed;
mod feed_extras;
pub mod html;
pub mod http;
