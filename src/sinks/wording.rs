//! The sentences every chat renderer shows (test banner, summary headline, topic and story lines),
//! as raw text; each renderer escapes them for its own markup. Builds no payloads.

use chrono::{DateTime, SecondsFormat, Utc};

use super::payload::{Alert, Entity, Evidence, StoryInfo, Summary, TopicMatch};

/// The line that opens every test message.
pub const TEST_BANNER: &str = "Test message from briefwatch (briefwatch alerts test): no brief matched a rule; \
     if you can read this, the destination works.";

/// The prefix test messages put before their title.
pub const TEST_PREFIX: &str = "[TEST] ";

/// How many evidence lines an alert shows.
pub const MAX_EVIDENCE: usize = 5;

/// `2026-11-20 09:30 UTC`: short enough for a context line, unambiguous.
pub fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// RFC 3339 with seconds and `Z`, for fields that take a machine time.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The alert's title, prefixed with [`TEST_PREFIX`] for test messages.
pub fn alert_title(alert: &Alert) -> String {
    let title = if alert.brief.title.is_empty() {
        "(untitled brief)"
    } else {
        alert.brief.title.as_str()
    };
    if alert.test {
        format!("{TEST_PREFIX}{title}")
    } else {
        title.to_owned()
    }
}

/// `un-news · 2026-11-20 09:30 UTC · by A. Reporter`, leaving out what is unknown.
pub fn byline(alert: &Alert) -> String {
    let mut parts = vec![alert.brief.source.clone()];
    if let Some(p) = alert.brief.published {
        parts.push(time(p));
    }
    if let Some(a) = alert.brief.author.as_deref().filter(|a| !a.is_empty()) {
        parts.push(format!("by {a}"));
    }
    parts.join(" · ")
}

/// `ceasefire 0.87, diplomacy 0.50`, or empty when there are no topics.
pub fn topics(topics: &[TopicMatch]) -> String {
    topics
        .iter()
        .map(|t| format!("{} {:.2}", t.id, t.score))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first [`MAX_EVIDENCE`] pieces of evidence across all topics, with their topic.
pub fn evidence(topics: &[TopicMatch]) -> Vec<(&str, &Evidence)> {
    topics
        .iter()
        .flat_map(|t| t.evidence.iter().map(move |e| (t.id.as_str(), e)))
        .take(MAX_EVIDENCE)
        .collect()
}

/// `ceasefire: "ceasefire" in title: …snippet…` for one piece of evidence.
pub fn evidence_line(topic: &str, e: &Evidence) -> String {
    if e.snippet.is_empty() {
        format!("{topic}: \"{}\" in {}", e.term, e.field.as_str())
    } else {
        format!(
            "{topic}: \"{}\" in {}: {}",
            e.term,
            e.field.as_str(),
            e.snippet
        )
    }
}

/// `Cairo (city), UN (organisation)`, or empty.
pub fn entities(entities: &[Entity]) -> String {
    entities
        .iter()
        .map(|e| format!("{} ({})", e.name, e.kind))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `3 briefs from un-news, wire`, or `None` when there is no story or it holds only this brief.
pub fn story(story: Option<&StoryInfo>) -> Option<String> {
    let s = story.filter(|s| s.briefs > 1 || s.sources.len() > 1)?;
    let sources = s
        .sources
        .iter()
        .map(|s| s.source.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    Some(if sources.is_empty() {
        format!("{} briefs", s.briefs)
    } else {
        format!("{} briefs from {sources}", s.briefs)
    })
}

/// `12 more briefs matched rule ceasefire-watch in the last hour`, prefixed for test messages.
pub fn summary_headline(s: &Summary) -> String {
    let noun = if s.count == 1 { "brief" } else { "briefs" };
    let verb = format!(
        "{} more {noun} matched rule {} {}",
        s.count,
        s.rule,
        window(s.window.start, s.window.end)
    );
    if s.test {
        format!("{TEST_PREFIX}{verb}")
    } else {
        verb
    }
}

/// `in the last hour`, `in the last 3 hours`, `in the last 2 days`, `in the last 45 minutes`.
pub fn window(start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    let minutes = (end - start).num_minutes();
    let (n, unit) = match minutes {
        m if m <= 0 => return format!("at {}", time(end)),
        m if m % 1440 == 0 => (m / 1440, "day"),
        m if m % 60 == 0 => (m / 60, "hour"),
        m => (m, "minute"),
    };
    if n == 1 {
        format!("in the last {unit}")
    } else {
        format!("in the last {n} {unit}s")
    }
}

/// `9 more not listed` when the summary lists fewer briefs than matched.
pub fn unlisted(s: &Summary) -> Option<String> {
    let listed = u32::try_from(s.briefs.len()).unwrap_or(u32::MAX);
    (s.count > listed).then(|| format!("{} more not listed", s.count - listed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sinks::payload::tests::{alert, at, summary};

    #[test]
    fn window_names_whole_units() {
        assert_eq!(window(at(9, 0), at(10, 0)), "in the last hour");
        assert_eq!(window(at(7, 0), at(10, 0)), "in the last 3 hours");
        assert_eq!(window(at(9, 15), at(10, 0)), "in the last 45 minutes");
        assert_eq!(window(at(10, 0), at(10, 0)), "at 2026-11-20 10:00 UTC");
    }

    #[test]
    fn summary_headline_says_how_many_and_which_rule() {
        assert_eq!(
            summary_headline(&summary("t")),
            "12 more briefs matched rule ceasefire-watch in the last hour"
        );
    }

    #[test]
    fn alert_lines_read_naturally() {
        let a = alert("Truce holds");
        assert_eq!(
            byline(&a),
            "un-news · 2026-11-20 09:30 UTC · by A. Reporter"
        );
        assert_eq!(topics(&a.topics), "ceasefire 0.87, diplomacy 0.50");
        assert_eq!(entities(&a.entities), "Cairo (city)");
        assert_eq!(
            story(a.story.as_ref()).unwrap(),
            "3 briefs from un-news, wire"
        );
        assert_eq!(
            evidence_line("ceasefire", &a.topics[0].evidence[0]),
            "ceasefire: \"ceasefire\" in title: Truce holds"
        );
    }
}
