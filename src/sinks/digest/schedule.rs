//! When digests go out: parses schedule text and computes fire times and the period each digest
//! covers. Runs no timer, reads no config and touches no store.
//!
//! # Syntax
//!
//! Words are separated by spaces; keywords, day names and time zones are case-insensitive.
//!
//! | form | example | fires |
//! |---|---|---|
//! | `daily HH:MM ZONE` | `daily 07:30 Europe/London` | every day at that wall-clock time in `ZONE` |
//! | `weekly DAY HH:MM ZONE` | `weekly mon 08:00 UTC` | once a week; `DAY` is `mon`…`sun` or `monday`…`sunday` |
//! | `every Nh`, `every Nm` | `every 6h`, `every 90m` | every N hours or minutes, aligned as below |
//! | `cron MIN HOUR DOM MON DOW [ZONE]` | `cron 0 7 * * 1-5 Europe/Paris` | when the five-field cron expression matches in `ZONE` |
//!
//! - `ZONE` is an IANA time zone name (`Europe/London`, `America/New_York`, `UTC`). It is
//!   **required** for `daily` and `weekly`, so that nobody gets a digest at 07:30 UTC when they meant
//!   07:30 at home: write `UTC` to mean UTC. For `cron` it is optional and defaults to `UTC`.
//! - `HH:MM` is a 24-hour time, `00:00` to `23:59` (`7:30` is read as `07:30`).
//! - `every` takes a whole number of hours (`h`) or minutes (`m`), from 1 minute to 7 days. Fire
//!   times are the instants whose Unix time is a multiple of the interval. When the interval
//!   divides 24 hours (`every 6h`, `every 15m`, `every 90m`) that is the same as "multiples of the
//!   interval since midnight UTC of each day": `every 6h` fires at 00:00, 06:00, 12:00 and 18:00 UTC
//!   whatever the local time zone. An interval that does not divide 24 hours (`every 7h`) keeps
//!   counting from 1970-01-01 00:00 UTC across midnight, so its times of day shift from one day to
//!   the next.
//! - `cron` takes exactly five fields (minute, hour, day of month, month, day of week; no seconds,
//!   no year) with the usual `*`, `,`, `-` and `/`, names such as `MON` and `JAN`, `@daily`-style
//!   nicknames, and croner's `L`, `#` and `W`. Day of week 0 and 7 are Sunday. As in Vixie cron, a
//!   restricted day of month and day of week match when either does.
//!
//! [`Schedule`]'s `Display` gives the normalised text: lower-case keywords, `HH:MM`, three-letter
//! days, canonical zone names, `every 2h` for `every 120m`, and the zone always written out.
//!
//! # Daylight saving time
//!
//! `daily`, `weekly` and `cron` follow the wall clock of their zone: `daily 07:30 Europe/London`
//! fires at 07:30 local time all year, so its UTC instant moves by an hour twice a year.
//!
//! - A time that falls in a spring-forward gap (02:30 on the night clocks go from 02:00 to 03:00)
//!   fires at the first instant after the gap, which the clock shows as 03:00.
//! - A time that falls in a fall-back overlap (01:30 on the night clocks go from 02:00 back to
//!   01:00) fires once, at its first occurrence (the one in summer time).
//!
//! Cron expressions with a fixed minute and hour behave the same way (croner implements these
//! rules); ones with `*` or a step in the minute or hour fire at every matching wall-clock time
//! that exists, including both occurrences of a repeated one.
//!
//! # Periods
//!
//! A digest sent at fire time `F` covers the stories first seen in `[P, F)`, where `P` is the fire
//! time before `F`: see [`Schedule::period_ending`].

use std::fmt;
use std::str::FromStr;

use chrono::{
    DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone,
    Timelike, Utc, Weekday,
};
use chrono_tz::Tz;
use croner::Cron;

/// A parsed digest schedule: when digests are sent. Parse one with [`Schedule::parse`] (or
/// `str::parse`); see the [module documentation](self) for the syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// Every day (or every `day` of the week) at `time` in `zone`.
    Local {
        day: Option<Weekday>,
        time: NaiveTime,
        zone: Tz,
    },
    /// Every `minutes` minutes, aligned to the Unix epoch.
    Every { minutes: u32 },
    /// A five-field cron expression, evaluated in `zone`; `fields` is the expression as written.
    Cron {
        cron: Box<Cron>,
        fields: String,
        zone: Tz,
    },
}

/// The stretch of time one digest covers: stories first seen at or after `start` and before `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// The fire time before the digest's (inclusive).
    pub start: DateTime<Utc>,
    /// The digest's own fire time (exclusive).
    pub end: DateTime<Utc>,
}

impl Period {
    /// Whether `t` falls in the period: `start <= t < end`.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }
}

/// Why schedule text could not be parsed. Every variant carries the whole input and says how to
/// write it correctly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// Nothing but whitespace.
    #[error(
        "schedule {input:?} is empty: write daily HH:MM ZONE, weekly DAY HH:MM ZONE, every Nh, every Nm or cron MIN HOUR DOM MON DOW [ZONE]"
    )]
    Empty {
        /// The text given.
        input: String,
    },
    /// The first word is not `daily`, `weekly`, `every` or `cron`.
    #[error(
        "schedule {input:?} starts with {word:?}: write daily HH:MM ZONE, weekly DAY HH:MM ZONE, every Nh, every Nm or cron MIN HOUR DOM MON DOW [ZONE] (a cron expression needs the word cron in front)"
    )]
    UnknownForm {
        /// The text given.
        input: String,
        /// Its first word.
        word: String,
    },
    /// The form is known but has too few or too many words.
    #[error("schedule {input:?} has {problem}: write {syntax}")]
    Shape {
        /// The text given.
        input: String,
        /// What is missing or extra.
        problem: String,
        /// How the form is written.
        syntax: &'static str,
    },
    /// `daily` or `weekly` without a time zone.
    #[error(
        "schedule {input:?} has no time zone: daily and weekly schedules need one, e.g. {suggestion:?} (or a zone such as Europe/London)"
    )]
    MissingZone {
        /// The text given.
        input: String,
        /// The input with `UTC` added.
        suggestion: String,
    },
    /// A time of day that is not `HH:MM` from `00:00` to `23:59`.
    #[error("schedule {input:?} has time {time:?}: write a 24-hour time HH:MM, e.g. 07:30")]
    Time {
        /// The text given.
        input: String,
        /// The time as written.
        time: String,
    },
    /// A day of the week that is not `mon`…`sun` or a full day name.
    #[error("schedule {input:?} has day {day:?}: write mon, tue, wed, thu, fri, sat or sun")]
    Day {
        /// The text given.
        input: String,
        /// The day as written.
        day: String,
    },
    /// A name that is not an IANA time zone.
    #[error(
        "schedule {input:?} has unknown time zone {zone:?}: write an IANA name such as Europe/London, America/New_York or UTC"
    )]
    Zone {
        /// The text given.
        input: String,
        /// The zone as written.
        zone: String,
    },
    /// An `every` interval that is not a whole number of hours or minutes from 1 minute to 7 days.
    #[error(
        "schedule {input:?} has interval {interval:?}: write a whole number of hours or minutes between 1m and 168h, e.g. every 6h or every 30m"
    )]
    Interval {
        /// The text given.
        input: String,
        /// The interval as written.
        interval: String,
    },
    /// A cron expression croner rejects, or one that never fires.
    #[error("schedule {input:?} has cron expression {expression:?} that {reason}: write {syntax}", syntax = parse::CRON_SYNTAX)]
    Cron {
        /// The text given.
        input: String,
        /// The expression (without the zone).
        expression: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl Schedule {
    /// Parses schedule text; see the [module documentation](self) for the forms.
    pub fn parse(input: &str) -> Result<Schedule, ScheduleError> {
        parse::parse(input).map(|kind| Schedule { kind })
    }

    /// The time zone the schedule is read in (UTC for `every`): the zone digests should show
    /// their dates in.
    pub fn zone(&self) -> Tz {
        match &self.kind {
            Kind::Local { zone, .. } | Kind::Cron { zone, .. } => *zone,
            Kind::Every { .. } => Tz::UTC,
        }
    }

    /// The first fire time strictly after `t`. Returns [`DateTime::<Utc>::MAX_UTC`] when there is
    /// none that chrono (or, for cron, croner, up to the year 5000) can represent.
    pub fn next_after(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        let next = match &self.kind {
            Kind::Local { day, time, zone } => {
                let from = t.with_timezone(zone).date_naive().pred_opt();
                from.and_then(|from| {
                    from.iter_days()
                        .take(16)
                        .filter(|d| day.is_none_or(|day| d.weekday() == day))
                        .map(|d| local_fire(*zone, d, *time))
                        .find(|f| *f > t)
                })
            }
            Kind::Every { minutes } => {
                let secs = i64::from(*minutes) * 60;
                let k = t.timestamp().div_euclid(secs) + 1;
                DateTime::from_timestamp(k * secs, 0)
            }
            Kind::Cron { cron, zone, .. } => {
                let from = whole_second(t).with_timezone(zone);
                cron.find_next_occurrence(&from, false)
                    .ok()
                    .map(|f| f.with_timezone(&Utc))
            }
        };
        next.unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// The latest fire time at or before `t`, or `None` when there is none that chrono (or, for
    /// cron, croner, back to the year 1) can represent.
    pub fn previous_at_or_before(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match &self.kind {
            Kind::Local { day, time, zone } => {
                let mut d = t.with_timezone(zone).date_naive().succ_opt()?;
                for _ in 0..16 {
                    if day.is_none_or(|day| d.weekday() == day) {
                        let f = local_fire(*zone, d, *time);
                        if f <= t {
                            return Some(f);
                        }
                    }
                    d = d.pred_opt()?;
                }
                None
            }
            Kind::Every { minutes } => {
                let secs = i64::from(*minutes) * 60;
                DateTime::from_timestamp(t.timestamp().div_euclid(secs) * secs, 0)
            }
            Kind::Cron { cron, zone, .. } => {
                let from = whole_second(t).with_timezone(zone);
                cron.find_previous_occurrence(&from, true)
                    .ok()
                    .map(|f| f.with_timezone(&Utc))
            }
        }
    }

    /// The period a digest sent at `fire` covers: from the latest fire time strictly before
    /// `fire` up to `fire`. When `fire` is not itself a fire time the same rule applies (the
    /// period starts at the fire time before it). When no earlier fire time exists the period is
    /// empty (`start == end`).
    pub fn period_ending(&self, fire: DateTime<Utc>) -> Period {
        let start = fire
            .checked_sub_signed(TimeDelta::nanoseconds(1))
            .and_then(|before| self.previous_at_or_before(before))
            .unwrap_or(fire);
        Period { start, end: fire }
    }
}

impl FromStr for Schedule {
    type Err = ScheduleError;

    fn from_str(s: &str) -> Result<Schedule, ScheduleError> {
        Schedule::parse(s)
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Local {
                day: None,
                time,
                zone,
            } => write!(f, "daily {} {}", time.format("%H:%M"), zone.name()),
            Kind::Local {
                day: Some(day),
                time,
                zone,
            } => write!(
                f,
                "weekly {} {} {}",
                day_name(*day),
                time.format("%H:%M"),
                zone.name()
            ),
            Kind::Every { minutes } if minutes % 60 == 0 => write!(f, "every {}h", minutes / 60),
            Kind::Every { minutes } => write!(f, "every {minutes}m"),
            Kind::Cron { fields, zone, .. } => write!(f, "cron {fields} {}", zone.name()),
        }
    }
}

fn day_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "mon",
        Weekday::Tue => "tue",
        Weekday::Wed => "wed",
        Weekday::Thu => "thu",
        Weekday::Fri => "fri",
        Weekday::Sat => "sat",
        Weekday::Sun => "sun",
    }
}

/// `t` without its fraction of a second (fire times are whole seconds).
fn whole_second(t: DateTime<Utc>) -> DateTime<Utc> {
    t.with_nanosecond(0).unwrap_or(t)
}

/// When a `daily`/`weekly` schedule fires on local `date`: the instant the wall clock shows
/// `time`; the first such instant in an overlap; the end of the gap when `time` falls in one.
fn local_fire(zone: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let local = date.and_time(time);
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => end_of_gap(zone, local),
    }
}

/// The first instant (to the second) whose wall-clock time in `zone` is later than `local`,
/// which lies in a gap. UTC offsets stay within ±26 hours, so the instant lies within 27 hours
/// of `local` read as UTC; wall-clock time only moves forward there apart from the gap itself,
/// so a bisection over whole seconds finds it.
fn end_of_gap(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let later = |secs: i64| {
        DateTime::from_timestamp(secs, 0)
            .is_some_and(|t| t.with_timezone(&zone).naive_local() > local)
    };
    let as_utc = local.and_utc().timestamp();
    let (mut before, mut after) = (as_utc - 27 * 3600, as_utc + 27 * 3600);
    while after - before > 1 {
        let mid = before + (after - before) / 2;
        if later(mid) {
            after = mid;
        } else {
            before = mid;
        }
    }
    DateTime::from_timestamp(after, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

mod parse;

#[cfg(test)]
mod tests;
