//! Alerts going out: outward alert messages, their rendering for each kind of destination
//! (generic webhook, Slack, Discord, Teams, ntfy) with escaping, and Standard Webhooks signing.
//! The renderers send nothing, read no config and write no SQL; [`dispatcher`] does those, through
//! the store's writer and the one HTTP client.
//!
//! - [`payload`]: the [`Message`] types (alert, summary) and the versioned generic webhook JSON.
//! - [`sign`]: `whsec_` secrets, `webhook-*` headers, receiver-side verification.
//! - [`escape`]: cleaning, per-format escaping and length caps for untrusted text.
//! - [`wording`]: the sentences every chat format shows.
//! - [`webhook`], [`slack`], [`discord`], [`teams`], [`ntfy`]: one renderer per destination kind,
//!   each `render(&Message, &Options) -> Rendered`.
//! - [`dispatcher`]: the outbox delivered: claims, throttles, retries, dead letters.
//! - [`digest`]: digest emails: schedules, content, rendering (subject, text and HTML), sending.
//! - [`smtp`]: the MIME message and the mail server.

pub mod digest;
pub mod discord;
pub mod dispatcher;
pub mod escape;
pub mod ntfy;
pub mod payload;
pub mod sign;
pub mod slack;
pub mod smtp;
pub mod teams;
pub mod webhook;
pub mod wording;

pub use payload::Message;

/// The content type of every JSON body the renderers produce.
pub const JSON: &str = "application/json";

/// A rendered request body for one destination, ready for the dispatcher to POST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The request body.
    pub body: Vec<u8>,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Extra headers the destination needs (none of the renderers sets any today; signing headers
    /// are added per attempt by the dispatcher through [`sign::headers`]).
    pub headers: Vec<(String, String)>,
}

impl Rendered {
    /// A JSON body with no extra headers.
    pub(crate) fn json(value: &serde_json::Value) -> Rendered {
        Rendered {
            body: serde_json::to_vec(value).expect("a serde_json::Value always serialises"),
            content_type: JSON,
            headers: Vec::new(),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use serde_json::Value;

    /// Every string in a JSON document, depth first.
    pub(crate) fn strings(v: &Value) -> Vec<&str> {
        let mut out = Vec::new();
        collect(v, &mut out);
        out
    }

    fn collect<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::String(s) => out.push(s),
            Value::Array(a) => a.iter().for_each(|x| collect(x, out)),
            Value::Object(o) => o.values().for_each(|x| collect(x, out)),
            _ => {}
        }
    }

    /// Asserts that no string in `v` carries NUL, an ANSI escape, a control character other than
    /// newline and tab, or a bidi override.
    pub(crate) fn assert_clean(v: &Value) {
        for s in strings(v) {
            for c in s.chars() {
                assert!(
                    c == '\n' || c == '\t' || !c.is_control(),
                    "control character {c:?} in {s:?}"
                );
                assert!(
                    !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'),
                    "bidi control {c:?} in {s:?}"
                );
            }
        }
    }

    /// Parses a rendered JSON body.
    pub(crate) fn json(r: &super::Rendered) -> Value {
        assert_eq!(r.content_type, super::JSON);
        serde_json::from_slice(&r.body).expect("rendered body is JSON")
    }
}
