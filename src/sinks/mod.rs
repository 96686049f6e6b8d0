//! The sink layer's pure half: outward alert messages, their rendering for each kind of destination
//! (generic webhook, Slack, Discord, Teams, ntfy) with escaping, and Standard Webhooks signing.
//! Sends nothing, reads no config and writes no SQL: the dispatcher does those.
//!
//! - [`sign`]: `whsec_` secrets, `webhook-*` headers, receiver-side verification.

pub mod sign;
