//! When each source is next due: its interval, cache hints, backoff after failures and jitter.
//!
//! Pure functions: no HTTP, no SQL, no clock (callers pass `now`).

use std::time::Duration;

use chrono::{DateTime, Utc};

/// The longest a failing source waits between attempts (unless its interval is longer).
pub const MAX_BACKOFF: Duration = Duration::from_secs(6 * 3600);
/// The longest `Cache-Control: max-age` may stretch an interval.
pub const MAX_CACHE_HONOUR: Duration = Duration::from_secs(3600);
/// The longest `Retry-After` is honoured.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// What the last poll of a source looked like, as far as scheduling cares.
#[derive(Debug, Clone, Copy)]
pub enum Outcome {
    /// Fetched or not modified; `max_age` from `Cache-Control`.
    Success {
        /// `Cache-Control: max-age`, when sent.
        max_age: Option<Duration>,
    },
    /// Failed; `failures` counts this failure too.
    Failure {
        /// Consecutive failures including this one (at least 1).
        failures: u32,
        /// `Retry-After`, when the origin sent one.
        retry_after: Option<Duration>,
    },
}

/// The delay before the next poll. `jitter` in [-1, 1] spreads polls by up to ±10%.
pub fn next_delay(interval: Duration, outcome: Outcome, jitter: f64) -> Duration {
    let base = match outcome {
        Outcome::Success { max_age } => {
            interval.max(max_age.unwrap_or_default().min(MAX_CACHE_HONOUR))
        }
        Outcome::Failure {
            failures,
            retry_after,
        } => {
            let exp = failures.saturating_sub(1).min(20);
            let backoff = interval
                .saturating_mul(1u32 << exp)
                .min(MAX_BACKOFF.max(interval));
            backoff.max(retry_after.unwrap_or_default().min(MAX_RETRY_AFTER))
        }
    };
    let factor = 1.0 + 0.1 * jitter.clamp(-1.0, 1.0);
    Duration::from_secs_f64((base.as_secs_f64() * factor).max(1.0))
}

/// `now + next_delay(...)` with a random jitter.
pub fn next_check(now: DateTime<Utc>, interval: Duration, outcome: Outcome) -> DateTime<Utc> {
    let d = next_delay(interval, outcome, fastrand::f64() * 2.0 - 1.0);
    now + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// Whether a source is due at `now`.
pub fn is_due(next_check_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    next_check_at.is_none_or(|t| t <= now)
}

#[cfg(test)]
mod tests {
    use super::*;

    const M15: Duration = Duration::from_secs(900);

    #[test]
    fn success_waits_the_interval_or_a_longer_max_age() {
        let ok = |max_age| next_delay(M15, Outcome::Success { max_age }, 0.0);
        assert_eq!(ok(None), M15);
        assert_eq!(ok(Some(Duration::from_secs(60))), M15);
        assert_eq!(
            ok(Some(Duration::from_secs(1800))),
            Duration::from_secs(1800)
        );
        assert_eq!(ok(Some(Duration::from_secs(86400))), MAX_CACHE_HONOUR);
    }

    #[test]
    fn failures_back_off_exponentially_up_to_a_cap() {
        let fail = |failures| {
            next_delay(
                M15,
                Outcome::Failure {
                    failures,
                    retry_after: None,
                },
                0.0,
            )
        };
        assert_eq!(fail(1), M15);
        assert_eq!(fail(2), M15 * 2);
        assert_eq!(fail(3), M15 * 4);
        assert_eq!(fail(30), MAX_BACKOFF);
    }

    #[test]
    fn retry_after_is_honoured() {
        let d = next_delay(
            M15,
            Outcome::Failure {
                failures: 1,
                retry_after: Some(Duration::from_secs(7200)),
            },
            0.0,
        );
        assert_eq!(d, Duration::from_secs(7200));
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        let lo = next_delay(M15, Outcome::Success { max_age: None }, -1.0);
        let hi = next_delay(M15, Outcome::Success { max_age: None }, 1.0);
        assert_eq!((lo.as_secs(), hi.as_secs()), (810, 990));
    }
}
