//! Standard Webhooks signing (symmetric, `v1`): parses `whsec_` secrets, signs
//! `{id}.{timestamp}.{body}` with HMAC-SHA256 and produces the `webhook-id`, `webhook-timestamp`
//! and `webhook-signature` headers; `verify` is the receiver's side, for tests and documentation.
//!
//! Follows <https://www.standardwebhooks.com> (spec 1.0.0): the secret is base64 after an optional
//! `whsec_` prefix (the reference libraries accept both), the signature is `v1,` followed by the
//! base64 MAC, and the signature header is a space-separated list so that a rotated key can sign
//! alongside the new one. Sends nothing.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The prefix that identifies a Standard Webhooks symmetric secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// The shortest key the spec allows, in bytes (192 bits).
pub const MIN_KEY_BYTES: usize = 24;

/// The longest key the spec allows, in bytes (512 bits).
pub const MAX_KEY_BYTES: usize = 64;

/// How far a receiver lets `webhook-timestamp` stray from its clock, in seconds (the reference
/// libraries' five minutes).
pub const TOLERANCE_SECS: i64 = 300;

/// The header carrying the delivery id.
pub const HEADER_ID: &str = "webhook-id";
/// The header carrying the attempt's unix time in seconds.
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
/// The header carrying the signatures.
pub const HEADER_SIGNATURE: &str = "webhook-signature";

/// A symmetric signing key. `Debug` and `Display` print `whsec_***`, never the key.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret {
    key: Vec<u8>,
}

/// Why a secret was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// Nothing after the optional prefix.
    #[error("webhook secret is empty (expected whsec_ followed by base64)")]
    Empty,
    /// The text after the prefix is not standard base64 (the message never repeats the secret).
    #[error("webhook secret is not valid base64 after whsec_ (at character {position})")]
    NotBase64 {
        /// Where decoding failed, counted after the prefix.
        position: usize,
    },
    /// The decoded key is outside 24–64 bytes.
    #[error(
        "webhook secret decodes to {len} bytes; Standard Webhooks keys are {MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes"
    )]
    BadLength {
        /// The decoded length.
        len: usize,
    },
}

/// Why a message could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The id is empty, or holds `.`, whitespace or control characters: the spec forbids `.` (it
    /// delimits the signed content) and the id must fit in an HTTP header.
    #[error("webhook id {id:?} is empty or holds '.', whitespace or control characters")]
    BadId {
        /// The refused id.
        id: String,
    },
}

/// Why a receiver rejected a delivery.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// `webhook-timestamp` is not an integer.
    #[error("webhook-timestamp {0:?} is not a unix time in seconds")]
    BadTimestamp(String),
    /// `webhook-timestamp` is more than [`TOLERANCE_SECS`] away from the receiver's clock.
    #[error("webhook-timestamp {timestamp} is more than {TOLERANCE_SECS}s from now ({now})")]
    OutOfTolerance {
        /// The header's time.
        timestamp: i64,
        /// The receiver's time.
        now: i64,
    },
    /// No `v1` signature in the header matched.
    #[error("no webhook-signature matched")]
    NoMatch,
}

impl WebhookSecret {
    /// Parses `whsec_<base64>` (or bare base64, as the reference libraries accept) into a key of
    /// 24 to 64 bytes.
    pub fn parse(text: &str) -> Result<WebhookSecret, SecretError> {
        let encoded = text.trim();
        let encoded = encoded.strip_prefix(SECRET_PREFIX).unwrap_or(encoded);
        if encoded.is_empty() {
            return Err(SecretError::Empty);
        }
        let key = STANDARD
            .decode(encoded)
            .map_err(|e| SecretError::NotBase64 {
                position: match e {
                    base64::DecodeError::InvalidByte(at, _) => at,
                    base64::DecodeError::InvalidLastSymbol { offset, .. } => offset,
                    _ => encoded.len(),
                },
            })?;
        WebhookSecret::from_bytes(key)
    }

    /// A secret from raw key bytes (24 to 64 of them).
    pub fn from_bytes(key: Vec<u8>) -> Result<WebhookSecret, SecretError> {
        if !(MIN_KEY_BYTES..=MAX_KEY_BYTES).contains(&key.len()) {
            return Err(SecretError::BadLength { len: key.len() });
        }
        Ok(WebhookSecret { key })
    }

    /// The secret in its shareable form, `whsec_` followed by base64: for showing to the
    /// receiver's operator once, never for logs.
    pub fn expose(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(&self.key))
    }

    /// The `v1,<base64>` signature of `body` sent as message `id` at unix time `timestamp`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> Result<String, SignError> {
        check_id(id)?;
        let tag = self.mac(id, timestamp, body).finalize().into_bytes();
        Ok(format!("v1,{}", STANDARD.encode(tag)))
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
        // Any key length is valid for HMAC; the length was checked on construction anyway.
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }
}

impl std::str::FromStr for WebhookSecret {
    type Err = SecretError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        WebhookSecret::parse(s)
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(whsec_***)")
    }
}

impl fmt::Display for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("whsec_***")
    }
}

fn check_id(id: &str) -> Result<(), SignError> {
    if id.is_empty()
        || id
            .chars()
            .any(|c| c == '.' || c.is_whitespace() || c.is_control())
    {
        return Err(SignError::BadId { id: id.to_owned() });
    }
    Ok(())
}

/// The three Standard Webhooks headers for `body` sent as message `id` at unix time `timestamp`,
/// signed with every key in `secrets` (the current one first; more than one while rotating).
pub fn headers(
    secrets: &[WebhookSecret],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<Vec<(String, String)>, SignError> {
    check_id(id)?;
    let signatures = secrets
        .iter()
        .map(|s| s.sign(id, timestamp, body))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(vec![
        (HEADER_ID.to_owned(), id.to_owned()),
        (HEADER_TIMESTAMP.to_owned(), timestamp.to_string()),
        (HEADER_SIGNATURE.to_owned(), signatures.join(" ")),
    ])
}

/// The receiver's check: `timestamp` (the header text) within [`TOLERANCE_SECS`] of `now`, and
/// one `v1` entry of the space-separated `signature` header matching, compared in constant time.
/// Entries of other versions (`v1a`, …) are skipped.
pub fn verify(
    secret: &WebhookSecret,
    id: &str,
    timestamp: &str,
    signature: &str,
    body: &[u8],
    now: i64,
) -> Result<(), VerifyError> {
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| VerifyError::BadTimestamp(timestamp.to_owned()))?;
    if (now - ts).abs() > TOLERANCE_SECS {
        return Err(VerifyError::OutOfTolerance { timestamp: ts, now });
    }
    let matched = signature
        .split_whitespace()
        .filter_map(|entry| entry.strip_prefix("v1,"))
        .filter_map(|b64| STANDARD.decode(b64).ok())
        .any(|tag| secret.mac(id, ts, body).verify_slice(&tag).is_ok());
    if matched {
        Ok(())
    } else {
        Err(VerifyError::NoMatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The published test vector of the Standard Webhooks reference libraries ("sign function
    // works"): secret, message id, timestamp, payload and expected signature.
    const VECTOR_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const VECTOR_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const VECTOR_TIMESTAMP: i64 = 1_614_265_330;
    const VECTOR_PAYLOAD: &str = r#"{"test": 2432232314}"#;
    const VECTOR_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn secret() -> WebhookSecret {
        WebhookSecret::parse(VECTOR_SECRET).unwrap()
    }

    #[test]
    fn sign_matches_the_standard_webhooks_test_vector() {
        let sig = secret()
            .sign(VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_PAYLOAD.as_bytes())
            .unwrap();
        assert_eq!(sig, VECTOR_SIGNATURE);
    }

    #[test]
    fn secret_parses_with_and_without_prefix() {
        let bare = WebhookSecret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(bare, secret());
        assert_eq!(secret().expose(), VECTOR_SECRET);
        assert_eq!(VECTOR_SECRET.parse::<WebhookSecret>().unwrap(), secret());
    }

    #[test]
    fn secret_errors_are_clear_and_never_echo_the_secret() {
        assert_eq!(WebhookSecret::parse("whsec_"), Err(SecretError::Empty));
        let err = WebhookSecret::parse("whsec_not*base64!!").unwrap_err();
        assert!(
            matches!(err, SecretError::NotBase64 { position: 3 }),
            "{err:?}"
        );
        assert!(!err.to_string().contains("not*base64"));
        assert_eq!(
            WebhookSecret::parse("whsec_c2hvcnQ="),
            Err(SecretError::BadLength { len: 5 })
        );
        assert!(WebhookSecret::from_bytes(vec![0; 65]).is_err());
    }

    #[test]
    fn secret_debug_and_display_hide_the_key() {
        let s = secret();
        assert_eq!(format!("{s}"), "whsec_***");
        assert_eq!(format!("{s:?}"), "WebhookSecret(whsec_***)");
        assert!(!format!("{s:?}{s}").contains("MfKQ"));
    }

    #[test]
    fn headers_carry_id_timestamp_and_space_separated_signatures() {
        let other = WebhookSecret::from_bytes(vec![7; 32]).unwrap();
        let h = headers(
            &[secret(), other],
            VECTOR_ID,
            VECTOR_TIMESTAMP,
            VECTOR_PAYLOAD.as_bytes(),
        )
        .unwrap();
        assert_eq!(h[0], ("webhook-id".into(), VECTOR_ID.into()));
        assert_eq!(h[1], ("webhook-timestamp".into(), "1614265330".into()));
        let sigs: Vec<_> = h[2].1.split(' ').collect();
        assert_eq!(h[2].0, "webhook-signature");
        assert_eq!(sigs.len(), 2);
        assert_eq!(sigs[0], VECTOR_SIGNATURE);
    }

    #[test]
    fn ids_with_dots_or_spaces_are_refused() {
        for id in ["", "a.b", "a b", "a\nb"] {
            assert!(secret().sign(id, 1, b"{}").is_err(), "{id:?}");
        }
    }

    #[test]
    fn verify_accepts_the_vector_and_any_listed_v1_signature() {
        let now = VECTOR_TIMESTAMP + 10;
        let body = VECTOR_PAYLOAD.as_bytes();
        let ts = "1614265330";
        assert_eq!(
            verify(&secret(), VECTOR_ID, ts, VECTOR_SIGNATURE, body, now),
            Ok(())
        );
        let list =
            format!("v1a,abc v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= {VECTOR_SIGNATURE}");
        assert_eq!(verify(&secret(), VECTOR_ID, ts, &list, body, now), Ok(()));
    }

    #[test]
    fn verify_rejects_tampering_partial_signatures_and_stale_timestamps() {
        let body = VECTOR_PAYLOAD.as_bytes();
        let now = VECTOR_TIMESTAMP;
        let ts = "1614265330";
        let s = secret();
        let no = Err(VerifyError::NoMatch);
        assert_eq!(verify(&s, VECTOR_ID, ts, VECTOR_SIGNATURE, b"{}", now), no);
        assert_eq!(verify(&s, "msg_other", ts, VECTOR_SIGNATURE, body, now), no);
        assert_eq!(
            verify(&s, VECTOR_ID, ts, &VECTOR_SIGNATURE[..8], body, now),
            no
        );
        assert_eq!(verify(&s, VECTOR_ID, ts, "v1,", body, now), no);
        assert_eq!(
            verify(&s, VECTOR_ID, "hello", VECTOR_SIGNATURE, body, now),
            Err(VerifyError::BadTimestamp("hello".into()))
        );
        assert!(matches!(
            verify(
                &s,
                VECTOR_ID,
                ts,
                VECTOR_SIGNATURE,
                body,
                now + TOLERANCE_SECS + 1
            ),
            Err(VerifyError::OutOfTolerance { .. })
        ));
    }
}
