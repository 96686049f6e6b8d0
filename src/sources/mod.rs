//! Sources fetch bytes and parse them into raw briefs; they never write SQL. Decoding bytes and dates
//! is [`crate::decode`]'s, cleaning and extracting text [`crate::transforms`]'.
//!
//! - [`http`]: the one HTTP client (conditional GET, limits, politeness).
//! - [`netguard`]: the private-network guard of every outbound connection (HTTP and SMTP).
//! - [`discover`]: announced feeds, common feed paths, a proposed `links` selector.
//! - [`html`]: listing pages (brief links, next page) and article pages to raw briefs.
//! - [`websub`]: the WebSub hub and topic a feed announces (Link headers, feed links).
//! - [`feed`]: RSS/Atom/JSON Feed documents to [`crate::model::RawBrief`]s (with `feed_extras` filling
//!   in what feed-rs leaves out, and `feed_dialects` rewriting what it would reject).

pub mod discover;
pub mod feed;
mod feed_dialects;
mod feed_extras;
pub mod html;
pub mod http;
pub mod netguard;
pub mod websub;
