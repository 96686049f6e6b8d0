//! What the digest templates see: the [`DigestContent`] with every string cleaned and cut, every
//! link checked (`href` only for `http`/`https`), every date formatted in the digest's zone, and
//! the sentences both parts share written once.

use std::collections::HashMap;

use chrono_tz::Tz;
use serde::Serialize;

use super::{DigestContent, StoryEntry, TEXT_WIDTH, TopicGroup, count, human};
use crate::sinks::escape::{Measure, excerpt, http_url, one_line, truncate};
use crate::sinks::payload::{SNIPPET_MAX_CHARS, SUMMARY_MAX_CHARS};

/// What the templates see: every string cleaned, every link checked, every date formatted.
#[derive(Serialize)]
pub(super) struct View {
    subject: String,
    name: String,
    /// One sentence: how many stories since when.
    headline: String,
    groups: Vec<GroupView>,
    /// "N more stories …" when some were left out, else empty.
    omitted_line: String,
    /// The footer's sentence on the period and when the digest was made.
    period_line: String,
    unsubscribe: Option<LinkView>,
}

#[derive(Serialize)]
struct GroupView {
    label: String,
    /// A row of `=` as long as the label, for the text part.
    underline: String,
    stories: Vec<StoryView>,
}

#[derive(Serialize)]
struct StoryView {
    title: String,
    link: LinkView,
    /// Source and date, joined with ` · `.
    byline: String,
    summary: String,
    also: Vec<LinkView>,
    /// Topic labels with scores, joined with `, `.
    topics: String,
    evidence: Vec<EvidenceView>,
}

/// A name with its target: `href` only for an `http`/`https` URL; any other URL is kept as
/// `text_url` to be shown as text.
#[derive(Serialize)]
struct LinkView {
    name: String,
    href: Option<String>,
    text_url: Option<String>,
}

#[derive(Serialize)]
struct EvidenceView {
    term: String,
    snippet: String,
}

impl View {
    pub(super) fn new(content: &DigestContent, subject: &str) -> View {
        let zone = content.zone;
        let labels: HashMap<String, String> = content
            .topic_labels
            .iter()
            .map(|(id, label)| (id, label))
            .chain(content.groups.iter().map(|g| (&g.topic, &g.label)))
            .map(|(id, label)| (one_line(id), one_line(label)))
            .filter(|(_, label)| !label.is_empty())
            .collect();
        let groups: Vec<GroupView> = content
            .groups
            .iter()
            .filter(|g| !g.stories.is_empty())
            .map(|g| GroupView::new(g, &labels, zone))
            .collect();
        let since = human(content.period_start, zone);
        let headline = if groups.is_empty() {
            format!("Nothing new on your topics since {since}.")
        } else {
            let total = count(content.total_stories, "story", "stories");
            format!("{total} first seen since {since}.")
        };
        let omitted_line = match content.omitted_stories {
            0 => String::new(),
            n => format!(
                "{} matched but {} not listed here.",
                count(n, "more story", "more stories"),
                if n == 1 { "is" } else { "are" }
            ),
        };
        let period_line = format!(
            "This digest covers stories first seen from {since} to {}. Generated {}.",
            human(content.period_end, zone),
            human(content.generated_at, zone)
        );
        View {
            subject: subject.to_owned(),
            name: one_line(&content.name),
            headline,
            groups,
            omitted_line,
            period_line,
            unsubscribe: content
                .unsubscribe_url
                .as_deref()
                .map(|url| LinkView::new("Unsubscribe", Some(url))),
        }
    }
}

impl GroupView {
    fn new(group: &TopicGroup, labels: &HashMap<String, String>, zone: Tz) -> GroupView {
        let mut label = one_line(&group.label);
        if label.is_empty() {
            label = one_line(&group.topic);
        }
        GroupView {
            underline: "=".repeat(label.chars().count().min(TEXT_WIDTH)),
            label,
            stories: group
                .stories
                .iter()
                .map(|s| StoryView::new(s, labels, zone))
                .collect(),
        }
    }
}

impl StoryView {
    fn new(story: &StoryEntry, labels: &HashMap<String, String>, zone: Tz) -> StoryView {
        let mut title = one_line(&story.title);
        if title.is_empty() {
            title = "(untitled)".to_owned();
        }
        let byline = [
            Some(one_line(&story.source)),
            story.published.map(|t| human(t, zone)),
        ]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" · ");
        let topics = story
            .topics
            .iter()
            .map(|(id, score)| {
                let id = one_line(id);
                let label = labels.get(&id).cloned().unwrap_or(id);
                format!("{label} {}", score_text(*score))
            })
            .collect::<Vec<_>>()
            .join(", ");
        StoryView {
            link: LinkView::new(&title, story.url.as_deref()),
            title,
            byline,
            summary: excerpt(&one_line(&story.summary), SUMMARY_MAX_CHARS),
            also: story
                .other_sources
                .iter()
                .map(|(name, url)| LinkView::new(name, url.as_deref()))
                .collect(),
            topics,
            evidence: story
                .evidence
                .iter()
                .map(|(term, snippet)| EvidenceView {
                    term: one_line(term),
                    snippet: truncate(&one_line(snippet), SNIPPET_MAX_CHARS, Measure::Chars),
                })
                .collect(),
        }
    }
}

impl LinkView {
    fn new(name: &str, url: Option<&str>) -> LinkView {
        let url = url.map(one_line).filter(|u| !u.is_empty());
        let href = url.as_deref().and_then(http_url);
        LinkView {
            name: one_line(name),
            text_url: if href.is_none() { url } else { None },
            href,
        }
    }
}

/// A score as two decimals, clamped to 0–1 (NaN shows as 0.00).
fn score_text(score: f64) -> String {
    let score = if score.is_nan() {
        0.0
    } else {
        score.clamp(0.0, 1.0)
    };
    format!("{score:.2}")
}
