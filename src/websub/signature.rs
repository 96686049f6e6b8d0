//! `X-Hub-Signature` on WebSub content distribution: `method=hex`, the HMAC of the raw body with
//! the subscription's secret, for `sha1`, `sha256`, `sha384` and `sha512`, compared in constant
//! time. Pure; what to do with a bad signature is the callback's.

use hmac::{Hmac, KeyInit, Mac};

/// Why a pushed body's signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `X-Hub-Signature` header.
    #[error("no X-Hub-Signature header")]
    Missing,
    /// The header is not `method=hex`.
    #[error("X-Hub-Signature is not method=hex")]
    Malformed,
    /// A method other than sha1, sha256, sha384 and sha512.
    #[error("X-Hub-Signature uses an unsupported method {method:?}")]
    UnsupportedMethod {
        /// The method as sent (at most 16 characters of it).
        method: String,
    },
    /// The HMAC does not match: another secret, or a changed body.
    #[error("X-Hub-Signature does not match the body")]
    Mismatch,
}

impl SignatureError {
    /// A stable short name for logs and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            SignatureError::Missing => "missing_signature",
            SignatureError::Malformed => "malformed_signature",
            SignatureError::UnsupportedMethod { .. } => "unsupported_signature_method",
            SignatureError::Mismatch => "signature_mismatch",
        }
    }
}

/// Checks `header` (the `X-Hub-Signature` value, if sent) against `body` signed with `secret`.
pub fn verify(header: Option<&[u8]>, secret: &[u8], body: &[u8]) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let header = std::str::from_utf8(header).map_err(|_| SignatureError::Malformed)?;
    let (method, hex) = header
        .trim()
        .split_once('=')
        .ok_or(SignatureError::Malformed)?;
    let expected = decode_hex(hex.trim()).ok_or(SignatureError::Malformed)?;
    let ok = match method.trim().to_ascii_lowercase().as_str() {
        "sha1" => matches::<Hmac<sha1::Sha1>>(secret, body, &expected),
        "sha256" => matches::<Hmac<sha2::Sha256>>(secret, body, &expected),
        "sha384" => matches::<Hmac<sha2::Sha384>>(secret, body, &expected),
        "sha512" => matches::<Hmac<sha2::Sha512>>(secret, body, &expected),
        other => {
            return Err(SignatureError::UnsupportedMethod {
                method: other.chars().take(16).collect(),
            });
        }
    };
    if ok {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// Whether `expected` is the HMAC `M` of `body` under `secret` (constant time).
fn matches<M: KeyInit + Mac>(secret: &[u8], body: &[u8], expected: &[u8]) -> bool {
    let Ok(mut mac) = <M as KeyInit>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(expected).is_ok()
}

/// Lower- or upper-case hex to bytes; `None` for an odd length, another character or nothing.
fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.is_empty() || s.len() % 2 != 0 {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    s.as_bytes()
        .chunks_exact(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"key";
    const BODY: &[u8] = b"The quick brown fox jumps over the lazy dog";

    // HMAC test values for key "key" over the pangram (published, e.g. on Wikipedia's HMAC page
    // for SHA-1 and SHA-256; SHA-384 and SHA-512 computed with Python's hmac module).
    const SHA1: &str = "de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9";
    const SHA256: &str = "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8";
    const SHA384: &str = "d7f4727e2c0b39ae0f1e40cc96f60242d5b7801841cea6fc592c5d3e1ae50700582a96cf35e1e554995fe4e03381c237";
    const SHA512: &str = "b42af09057bac1e2d41708e48a902e09b5ff7f12ab428a4fe86653c73dd248fb82f948a549f7b791a5b41915ee4d1ec3935357e4e2317250d0372afa2ebeeb3a";

    fn check(header: &str) -> Result<(), SignatureError> {
        verify(Some(header.as_bytes()), SECRET, BODY)
    }

    #[test]
    fn each_method_verifies_its_published_hmac() {
        assert_eq!(check(&format!("sha1={SHA1}")), Ok(()));
        assert_eq!(check(&format!("sha256={SHA256}")), Ok(()));
        assert_eq!(check(&format!("sha384={SHA384}")), Ok(()));
        assert_eq!(check(&format!("sha512={SHA512}")), Ok(()));
        assert_eq!(
            check(&format!("SHA256={}", SHA256.to_uppercase())),
            Ok(()),
            "method and hex are case-insensitive"
        );
    }

    #[test]
    fn a_wrong_secret_body_or_method_is_a_mismatch() {
        assert_eq!(
            verify(Some(format!("sha256={SHA256}").as_bytes()), b"other", BODY),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(
                Some(format!("sha256={SHA256}").as_bytes()),
                SECRET,
                b"changed"
            ),
            Err(SignatureError::Mismatch)
        );
        // The sha1 value under the sha256 method: the right length is needed too.
        assert_eq!(
            check(&format!("sha256={SHA1}")),
            Err(SignatureError::Mismatch)
        );
        let mut flipped = SHA512.to_string();
        flipped.replace_range(0..1, "c");
        assert_eq!(
            check(&format!("sha512={flipped}")),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_missing_or_malformed_header_is_named_as_such() {
        assert_eq!(verify(None, SECRET, BODY), Err(SignatureError::Missing));
        for bad in ["", "sha256", "sha256=", "sha256=abc", "sha256=zz", "=00"] {
            let e = check(bad).unwrap_err();
            assert!(
                matches!(
                    e,
                    SignatureError::Malformed | SignatureError::UnsupportedMethod { .. }
                ),
                "{bad:?}: {e:?}"
            );
        }
        assert_eq!(check("sha256=abc"), Err(SignatureError::Malformed));
        assert_eq!(
            check("md5=00ff"),
            Err(SignatureError::UnsupportedMethod {
                method: "md5".into()
            })
        );
        assert_eq!(
            verify(Some(b"sha256=\xff\xfe"), SECRET, BODY),
            Err(SignatureError::Malformed)
        );
        assert_eq!(SignatureError::Mismatch.reason(), "signature_mismatch");
    }
}
