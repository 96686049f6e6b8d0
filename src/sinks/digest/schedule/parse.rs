//! Reads schedule text (see the [parent module](super) for the syntax) into a schedule's
//! [`Kind`], with errors that carry the input and say how to write it.

use chrono::{NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds, Year};

use super::{Kind, ScheduleError};

/// The longest `every` interval, in minutes (7 days).
const MAX_INTERVAL_MINUTES: u32 = 7 * 24 * 60;

/// How each form is written, for error messages.
const DAILY_SYNTAX: &str = "daily HH:MM ZONE, e.g. daily 07:30 Europe/London";
const WEEKLY_SYNTAX: &str = "weekly DAY HH:MM ZONE, e.g. weekly mon 08:00 UTC";
const EVERY_SYNTAX: &str = "every Nh or every Nm, e.g. every 6h or every 30m";
pub(super) const CRON_SYNTAX: &str =
    "cron MIN HOUR DOM MON DOW [ZONE], e.g. cron 0 7 * * 1-5 Europe/Paris";

/// Reads schedule text into its [`Kind`].
pub(super) fn parse(input: &str) -> Result<Kind, ScheduleError> {
    let words: Vec<&str> = input.split_whitespace().collect();
    let Some((first, rest)) = words.split_first() else {
        return Err(ScheduleError::Empty {
            input: input.to_owned(),
        });
    };
    let kind = match first.to_ascii_lowercase().as_str() {
        "daily" => parse_local(input, None, rest)?,
        "weekly" => match rest.split_first() {
            Some((day, rest)) => parse_local(input, Some(parse_day(input, day)?), rest)?,
            None => return Err(shape(input, "no day, time or zone", WEEKLY_SYNTAX)),
        },
        "every" => parse_every(input, rest)?,
        "cron" => parse_cron(input, rest)?,
        _ => {
            return Err(ScheduleError::UnknownForm {
                input: input.to_owned(),
                word: (*first).to_owned(),
            });
        }
    };
    Ok(kind)
}

fn shape(input: &str, problem: &str, syntax: &'static str) -> ScheduleError {
    ScheduleError::Shape {
        input: input.to_owned(),
        problem: problem.to_owned(),
        syntax,
    }
}

/// `daily`/`weekly` after the keyword (and day): `HH:MM ZONE`.
fn parse_local(input: &str, day: Option<Weekday>, rest: &[&str]) -> Result<Kind, ScheduleError> {
    let syntax = if day.is_some() {
        WEEKLY_SYNTAX
    } else {
        DAILY_SYNTAX
    };
    match rest {
        [] => Err(shape(input, "no time or zone", syntax)),
        [time] => {
            parse_time(input, time)?;
            Err(ScheduleError::MissingZone {
                input: input.to_owned(),
                suggestion: format!("{} UTC", input.trim()),
            })
        }
        [time, zone] => Ok(Kind::Local {
            day,
            time: parse_time(input, time)?,
            zone: parse_zone(input, zone)?,
        }),
        _ => Err(shape(
            input,
            &format!("{} extra words", rest.len() - 2),
            syntax,
        )),
    }
}

/// `HH:MM` or `H:MM`, 24-hour.
fn parse_time(input: &str, text: &str) -> Result<NaiveTime, ScheduleError> {
    let number = |s: &str, lengths: std::ops::RangeInclusive<usize>| {
        (lengths.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    text.split_once(':')
        .and_then(|(h, m)| Some((number(h, 1..=2)?, number(m, 2..=2)?)))
        .and_then(|(h, m)| NaiveTime::from_hms_opt(h, m, 0))
        .ok_or_else(|| ScheduleError::Time {
            input: input.to_owned(),
            time: text.to_owned(),
        })
}

/// `mon`…`sun` or the full English name, any case.
fn parse_day(input: &str, text: &str) -> Result<Weekday, ScheduleError> {
    let day = match text.to_ascii_lowercase().as_str() {
        "mon" | "monday" => Weekday::Mon,
        "tue" | "tuesday" => Weekday::Tue,
        "wed" | "wednesday" => Weekday::Wed,
        "thu" | "thursday" => Weekday::Thu,
        "fri" | "friday" => Weekday::Fri,
        "sat" | "saturday" => Weekday::Sat,
        "sun" | "sunday" => Weekday::Sun,
        _ => {
            return Err(ScheduleError::Day {
                input: input.to_owned(),
                day: text.to_owned(),
            });
        }
    };
    Ok(day)
}

/// An IANA zone name; an exact match first, then any case.
fn parse_zone(input: &str, text: &str) -> Result<Tz, ScheduleError> {
    text.parse::<Tz>()
        .ok()
        .or_else(|| {
            chrono_tz::TZ_VARIANTS
                .iter()
                .copied()
                .find(|tz| tz.name().eq_ignore_ascii_case(text))
        })
        .ok_or_else(|| ScheduleError::Zone {
            input: input.to_owned(),
            zone: text.to_owned(),
        })
}

/// `every` after the keyword: `Nh` or `Nm`.
fn parse_every(input: &str, rest: &[&str]) -> Result<Kind, ScheduleError> {
    let [text] = rest else {
        let problem = if rest.is_empty() {
            "no interval".to_owned()
        } else {
            format!("{} words after every", rest.len())
        };
        return Err(shape(input, &problem, EVERY_SYNTAX));
    };
    let err = || ScheduleError::Interval {
        input: input.to_owned(),
        interval: (*text).to_owned(),
    };
    let lower = text.to_ascii_lowercase();
    let (number, per) = if let Some(n) = lower.strip_suffix('h') {
        (n, 60)
    } else if let Some(n) = lower.strip_suffix('m') {
        (n, 1)
    } else {
        return Err(err());
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err());
    }
    let minutes = number
        .parse::<u32>()
        .ok()
        .and_then(|n| n.checked_mul(per))
        .filter(|m| (1..=MAX_INTERVAL_MINUTES).contains(m))
        .ok_or_else(err)?;
    Ok(Kind::Every { minutes })
}

/// `cron` after the keyword: five fields and an optional zone.
fn parse_cron(input: &str, rest: &[&str]) -> Result<Kind, ScheduleError> {
    let nickname = rest.first().is_some_and(|w| w.starts_with('@'));
    let (fields, zone) = match rest {
        [] => return Err(shape(input, "no cron expression", CRON_SYNTAX)),
        // Five fields or a nickname (`@daily`), then the zone.
        [fields @ .., zone] if rest.len() == 6 || (nickname && rest.len() == 2) => {
            (fields, parse_zone(input, zone)?)
        }
        _ => (rest, Tz::UTC),
    };
    let expression = fields.join(" ");
    let err = |reason: String| ScheduleError::Cron {
        input: input.to_owned(),
        expression: expression.clone(),
        reason,
    };
    if fields.len() != 5 && !(fields.len() == 1 && fields[0].starts_with('@')) {
        return Err(err(format!("has {} fields, not 5", fields.len())));
    }
    let cron = CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build()
        .parse(&expression)
        .map_err(|e| err(format!("is invalid ({e})")))?;
    // A pattern such as `0 0 30 2 *` (30 February) parses but never matches.
    let probe = Utc
        .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
        .single()
        .expect("a valid fixed date")
        .with_timezone(&zone);
    cron.find_next_occurrence(&probe, false)
        .map_err(|_| err("never fires".to_owned()))?;
    Ok(Kind::Cron {
        cron: Box::new(cron),
        fields: expression,
        zone,
    })
}
