//! Lenient parsing of the date formats feeds use in the wild: RFC 3339 / ISO 8601 (W3C-DTF, with or
//! without `T`, seconds or zone), RFC 822/2822/1123 (named and military zones, two-digit years, no
//! weekday), and C `asctime`. Dates without a zone are taken as UTC. Pure; no regex on the hot path.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// Parses a feed timestamp; `None` when no known format matches.
pub fn parse_feed_date(input: &str) -> Option<DateTime<Utc>> {
    let s = input.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.with_timezone(&Utc));
    }
    if s.as_bytes()[0].is_ascii_digit() {
        if let Some(d) = parse_iso(s) {
            return Some(d);
        }
    }
    parse_rfc822_lenient(s).or_else(|| parse_asctime(s))
}

/// ISO 8601 / W3C-DTF: `2026-11-03`, `2026-11`, `2026`, `2026-11-03 10:00`, `20261103T100000Z`,
/// `2026-11-03T10:00:00.123+0100`.
fn parse_iso(s: &str) -> Option<DateTime<Utc>> {
    let (date_part, rest) = match s.find(['T', 't', ' ']) {
        Some(i) => (&s[..i], s[i + 1..].trim()),
        None => (s, ""),
    };
    let date = parse_iso_date(date_part)?;
    if rest.is_empty() {
        return Some(Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN)));
    }
    // Split the zone off the time.
    let (time_part, zone) = match rest.find(['Z', 'z', '+', '-', ' ']) {
        Some(i) => (&rest[..i], rest[i..].trim()),
        None => (rest, ""),
    };
    let time = parse_time(time_part)?;
    let offset = if zone.is_empty() {
        FixedOffset::east_opt(0)?
    } else {
        parse_zone(zone)?
    };
    local_to_utc(date.and_time(time), offset)
}

fn parse_iso_date(s: &str) -> Option<NaiveDate> {
    let digits = |p: &str| p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty();
    let parts: Vec<&str> = s.split('-').collect();
    let (y, m, d) = match parts.as_slice() {
        [y] if y.len() == 8 && digits(y) => (&y[..4], &y[4..6], &y[6..]),
        [y] if y.len() == 4 && digits(y) => (*y, "1", "1"),
        [y, m] if digits(y) && digits(m) => (*y, *m, "1"),
        [y, m, d] if digits(y) && digits(m) && digits(d) => (*y, *m, *d),
        _ => return None,
    };
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// `10:00`, `10:00:00`, `10:00:00.123`, `100000`.
fn parse_time(s: &str) -> Option<NaiveTime> {
    let s = s.split(['.', ',']).next()?;
    let nums: Vec<u32> = if s.contains(':') {
        s.split(':')
            .map(|p| p.parse().ok())
            .collect::<Option<_>>()?
    } else if s.len() == 6 || s.len() == 4 {
        (0..s.len() / 2)
            .map(|i| s[i * 2..i * 2 + 2].parse().ok())
            .collect::<Option<_>>()?
    } else {
        return None;
    };
    match nums.as_slice() {
        [h, m] => NaiveTime::from_hms_opt(*h, *m, 0),
        [h, m, sec] => NaiveTime::from_hms_opt(*h, *m, (*sec).min(59)),
        _ => None,
    }
}

/// `Z`, `+01:00`, `+0100`, `-05`, `GMT`, `EST`, `A`..`Z` (military), `UT`.
fn parse_zone(z: &str) -> Option<FixedOffset> {
    let z = z.trim();
    let bytes = z.as_bytes();
    if let Some(sign) = bytes.first().filter(|b| **b == b'+' || **b == b'-') {
        let digits: String = z[1..].chars().filter(char::is_ascii_digit).collect();
        let (h, m): (i32, i32) = match digits.len() {
            1 | 2 => (digits.parse().ok()?, 0),
            3 => (digits[..1].parse().ok()?, digits[1..].parse().ok()?),
            4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
            _ => return None,
        };
        let secs = (h * 3600 + m * 60) * if *sign == b'-' { -1 } else { 1 };
        return FixedOffset::east_opt(secs);
    }
    let hours = match z.to_ascii_uppercase().as_str() {
        "Z" | "UT" | "UTC" | "GMT" => 0,
        "EST" => -5,
        "EDT" => -4,
        "CST" => -6,
        "CDT" => -5,
        "MST" => -7,
        "MDT" => -6,
        "PST" => -8,
        "PDT" => -7,
        "BST" => 1,
        "CET" => 1,
        "CEST" => 2,
        "EET" => 2,
        "EEST" => 3,
        "JST" => 9,
        "KST" => 9,
        "IST" => 5,
        m if m.len() == 1 => military(m.as_bytes()[0])?,
        _ => return None,
    };
    FixedOffset::east_opt(hours * 3600)
}

fn military(c: u8) -> Option<i32> {
    match c {
        b'A'..=b'I' => Some(-i32::from(c - b'A' + 1)),
        b'K'..=b'M' => Some(-i32::from(c - b'K' + 10)),
        b'N'..=b'Y' => Some(i32::from(c - b'N' + 1)),
        _ => None,
    }
}

fn month(s: &str) -> Option<u32> {
    let m = s.get(..3)?.to_ascii_lowercase();
    let i = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]
    .iter()
    .position(|n| *n == m)?;
    Some(i as u32 + 1)
}

fn year(s: &str) -> Option<i32> {
    let y: i32 = s.parse().ok()?;
    Some(match (s.len(), y) {
        (2, y) if y < 50 => 2000 + y,
        (2, y) => 1900 + y,
        (_, y) => y,
    })
}

fn local_to_utc(dt: NaiveDateTime, offset: FixedOffset) -> Option<DateTime<Utc>> {
    offset
        .from_local_datetime(&dt)
        .single()
        .map(|d| d.with_timezone(&Utc))
}

/// RFC 822 as found in feeds: optional weekday, `3 Nov 2026` or `Nov 3 2026`, optional seconds,
/// two-digit years, any zone above or none.
fn parse_rfc822_lenient(s: &str) -> Option<DateTime<Utc>> {
    let cleaned = s.replace(',', " ");
    let mut tokens: Vec<&str> = cleaned.split_whitespace().collect();
    if tokens
        .first()
        .is_some_and(|t| t.chars().all(char::is_alphabetic) && month(t).is_none())
    {
        tokens.remove(0);
    }
    if tokens.len() < 3 {
        return None;
    }
    let (day, mon) = if let Some(m) = month(tokens[0]) {
        (tokens[1].parse::<u32>().ok()?, m)
    } else {
        (tokens[0].parse::<u32>().ok()?, month(tokens[1])?)
    };
    let y = year(tokens[2])?;
    let date = NaiveDate::from_ymd_opt(y, mon, day)?;
    let time = tokens
        .get(3)
        .map_or(Some(NaiveTime::MIN), |t| parse_time(t))?;
    let offset = match tokens.get(4) {
        Some(z) => parse_zone(z)?,
        None => FixedOffset::east_opt(0)?,
    };
    local_to_utc(date.and_time(time), offset)
}

/// C `asctime`: `Sun Jan  4 16:29:06 2004` (UTC), optionally with a zone before the year.
fn parse_asctime(s: &str) -> Option<DateTime<Utc>> {
    let t: Vec<&str> = s.split_whitespace().collect();
    let (mon, day, time, zone, y) = match t.as_slice() {
        [_, m, d, time, y] => (month(m)?, d, time, None, y),
        [_, m, d, time, z, y] => (month(m)?, d, time, Some(z), y),
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(year(y)?, mon, day.parse().ok()?)?;
    let offset = match zone {
        Some(z) => parse_zone(z)?,
        None => FixedOffset::east_opt(0)?,
    };
    local_to_utc(date.and_time(parse_time(time)?), offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(s: &str) -> String {
        parse_feed_date(s)
            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_else(|| "none".into())
    }

    #[test]
    fn formats_seen_in_feeds() {
        let cases = [
            ("2026-11-03T10:00:00Z", "2026-11-03T10:00:00Z"),
            ("2026-11-03T10:00:00.250+01:00", "2026-11-03T09:00:00Z"),
            ("2026-11-03T10:00+0100", "2026-11-03T09:00:00Z"),
            ("2026-11-03 10:00:00", "2026-11-03T10:00:00Z"),
            ("2026-11-03", "2026-11-03T00:00:00Z"),
            ("2026-11", "2026-11-01T00:00:00Z"),
            ("2026", "2026-01-01T00:00:00Z"),
            ("20261103T100000Z", "2026-11-03T10:00:00Z"),
            ("Tue, 03 Nov 2026 10:00:00 +0100", "2026-11-03T09:00:00Z"),
            ("Tue, 3 Nov 2026 10:00:00 GMT", "2026-11-03T10:00:00Z"),
            ("3 Nov 2026 10:00 EST", "2026-11-03T15:00:00Z"),
            ("Tue, 03 Nov 26 10:00:00 Z", "2026-11-03T10:00:00Z"),
            ("Tuesday, 03 Nov 2026 10:00:00 PST", "2026-11-03T18:00:00Z"),
            ("Nov 3, 2026 10:00:00", "2026-11-03T10:00:00Z"),
            ("Sun Jan  4 16:29:06 2004", "2004-01-04T16:29:06Z"),
            ("Sun Jan  4 16:29:06 PST 2004", "2004-01-05T00:29:06Z"),
            ("yesterday", "none"),
            ("", "none"),
            ("2026-13-45", "none"),
        ];
        for (input, want) in cases {
            assert_eq!(iso(input), want, "{input:?}");
        }
    }
}
