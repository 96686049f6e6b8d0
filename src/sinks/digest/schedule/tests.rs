//! Schedule parsing, normalisation, fire times across the 2026 DST transitions of Europe/London
//! (29 March, 25 October), America/New_York (8 March, 1 November) and Europe/Paris (29 March,
//! 25 October), `every` alignment, and periods.

use super::*;

/// A UTC instant.
fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn schedule(text: &str) -> Schedule {
    Schedule::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// The first `n` fire times strictly after `t`.
fn fires(s: &Schedule, mut t: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
    (0..n)
        .map(|_| {
            t = s.next_after(t);
            t
        })
        .collect()
}

/// Checks that `previous_at_or_before` finds every fire time exactly, and the one before it a
/// second earlier.
/// The fire times after `from` are `expected`, and `previous_at_or_before` agrees with each.
fn assert_fires(s: &Schedule, from: DateTime<Utc>, expected: &[DateTime<Utc>]) {
    let got = fires(s, from, expected.len());
    assert_eq!(got, expected);
    assert_previous_agrees(s, &got);
}

fn assert_previous_agrees(s: &Schedule, fire_times: &[DateTime<Utc>]) {
    for pair in fire_times.windows(2) {
        assert_eq!(s.previous_at_or_before(pair[1]), Some(pair[1]), "{s}");
        let just_before = pair[1] - TimeDelta::seconds(1);
        assert_eq!(s.previous_at_or_before(just_before), Some(pair[0]), "{s}");
        assert_eq!(
            s.period_ending(pair[1]),
            Period {
                start: pair[0],
                end: pair[1]
            }
        );
    }
}

#[test]
fn parses_every_form_and_displays_it_normalised() {
    for (text, normal) in [
        ("daily 07:30 Europe/London", "daily 07:30 Europe/London"),
        ("Daily 7:30 europe/london", "daily 07:30 Europe/London"),
        ("weekly mon 08:00 UTC", "weekly mon 08:00 UTC"),
        (
            "WEEKLY Wednesday 18:05 America/New_York",
            "weekly wed 18:05 America/New_York",
        ),
        ("every 6h", "every 6h"),
        ("every 120m", "every 2h"),
        ("every 90M", "every 90m"),
        (
            "cron 0 7 * * 1-5 Europe/Paris",
            "cron 0 7 * * 1-5 Europe/Paris",
        ),
        ("cron  0 7 * * MON-FRI", "cron 0 7 * * MON-FRI UTC"),
        ("cron @daily Asia/Tokyo", "cron @daily Asia/Tokyo"),
    ] {
        let s = schedule(text);
        assert_eq!(s.to_string(), normal, "{text}");
        assert_eq!(
            schedule(normal),
            s,
            "{normal} parses back to the same schedule"
        );
    }
}

#[test]
fn zone_is_the_schedules_own_or_utc_for_every() {
    assert_eq!(
        schedule("daily 07:30 Europe/London").zone(),
        Tz::Europe__London
    );
    assert_eq!(
        schedule("cron 0 7 * * * Asia/Tokyo").zone(),
        Tz::Asia__Tokyo
    );
    assert_eq!(schedule("cron 0 7 * * *").zone(), Tz::UTC);
    assert_eq!(schedule("every 6h").zone(), Tz::UTC);
}

#[test]
fn daily_without_zone_is_rejected_with_a_suggestion() {
    let err = Schedule::parse("daily 07:30").unwrap_err();
    assert!(matches!(err, ScheduleError::MissingZone { .. }));
    let msg = err.to_string();
    assert!(msg.contains("\"daily 07:30\""), "{msg}");
    assert!(msg.contains("daily 07:30 UTC"), "{msg}");
    assert!(matches!(
        Schedule::parse("weekly mon 08:00").unwrap_err(),
        ScheduleError::MissingZone { .. }
    ));
}

#[test]
fn errors_name_the_input_and_what_is_wrong() {
    for (text, needle) in [
        ("", "is empty"),
        ("hourly", "starts with \"hourly\""),
        ("0 7 * * 1-5 Europe/Paris", "needs the word cron"),
        ("daily", "no time or zone"),
        ("daily 07:30 Europe/London extra", "1 extra words"),
        ("daily 25:00 UTC", "time \"25:00\""),
        ("daily 07:3 UTC", "time \"07:3\""),
        ("daily 0730 UTC", "time \"0730\""),
        ("weekly funday 08:00 UTC", "day \"funday\""),
        (
            "daily 07:30 Mars/Olympus",
            "unknown time zone \"Mars/Olympus\"",
        ),
        ("every 0h", "interval \"0h\""),
        ("every 6x", "interval \"6x\""),
        ("every -6h", "interval \"-6h\""),
        ("every 169h", "interval \"169h\""),
        ("every", "no interval"),
        ("cron 0 7 * *", "has 4 fields, not 5"),
        (
            "cron 0 7 * * * Nowhere/City",
            "unknown time zone \"Nowhere/City\"",
        ),
        ("cron 61 7 * * *", "is invalid"),
        ("cron 0 0 30 2 *", "never fires"),
    ] {
        let msg = Schedule::parse(text).unwrap_err().to_string();
        assert!(msg.contains(&format!("{text:?}")), "{msg}");
        assert!(msg.contains(needle), "{text}: {msg}");
        assert!(msg.contains("write"), "{text}: {msg} says how to write it");
    }
}

#[test]
fn next_after_is_strict_and_previous_is_inclusive() {
    let s = schedule("daily 07:30 UTC");
    let fire = utc(2026, 12, 3, 7, 30);
    assert_eq!(s.next_after(fire - TimeDelta::nanoseconds(1)), fire);
    assert_eq!(s.next_after(fire), utc(2026, 12, 4, 7, 30));
    assert_eq!(s.previous_at_or_before(fire), Some(fire));
    assert_eq!(
        s.previous_at_or_before(fire - TimeDelta::nanoseconds(1)),
        Some(utc(2026, 12, 2, 7, 30))
    );
}

#[test]
fn daily_0730_london_stays_0730_local_across_both_transitions() {
    let s = schedule("daily 07:30 Europe/London");
    let spring = fires(&s, utc(2026, 3, 27, 12, 0), 3);
    // GMT (UTC+0) until Sunday 29 March, then BST (UTC+1).
    assert_eq!(
        spring,
        [
            utc(2026, 3, 28, 7, 30),
            utc(2026, 3, 29, 6, 30),
            utc(2026, 3, 30, 6, 30)
        ]
    );
    let autumn = fires(&s, utc(2026, 10, 23, 12, 0), 3);
    assert_eq!(
        autumn,
        [
            utc(2026, 10, 24, 6, 30),
            utc(2026, 10, 25, 7, 30),
            utc(2026, 10, 26, 7, 30)
        ]
    );
    assert_previous_agrees(&s, &spring);
    assert_previous_agrees(&s, &autumn);
}

#[test]
fn daily_0730_new_york_stays_0730_local_across_both_transitions() {
    let s = schedule("daily 07:30 America/New_York");
    let spring = fires(&s, utc(2026, 3, 6, 18, 0), 3);
    // EST (UTC-5) until Sunday 8 March, then EDT (UTC-4).
    assert_eq!(
        spring,
        [
            utc(2026, 3, 7, 12, 30),
            utc(2026, 3, 8, 11, 30),
            utc(2026, 3, 9, 11, 30)
        ]
    );
    let autumn = fires(&s, utc(2026, 10, 30, 18, 0), 3);
    assert_eq!(
        autumn,
        [
            utc(2026, 10, 31, 11, 30),
            utc(2026, 11, 1, 12, 30),
            utc(2026, 11, 2, 12, 30)
        ]
    );
    assert_previous_agrees(&s, &spring);
    assert_previous_agrees(&s, &autumn);
}

#[test]
fn daily_in_the_spring_gap_fires_when_the_gap_ends() {
    // London: clocks go from 01:00 GMT to 02:00 BST, so the gap is 01:00–02:00 local (02:30
    // exists there) and 01:30 does not exist on 29 March.
    let london = schedule("daily 01:30 Europe/London");
    let got = fires(&london, utc(2026, 3, 27, 12, 0), 3);
    // 28 March 01:30 GMT; 29 March 01:30 does not exist, so 02:00 BST (01:00 UTC); then 01:30 BST.
    assert_eq!(
        got,
        [
            utc(2026, 3, 28, 1, 30),
            utc(2026, 3, 29, 1, 0),
            utc(2026, 3, 30, 0, 30)
        ]
    );
    assert_previous_agrees(&london, &got);

    // New York: 02:00 EST jumps to 03:00 EDT, so 02:30 does not exist on 8 March.
    let ny = schedule("daily 02:30 America/New_York");
    assert_fires(
        &ny,
        utc(2026, 3, 6, 18, 0),
        &[
            utc(2026, 3, 7, 7, 30),
            utc(2026, 3, 8, 7, 0),
            utc(2026, 3, 9, 6, 30),
        ],
    );
}

#[test]
fn daily_in_the_autumn_overlap_fires_once_at_the_first_occurrence() {
    // New York: 01:30 happens twice on 1 November (EDT 05:30 UTC, then EST 06:30 UTC).
    let ny = schedule("daily 01:30 America/New_York");
    assert_fires(
        &ny,
        utc(2026, 10, 30, 18, 0),
        &[
            utc(2026, 10, 31, 5, 30),
            utc(2026, 11, 1, 5, 30),
            utc(2026, 11, 2, 6, 30),
        ],
    );
    // The second 01:30 is not a fire time.
    assert_eq!(
        ny.previous_at_or_before(utc(2026, 11, 1, 6, 30)),
        Some(utc(2026, 11, 1, 5, 30))
    );

    // London: 01:30 happens twice on 25 October (BST 00:30 UTC, then GMT 01:30 UTC).
    let london = schedule("daily 01:30 Europe/London");
    assert_fires(
        &london,
        utc(2026, 10, 23, 12, 0),
        &[
            utc(2026, 10, 24, 0, 30),
            utc(2026, 10, 25, 0, 30),
            utc(2026, 10, 26, 1, 30),
        ],
    );
}

#[test]
fn weekly_follows_local_time_across_transitions() {
    let s = schedule("weekly mon 08:00 Europe/London");
    let got = fires(&s, utc(2026, 3, 20, 0, 0), 2);
    assert_eq!(got, [utc(2026, 3, 23, 8, 0), utc(2026, 3, 30, 7, 0)]);
    assert_previous_agrees(&s, &got);
    let got = fires(&s, utc(2026, 10, 20, 0, 0), 2);
    assert_eq!(got, [utc(2026, 10, 26, 8, 0), utc(2026, 11, 2, 8, 0)]);

    // A Sunday schedule on the transition Sundays themselves, in the gap and the overlap.
    let gap = schedule("weekly sunday 02:30 America/New_York");
    let got = fires(&gap, utc(2026, 3, 2, 0, 0), 2);
    assert_eq!(got, [utc(2026, 3, 8, 7, 0), utc(2026, 3, 15, 6, 30)]);
    assert_previous_agrees(&gap, &got);
    let overlap = schedule("weekly sun 01:30 America/New_York");
    let got = fires(&overlap, utc(2026, 10, 26, 0, 0), 2);
    assert_eq!(got, [utc(2026, 11, 1, 5, 30), utc(2026, 11, 8, 6, 30)]);
    assert_previous_agrees(&overlap, &got);
}

#[test]
fn every_6h_fires_at_0_6_12_18_utc_whatever_the_local_clock_does() {
    let s = schedule("every 6h");
    // Across the London spring transition: still every six hours in UTC.
    assert_fires(
        &s,
        utc(2026, 3, 28, 23, 59),
        &[
            utc(2026, 3, 29, 0, 0),
            utc(2026, 3, 29, 6, 0),
            utc(2026, 3, 29, 12, 0),
            utc(2026, 3, 29, 18, 0),
            utc(2026, 3, 30, 0, 0),
        ],
    );
    assert_eq!(
        s.next_after(utc(2026, 3, 29, 6, 0)),
        utc(2026, 3, 29, 12, 0)
    );
    assert_eq!(
        s.previous_at_or_before(utc(2026, 3, 29, 11, 59)),
        Some(utc(2026, 3, 29, 6, 0))
    );
}

#[test]
fn every_90m_aligns_to_midnight_utc() {
    let s = schedule("every 90m");
    assert_eq!(
        fires(&s, utc(2026, 12, 2, 23, 0), 3),
        [
            utc(2026, 12, 3, 0, 0),
            utc(2026, 12, 3, 1, 30),
            utc(2026, 12, 3, 3, 0)
        ]
    );
}

#[test]
fn every_7h_counts_from_the_unix_epoch_across_midnight() {
    let s = schedule("every 7h");
    // 2026-01-01 00:00 UTC is 70,128 × 7 h after the epoch; the next day's times differ.
    assert_eq!(
        fires(&s, utc(2025, 12, 31, 23, 0), 5),
        [
            utc(2026, 1, 1, 0, 0),
            utc(2026, 1, 1, 7, 0),
            utc(2026, 1, 1, 14, 0),
            utc(2026, 1, 1, 21, 0),
            utc(2026, 1, 2, 4, 0),
        ]
    );
}

#[test]
fn cron_with_a_zone_follows_local_time_across_transitions() {
    let s = schedule("cron 0 7 * * 1-5 Europe/Paris");
    // Friday 27 March 07:00 CET, then Monday 30 March 07:00 CEST.
    let got = fires(&s, utc(2026, 3, 27, 0, 0), 2);
    assert_eq!(got, [utc(2026, 3, 27, 6, 0), utc(2026, 3, 30, 5, 0)]);
    assert_previous_agrees(&s, &got);
    // Friday 23 October 07:00 CEST, then Monday 26 October 07:00 CET.
    let got = fires(&s, utc(2026, 10, 23, 0, 0), 2);
    assert_eq!(got, [utc(2026, 10, 23, 5, 0), utc(2026, 10, 26, 6, 0)]);
    assert_previous_agrees(&s, &got);
}

#[test]
fn cron_without_a_zone_is_utc() {
    let s = schedule("cron 0 7 * * 1-5");
    assert_eq!(s.next_after(utc(2026, 3, 27, 7, 0)), utc(2026, 3, 30, 7, 0));
}

#[test]
fn cron_and_daily_agree_in_gaps_and_overlaps() {
    for (cron, daily, from) in [
        (
            "cron 30 2 * * * America/New_York",
            "daily 02:30 America/New_York",
            utc(2026, 3, 6, 0, 0),
        ),
        (
            "cron 30 1 * * * America/New_York",
            "daily 01:30 America/New_York",
            utc(2026, 10, 30, 0, 0),
        ),
        (
            "cron 30 1 * * * Europe/London",
            "daily 01:30 Europe/London",
            utc(2026, 3, 27, 0, 0),
        ),
        (
            "cron 30 1 * * * Europe/London",
            "daily 01:30 Europe/London",
            utc(2026, 10, 23, 0, 0),
        ),
    ] {
        let got = fires(&schedule(cron), from, 4);
        assert_eq!(got, fires(&schedule(daily), from, 4), "{cron}");
        assert_previous_agrees(&schedule(cron), &got);
    }
}

#[test]
fn cron_ignores_fractions_of_a_second() {
    let s = schedule("cron 0 7 * * *");
    let fire = utc(2026, 12, 3, 7, 0);
    assert_eq!(s.next_after(fire - TimeDelta::milliseconds(1)), fire);
    assert_eq!(
        s.next_after(fire + TimeDelta::milliseconds(1)),
        utc(2026, 12, 4, 7, 0)
    );
    assert_eq!(
        s.previous_at_or_before(fire + TimeDelta::milliseconds(1)),
        Some(fire)
    );
}

#[test]
fn period_ending_runs_from_the_previous_fire_time() {
    let s = schedule("daily 07:30 Europe/London");
    let p = s.period_ending(utc(2026, 3, 29, 6, 30));
    assert_eq!(
        p,
        Period {
            start: utc(2026, 3, 28, 7, 30),
            end: utc(2026, 3, 29, 6, 30)
        }
    );
    assert!(p.contains(p.start));
    assert!(!p.contains(p.end));
    // Between fire times, the period starts at the fire time before.
    assert_eq!(
        s.period_ending(utc(2026, 3, 29, 12, 0)).start,
        utc(2026, 3, 29, 6, 30)
    );
}
