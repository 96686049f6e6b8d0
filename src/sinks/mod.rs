//! The sink layer's pure half: outward alert messages, their rendering for each kind of destination
//! (generic webhook, Slack, Discord, Teams, ntfy) with escaping, and Standard Webhooks signing.
//! Sends nothing, reads no config and writes no SQL: the dispatcher does those.
//!
//! - [`payload`]: the [`Message`] types (alert, summary) and the versioned generic webhook JSON.
//! - [`sign`]: `whsec_` secrets, `webhook-*` headers, receiver-side verification.
//! - [`escape`]: cleaning, per-format escaping and length caps for untrusted text.
//! - [`wording`]: the sentences every chat format shows.

pub mod escape;
pub mod payload;
pub mod sign;
pub mod wording;

pub use payload::Message;
