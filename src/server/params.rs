//! Query parameters of the API: parsed strictly (each at most once, none unknown, none empty),
//! `limit` within bounds, `since` and `min_score` checked, and the opaque keyset cursor of
//! `/api/briefs`. Every refusal is an [`ApiError`] naming the parameter.

use std::collections::HashMap;

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};

use super::api::ApiError;

/// Page size when `limit` is not given.
pub const DEFAULT_LIMIT: u64 = 50;
/// The largest `limit` accepted.
pub const MAX_LIMIT: u64 = 500;

/// The query parameters each endpoint accepts (anything else is a 400); the OpenAPI document's
/// parameters are checked against these.
pub const BRIEFS_PARAMS: &[&str] = &[
    "topic",
    "source",
    "entity",
    "since",
    "q",
    "min_score",
    "limit",
    "cursor",
];
/// See [`BRIEFS_PARAMS`].
pub const STORIES_PARAMS: &[&str] = &["limit", "min_sources"];
/// See [`BRIEFS_PARAMS`].
pub const DELIVERIES_PARAMS: &[&str] = &["limit", "failed"];
/// See [`BRIEFS_PARAMS`].
pub const STREAM_PARAMS: &[&str] = &["topic", "source", "min_score", "after"];

/// How the OpenAPI document describes `since`: an RFC 3339 time or a date. Never built; only its
/// schema is used ([`Params::since`] reads the value).
#[derive(utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum Since {
    /// An RFC 3339 time, e.g. `2026-11-01T06:00:00Z`.
    Time(DateTime<Utc>),
    /// A date (from midnight UTC), e.g. `2026-11-01`.
    Date(NaiveDate),
}

/// The query parameters of one request: each at most once, none unknown, none empty.
pub struct Params(HashMap<String, String>);

impl Params {
    /// Parses `raw`, accepting only the names in `allowed`.
    pub fn parse(raw: Option<&str>, allowed: &[&str]) -> Result<Params, ApiError> {
        let mut out = HashMap::new();
        for (k, v) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            if !allowed.contains(&k.as_ref()) {
                return Err(ApiError::param(
                    &k,
                    format!("unknown parameter; known: {}", allowed.join(", ")),
                ));
            }
            // Only the empty string: the document says `minLength: 1`, and a value of spaces is
            // simply one that matches nothing.
            if v.is_empty() {
                return Err(ApiError::param(&k, "empty"));
            }
            if out.insert(k.to_string(), v.into_owned()).is_some() {
                return Err(ApiError::param(&k, "given more than once"));
            }
        }
        Ok(Params(out))
    }

    /// The value of `name`, if given.
    pub fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }

    /// `limit`: 1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`] when absent.
    pub fn limit(&self) -> Result<u64, ApiError> {
        match self.0.get("limit") {
            None => Ok(DEFAULT_LIMIT),
            Some(v) => match v.parse::<u64>() {
                Ok(n @ 1..=MAX_LIMIT) => Ok(n),
                _ => Err(ApiError::param(
                    "limit",
                    format!("{v:?} is not a whole number from 1 to {MAX_LIMIT}"),
                )),
            },
        }
    }

    /// `min_score`: a number from 0 to 1 (checked before rounding to `f32`, so that 1.0000000001
    /// is refused as the document says).
    pub fn min_score(&self) -> Result<Option<f32>, ApiError> {
        self.0
            .get("min_score")
            .map(|v| match v.parse::<f64>() {
                Ok(s) if (0.0..=1.0).contains(&s) => Ok(s as f32),
                _ => Err(ApiError::param(
                    "min_score",
                    format!("{v:?} is not a number from 0 to 1"),
                )),
            })
            .transpose()
    }

    /// `since`: an RFC 3339 time or a date (midnight UTC).
    pub fn since(&self) -> Result<Option<DateTime<Utc>>, ApiError> {
        let Some(v) = self.0.get("since") else {
            return Ok(None);
        };
        if let Ok(d) = DateTime::parse_from_rfc3339(v) {
            return Ok(Some(d.with_timezone(&Utc)));
        }
        match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
            Ok(d) => Ok(d.and_hms_opt(0, 0, 0).map(|t| t.and_utc())),
            Err(_) => Err(ApiError::param(
                "since",
                format!("{v:?} is not an RFC 3339 time or a date (2026-11-01)"),
            )),
        }
    }
}

/// The opaque cursor of the page after the brief `id`.
pub fn encode_cursor(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("b1:{id}"))
}

/// The brief id in a cursor [`encode_cursor`] made; a 400 for anything else.
pub fn decode_cursor(c: &str) -> Result<i64, ApiError> {
    URL_SAFE_NO_PAD
        .decode(c)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("b1:").and_then(|n| n.parse::<i64>().ok()))
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_cursor",
                "cursor: not a cursor this API gave out",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        assert_eq!(decode_cursor(&encode_cursor(42)).unwrap(), 42);
        for bad in ["", "42", "YjE6LTE", "!!", &URL_SAFE_NO_PAD.encode("b1:x")] {
            assert!(decode_cursor(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parameters_are_known_single_and_in_range() {
        let p = Params::parse(Some("limit=500&topic=ceasefire"), &["limit", "topic"]).unwrap();
        assert_eq!(p.limit().unwrap(), 500);
        assert_eq!(
            Params::parse(None, &["limit"]).unwrap().limit().unwrap(),
            50
        );
        for bad in ["limit=0", "limit=501", "limit=x"] {
            let p = Params::parse(Some(bad), &["limit"]).unwrap();
            assert_eq!(p.limit().unwrap_err().code(), "invalid_parameter");
        }
        assert!(Params::parse(Some("nope=1"), &["limit"]).is_err());
        assert!(Params::parse(Some("limit=1&limit=2"), &["limit"]).is_err());
        assert!(Params::parse(Some("limit="), &["limit"]).is_err());
    }

    #[test]
    fn regression_schemathesis_min_score_is_checked_before_rounding_and_spaces_are_a_value() {
        let p = Params::parse(Some("min_score=1.0000000001"), &["min_score"]).unwrap();
        assert_eq!(p.min_score().unwrap_err().code(), "invalid_parameter");
        let p = Params::parse(Some("min_score=1"), &["min_score"]).unwrap();
        assert_eq!(p.min_score().unwrap(), Some(1.0));
        // minLength 1, as documented: only the empty string is refused.
        let p = Params::parse(Some("topic=%20"), &["topic"]).unwrap();
        assert_eq!(p.get("topic").as_deref(), Some(" "));
    }
}
