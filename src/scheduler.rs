//! When each source is next due: its interval, cache hints, backoff after failures and jitter.
//!
//! Pure functions: no HTTP, no SQL, no clock (callers pass `now`).

use std::time::Duration;

use chrono::{DateTime, Utc};

/// The longest a failing source waits between attempts (unless its interval is longer).
pub const MAX_BACKOFF: Duration = Duration::from_secs(24 * 3600);
/// The longest an origin's freshness hint (`Cache-Control: max-age`, `Expires`, RSS `<ttl>`) may
/// stretch an interval.
pub const MAX_CACHE_HONOUR: Duration = Duration::from_secs(24 * 3600);
/// The longest `Retry-After` is honoured.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// What the last poll of a source looked like, as far as scheduling cares.
#[derive(Debug, Clone, Copy)]
pub enum Outcome {
    /// Fetched or not modified; `max_age`: how long the origin says its document stays fresh.
    Success {
        /// The longest of `Cache-Control: max-age`, `Expires` and the feed's `<ttl>`, when sent.
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

/// The delay before the next poll. `jitter` in [-1, 1] spreads polls by up to ±10%, so that sources
/// with one interval drift apart; the delay is never shorter than what the origin asked for
/// (freshness hint or `Retry-After`, each within its cap), whatever the jitter.
pub fn next_delay(interval: Duration, outcome: Outcome, jitter: f64) -> Duration {
    let (base, asked) = match outcome {
        Outcome::Success { max_age } => {
            let asked = max_age.unwrap_or_default().min(MAX_CACHE_HONOUR);
            (interval.max(asked), asked)
        }
        Outcome::Failure {
            failures,
            retry_after,
        } => {
            let exp = failures.saturating_sub(1).min(20);
            let backoff = interval
                .saturating_mul(1u32 << exp)
                .min(MAX_BACKOFF.max(interval));
            let asked = retry_after.unwrap_or_default().min(MAX_RETRY_AFTER);
            (backoff.max(asked), asked)
        }
    };
    let factor = 1.0 + 0.1 * jitter.clamp(-1.0, 1.0);
    Duration::from_secs_f64((base.as_secs_f64() * factor).max(1.0)).max(asked)
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
        assert_eq!(ok(Some(Duration::from_secs(7 * 86400))), MAX_CACHE_HONOUR);
    }

    #[test]
    fn jitter_stays_within_ten_percent_but_never_undercuts_the_origin() {
        for j in [-1.0, -0.5, 0.0, 0.5, 1.0, -7.0, 7.0] {
            let d = next_delay(M15, Outcome::Success { max_age: None }, j);
            assert!(d >= M15 * 9 / 10 && d <= M15 * 11 / 10, "{d:?}");
            let ttl = Duration::from_secs(3600);
            let asked = next_delay(M15, Outcome::Success { max_age: Some(ttl) }, j);
            assert!(asked >= ttl && asked <= ttl * 11 / 10, "{asked:?}");
            let after = Duration::from_secs(7200);
            let retry = Outcome::Failure {
                failures: 1,
                retry_after: Some(after),
            };
            assert!(next_delay(M15, retry, j) >= after);
        }
    }

    #[test]
    fn a_thousand_sources_with_one_interval_spread_out() {
        let now = Utc::now();
        let seconds: std::collections::HashSet<i64> = (0..1000)
            .map(|_| next_check(now, M15, Outcome::Success { max_age: None }).timestamp())
            .collect();
        // ±10% of 15 minutes is a 180 s window: a thousand polls land on most of its seconds.
        assert!(seconds.len() > 150, "{} distinct seconds", seconds.len());
        let (lo, hi) = (seconds.iter().min().unwrap(), seconds.iter().max().unwrap());
        assert!(hi - lo >= 150 && hi - lo <= 181, "{lo}..{hi}");
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
