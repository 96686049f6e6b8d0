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
        /// An adaptive source's interval from its publishing pace (see [`adaptive_interval`]),
        /// used instead of the configured one.
        pace: Option<Duration>,
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
        Outcome::Success { max_age, pace } => {
            let asked = max_age.unwrap_or_default().min(MAX_CACHE_HONOUR);
            (pace.unwrap_or(interval).max(asked), asked)
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

/// Entries looked at to estimate a feed's publishing pace.
const PACE_ENTRIES: usize = 10;

/// An adaptive source's interval: half the mean gap between its most recent dated entries
/// (at most [`PACE_ENTRIES`], from the last 30 days, none in the future), so that a new entry waits
/// half a gap on average; with the time since the newest entry counted as a gap too, a feed that
/// has gone quiet slows down. Clamped to [`min`, `max`]; `None` with fewer than three dated entries.
pub fn adaptive_interval(
    published: &[DateTime<Utc>],
    now: DateTime<Utc>,
    min: Duration,
    max: Duration,
) -> Option<Duration> {
    let month_ago = now - chrono::Duration::days(30);
    let mut recent: Vec<DateTime<Utc>> = published
        .iter()
        .copied()
        .filter(|t| *t <= now && *t >= month_ago)
        .collect();
    recent.sort_unstable_by(|a, b| b.cmp(a));
    recent.dedup();
    recent.truncate(PACE_ENTRIES);
    if recent.len() < 3 {
        return None;
    }
    let span = (now - *recent.last()?).to_std().ok()?;
    let mean_gap = span / recent.len() as u32;
    Some((mean_gap / 2).clamp(min, max.max(min)))
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
        let ok = |max_age| {
            next_delay(
                M15,
                Outcome::Success {
                    max_age,
                    pace: None,
                },
                0.0,
            )
        };
        assert_eq!(ok(None), M15);
        assert_eq!(ok(Some(Duration::from_secs(60))), M15);
        assert_eq!(
            ok(Some(Duration::from_secs(1800))),
            Duration::from_secs(1800)
        );
        assert_eq!(ok(Some(Duration::from_secs(7 * 86400))), MAX_CACHE_HONOUR);
    }

    #[test]
    fn an_adaptive_source_follows_its_publishing_pace_within_bounds() {
        let now = Utc::now();
        let every = |minutes: i64, n: i64| -> Vec<DateTime<Utc>> {
            (0..n)
                .map(|i| now - chrono::Duration::minutes(minutes * i))
                .collect()
        };
        let (min, max) = (Duration::from_secs(300), Duration::from_secs(86_400));
        let pace = |p: &[DateTime<Utc>]| adaptive_interval(p, now, min, max);
        // An entry an hour: ten entries span 9 h plus the gap since the newest (0): 54 min mean,
        // so polls every 27 minutes.
        assert_eq!(pace(&every(60, 10)), Some(Duration::from_secs(27 * 60)));
        // A busy wire is held at the minimum; a sleepy blog at the maximum.
        assert_eq!(pace(&every(1, 10)), Some(min));
        assert_eq!(pace(&every(60 * 24 * 3, 10)), Some(max));
        // Gone quiet: the same hourly entries, the newest two days old, slow it down.
        let stale: Vec<_> = every(60, 10)
            .iter()
            .map(|t| *t - chrono::Duration::days(2))
            .collect();
        assert!(pace(&stale).unwrap() > Duration::from_secs(2 * 3600));
        // Too few dated entries, or only future ones: no estimate.
        assert_eq!(pace(&every(60, 2)), None);
        assert_eq!(pace(&[now + chrono::Duration::hours(1); 5]), None);
        // The pace replaces the configured interval, and the origin's floor still holds.
        let d = next_delay(
            M15,
            Outcome::Success {
                max_age: None,
                pace: Some(Duration::from_secs(3600)),
            },
            0.0,
        );
        assert_eq!(d, Duration::from_secs(3600));
    }

    #[test]
    fn jitter_stays_within_ten_percent_but_never_undercuts_the_origin() {
        for j in [-1.0, -0.5, 0.0, 0.5, 1.0, -7.0, 7.0] {
            let d = next_delay(
                M15,
                Outcome::Success {
                    max_age: None,
                    pace: None,
                },
                j,
            );
            assert!(d >= M15 * 9 / 10 && d <= M15 * 11 / 10, "{d:?}");
            let ttl = Duration::from_secs(3600);
            let asked = next_delay(
                M15,
                Outcome::Success {
                    max_age: Some(ttl),
                    pace: None,
                },
                j,
            );
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
            .map(|_| {
                next_check(
                    now,
                    M15,
                    Outcome::Success {
                        max_age: None,
                        pace: None,
                    },
                )
                .timestamp()
            })
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
        let lo = next_delay(
            M15,
            Outcome::Success {
                max_age: None,
                pace: None,
            },
            -1.0,
        );
        let hi = next_delay(
            M15,
            Outcome::Success {
                max_age: None,
                pace: None,
            },
            1.0,
        );
        assert_eq!((lo.as_secs(), hi.as_secs()), (810, 990));
    }
}
