//! The outward messages sent to alert destinations, and the generic webhook payload (version 1) they
//! serialise to; separate from the store's records and filled from plain values by the dispatcher.
//!
//! A [`Message`] serialises with serde_json to the JSON that generic webhooks receive and that
//! `config/schema/webhook-v1.json` describes: an object whose `"type"` is `"brief.alert"` or
//! `"brief.summary"` (the Standard Webhooks event type) and whose `"version"` is
//! [`PAYLOAD_VERSION`]. Any change to the shape gets a new version and a new schema file.
//! Constructors clean the text they are given (see [`escape::clean`](super::escape::clean)); the
//! fields are public so that tests and receivers can build or read any value.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::escape::{Measure, excerpt, one_line, truncate};

/// The version of the generic webhook payload this module produces.
pub const PAYLOAD_VERSION: u32 = 1;

/// The longest brief summary excerpt, in characters (cut on a word boundary with "…").
pub const SUMMARY_MAX_CHARS: usize = 500;

/// The longest evidence snippet, in characters.
pub const SNIPPET_MAX_CHARS: usize = 200;

/// The most briefs a [`Summary`] lists; `count` still says how many matched.
pub const SUMMARY_MAX_BRIEFS: usize = 20;

/// One message to one destination: a single alert, or the overflow of a throttled rule merged
/// into a summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Message {
    /// A brief matched a rule (`"type": "brief.alert"`).
    #[serde(rename = "brief.alert")]
    Alert(Alert),
    /// More briefs matched a rule than its throttle lets through (`"type": "brief.summary"`).
    #[serde(rename = "brief.summary")]
    Summary(Summary),
}

impl Message {
    /// The delivery id, sent as the `webhook-id` header and stable across retries.
    pub fn id(&self) -> &str {
        match self {
            Message::Alert(a) => &a.id,
            Message::Summary(s) => &s.id,
        }
    }

    /// The event type: `"brief.alert"` or `"brief.summary"`.
    pub fn event_type(&self) -> &'static str {
        match self {
            Message::Alert(_) => "brief.alert",
            Message::Summary(_) => "brief.summary",
        }
    }

    /// The name of the rule that produced the message.
    pub fn rule(&self) -> &str {
        match self {
            Message::Alert(a) => &a.rule,
            Message::Summary(s) => &s.rule,
        }
    }

    /// When the message was created.
    pub fn created_at(&self) -> DateTime<Utc> {
        match self {
            Message::Alert(a) => a.created_at,
            Message::Summary(s) => s.created_at,
        }
    }

    /// Whether this is a test message (`briefwatch alerts test DEST`), not a real match.
    pub fn is_test(&self) -> bool {
        match self {
            Message::Alert(a) => a.test,
            Message::Summary(s) => s.test,
        }
    }

    /// The message `briefwatch alerts test DEST` sends: a sample alert about briefwatch itself,
    /// flagged `test`, under the rule name `"test"`.
    pub fn test(id: impl Into<String>, created_at: DateTime<Utc>) -> Message {
        let brief = BriefInfo::new(
            0,
            "briefwatch",
            "Test alert from briefwatch",
            "This is a test message sent by `briefwatch alerts test`. It matched no rule; if you \
             can read it, this destination receives briefwatch alerts.",
        )
        .with_url("https://github.com/briefwatch/briefwatch")
        .with_published(created_at);
        let topic = TopicMatch::new("example", 1.0).with_evidence(Evidence::new(
            "test",
            EvidenceField::Title,
            "Test alert from briefwatch",
        ));
        Message::Alert(
            Alert::new(id, "test", created_at, brief)
                .with_topics(vec![topic])
                .into_test(),
        )
    }

    /// A copy with every text field cleaned, for messages built field by field rather than through
    /// the constructors.
    pub fn cleaned(&self) -> Message {
        match self {
            Message::Alert(a) => Message::Alert(a.cleaned()),
            Message::Summary(s) => Message::Summary(s.cleaned()),
        }
    }
}

/// A brief matched a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Always [`PAYLOAD_VERSION`] when built here.
    pub version: u32,
    /// The delivery id (also the `webhook-id` header).
    pub id: String,
    /// When the alert was created (RFC 3339 in JSON).
    pub created_at: DateTime<Utc>,
    /// True for `briefwatch alerts test DEST`: not a real match.
    pub test: bool,
    /// The rule that matched.
    pub rule: String,
    /// The brief that matched.
    pub brief: BriefInfo,
    /// The story the brief belongs to, when it has been clustered.
    pub story: Option<StoryInfo>,
    /// The topics the brief was tagged with, with their evidence.
    pub topics: Vec<TopicMatch>,
    /// Named entities found in the brief.
    pub entities: Vec<Entity>,
}

impl Alert {
    /// An alert with no story, topics or entities yet.
    pub fn new(
        id: impl Into<String>,
        rule: impl Into<String>,
        created_at: DateTime<Utc>,
        brief: BriefInfo,
    ) -> Alert {
        Alert {
            version: PAYLOAD_VERSION,
            id: id.into(),
            created_at,
            test: false,
            rule: one_line(&rule.into()),
            brief,
            story: None,
            topics: Vec::new(),
            entities: Vec::new(),
        }
    }

    /// Sets the story.
    pub fn with_story(mut self, story: StoryInfo) -> Alert {
        self.story = Some(story);
        self
    }

    /// Sets the topics.
    pub fn with_topics(mut self, topics: Vec<TopicMatch>) -> Alert {
        self.topics = topics;
        self
    }

    /// Sets the entities.
    pub fn with_entities(mut self, entities: Vec<Entity>) -> Alert {
        self.entities = entities;
        self
    }

    /// Flags the alert as a test message.
    pub fn into_test(mut self) -> Alert {
        self.test = true;
        self
    }

    fn cleaned(&self) -> Alert {
        Alert {
            version: self.version,
            id: self.id.clone(),
            created_at: self.created_at,
            test: self.test,
            rule: one_line(&self.rule),
            brief: self.brief.cleaned(),
            story: self.story.as_ref().map(StoryInfo::cleaned),
            topics: self.topics.iter().map(TopicMatch::cleaned).collect(),
            entities: self.entities.iter().map(Entity::cleaned).collect(),
        }
    }
}

/// The brief an alert is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BriefInfo {
    /// The brief's id in the store.
    pub id: i64,
    /// The name of the source it came from.
    pub source: String,
    /// Its link, when it has one.
    pub url: Option<String>,
    /// Its title, on one line.
    pub title: String,
    /// A plain-text excerpt of at most [`SUMMARY_MAX_CHARS`] characters.
    pub summary: String,
    /// When it was published (RFC 3339 in JSON), when known.
    pub published: Option<DateTime<Utc>>,
    /// Its author, when known.
    pub author: Option<String>,
}

impl BriefInfo {
    /// A brief without url, date or author; `text` is the brief's plain text, cut here to an
    /// excerpt.
    pub fn new(
        id: i64,
        source: impl Into<String>,
        title: impl Into<String>,
        text: &str,
    ) -> BriefInfo {
        BriefInfo {
            id,
            source: one_line(&source.into()),
            url: None,
            title: one_line(&title.into()),
            summary: excerpt(&one_line(text), SUMMARY_MAX_CHARS),
            published: None,
            author: None,
        }
    }

    /// Sets the link.
    pub fn with_url(mut self, url: impl Into<String>) -> BriefInfo {
        self.url = Some(one_line(&url.into()));
        self
    }

    /// Sets the publication time.
    pub fn with_published(mut self, published: DateTime<Utc>) -> BriefInfo {
        self.published = Some(published);
        self
    }

    /// Sets the author.
    pub fn with_author(mut self, author: impl Into<String>) -> BriefInfo {
        self.author = Some(one_line(&author.into()));
        self
    }

    fn cleaned(&self) -> BriefInfo {
        BriefInfo {
            id: self.id,
            source: one_line(&self.source),
            url: self.url.as_deref().map(one_line),
            title: one_line(&self.title),
            summary: excerpt(&one_line(&self.summary), SUMMARY_MAX_CHARS),
            published: self.published,
            author: self.author.as_deref().map(one_line),
        }
    }
}

/// The story (cluster of near-duplicate briefs) a brief belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoryInfo {
    /// The story's id in the store.
    pub id: i64,
    /// How many briefs the story holds.
    pub briefs: u32,
    /// The sources that carried the story, each with its link.
    pub sources: Vec<StorySource>,
}

impl StoryInfo {
    /// A story of `briefs` briefs with no sources listed yet.
    pub fn new(id: i64, briefs: u32) -> StoryInfo {
        StoryInfo {
            id,
            briefs,
            sources: Vec::new(),
        }
    }

    /// Adds a source that carried the story.
    pub fn with_source(mut self, source: impl Into<String>, url: Option<String>) -> StoryInfo {
        self.sources.push(StorySource {
            source: one_line(&source.into()),
            url: url.as_deref().map(one_line),
        });
        self
    }

    fn cleaned(&self) -> StoryInfo {
        StoryInfo {
            id: self.id,
            briefs: self.briefs,
            sources: self
                .sources
                .iter()
                .map(|s| StorySource {
                    source: one_line(&s.source),
                    url: s.url.as_deref().map(one_line),
                })
                .collect(),
        }
    }
}

/// One source that carried a story.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StorySource {
    /// The source's name.
    pub source: String,
    /// Its brief's link, when it has one.
    pub url: Option<String>,
}

/// A topic a brief was tagged with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicMatch {
    /// The topic's id, as in the topic pack.
    pub id: String,
    /// How strongly the brief matched, 0 to 1, rounded to two decimals.
    pub score: f64,
    /// Why it matched.
    pub evidence: Vec<Evidence>,
}

impl TopicMatch {
    /// A topic match without evidence; `score` is clamped to 0..1 (NaN becomes 0) and rounded to
    /// two decimals.
    pub fn new(id: impl Into<String>, score: f64) -> TopicMatch {
        TopicMatch {
            id: one_line(&id.into()),
            score: round_score(score),
            evidence: Vec::new(),
        }
    }

    /// Adds one piece of evidence.
    pub fn with_evidence(mut self, evidence: Evidence) -> TopicMatch {
        self.evidence.push(evidence);
        self
    }

    fn cleaned(&self) -> TopicMatch {
        TopicMatch {
            id: one_line(&self.id),
            score: round_score(self.score),
            evidence: self.evidence.iter().map(Evidence::cleaned).collect(),
        }
    }
}

fn round_score(score: f64) -> f64 {
    if score.is_nan() {
        return 0.0;
    }
    (score.clamp(0.0, 1.0) * 100.0).round() / 100.0
}

/// Where a piece of topic evidence was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EvidenceField {
    /// A term in the title.
    Title,
    /// A term in the body text.
    Text,
    /// The statistical model's judgement rather than a term.
    Model,
}

impl EvidenceField {
    /// The JSON name: `"title"`, `"text"` or `"model"`.
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceField::Title => "title",
            EvidenceField::Text => "text",
            EvidenceField::Model => "model",
        }
    }
}

/// One reason a topic matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The term (or model feature) that matched.
    pub term: String,
    /// Where it was found.
    pub field: EvidenceField,
    /// The words around it, on one line, at most [`SNIPPET_MAX_CHARS`] characters.
    pub snippet: String,
}

impl Evidence {
    /// Evidence with its snippet cleaned and cut to [`SNIPPET_MAX_CHARS`].
    pub fn new(term: impl Into<String>, field: EvidenceField, snippet: &str) -> Evidence {
        Evidence {
            term: one_line(&term.into()),
            field,
            snippet: truncate(&one_line(snippet), SNIPPET_MAX_CHARS, Measure::Chars),
        }
    }

    fn cleaned(&self) -> Evidence {
        Evidence::new(self.term.as_str(), self.field, &self.snippet)
    }
}

/// A named entity found in a brief.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    /// The entity's name.
    pub name: String,
    /// Its kind (for example `country`, `city`, `organisation`, `person`).
    pub kind: String,
}

impl Entity {
    /// An entity, both fields on one line.
    pub fn new(name: impl Into<String>, kind: impl Into<String>) -> Entity {
        Entity {
            name: one_line(&name.into()),
            kind: one_line(&kind.into()),
        }
    }

    fn cleaned(&self) -> Entity {
        Entity::new(self.name.as_str(), self.kind.as_str())
    }
}

/// The overflow of a throttled rule merged into one message: "12 more briefs matched rule X in
/// the last hour".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Always [`PAYLOAD_VERSION`] when built here.
    pub version: u32,
    /// The delivery id (also the `webhook-id` header).
    pub id: String,
    /// When the summary was created (RFC 3339 in JSON).
    pub created_at: DateTime<Utc>,
    /// True for test messages: not a real match.
    pub test: bool,
    /// The rule whose matches were held back.
    pub rule: String,
    /// The period the held-back matches fall in.
    pub window: Window,
    /// How many briefs matched in the window; may exceed `briefs.len()`.
    pub count: u32,
    /// Up to [`SUMMARY_MAX_BRIEFS`] of them, in the dispatcher's order.
    pub briefs: Vec<SummaryBrief>,
}

impl Summary {
    /// A summary of `count` matches; `briefs` beyond [`SUMMARY_MAX_BRIEFS`] are dropped, and
    /// `count` is raised to the number of briefs when it is lower.
    pub fn new(
        id: impl Into<String>,
        rule: impl Into<String>,
        created_at: DateTime<Utc>,
        window: Window,
        count: u32,
        mut briefs: Vec<SummaryBrief>,
    ) -> Summary {
        let listed = u32::try_from(briefs.len()).unwrap_or(u32::MAX);
        briefs.truncate(SUMMARY_MAX_BRIEFS);
        Summary {
            version: PAYLOAD_VERSION,
            id: id.into(),
            created_at,
            test: false,
            rule: one_line(&rule.into()),
            window,
            count: count.max(listed),
            briefs,
        }
    }

    /// Flags the summary as a test message.
    pub fn into_test(mut self) -> Summary {
        self.test = true;
        self
    }

    fn cleaned(&self) -> Summary {
        Summary {
            version: self.version,
            id: self.id.clone(),
            created_at: self.created_at,
            test: self.test,
            rule: one_line(&self.rule),
            window: self.window,
            count: self.count,
            briefs: self.briefs.iter().map(SummaryBrief::cleaned).collect(),
        }
    }
}

/// A half-open period of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// Start (RFC 3339 in JSON).
    pub start: DateTime<Utc>,
    /// End (RFC 3339 in JSON).
    pub end: DateTime<Utc>,
}

/// One brief listed in a [`Summary`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryBrief {
    /// The brief's id in the store.
    pub id: i64,
    /// Its title, on one line.
    pub title: String,
    /// Its link, when it has one.
    pub url: Option<String>,
    /// The name of the source it came from.
    pub source: String,
    /// The ids of the topics it was tagged with.
    pub topics: Vec<String>,
}

impl SummaryBrief {
    /// A listed brief without url or topics.
    pub fn new(id: i64, source: impl Into<String>, title: impl Into<String>) -> SummaryBrief {
        SummaryBrief {
            id,
            title: one_line(&title.into()),
            url: None,
            source: one_line(&source.into()),
            topics: Vec::new(),
        }
    }

    /// Sets the link.
    pub fn with_url(mut self, url: impl Into<String>) -> SummaryBrief {
        self.url = Some(one_line(&url.into()));
        self
    }

    /// Sets the topic ids.
    pub fn with_topics(mut self, topics: Vec<String>) -> SummaryBrief {
        self.topics = topics.iter().map(|t| one_line(t)).collect();
        self
    }

    fn cleaned(&self) -> SummaryBrief {
        SummaryBrief {
            id: self.id,
            title: one_line(&self.title),
            url: self.url.as_deref().map(one_line),
            source: one_line(&self.source),
            topics: self.topics.iter().map(|t| one_line(t)).collect(),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::TimeZone;

    /// A fixed time for fixtures.
    pub(crate) fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, h, m, 0).unwrap()
    }

    /// The hostile title every renderer test sends.
    pub(crate) const HOSTILE_TITLE: &str =
        "<b>*_ <script>alert(1)</script> @everyone \x1b[31mred\u{202E}txt\0end";

    /// An alert with story, topics, evidence and entities.
    pub(crate) fn alert(title: &str) -> Alert {
        let brief = BriefInfo::new(
            42,
            "un-news",
            title,
            "Talks resumed in Cairo on Tuesday.\n\nBoth sides agreed to a pause.",
        )
        .with_url("https://news.example.org/briefs/42?a=1&b=2")
        .with_published(at(9, 30))
        .with_author("A. Reporter");
        let story = StoryInfo::new(7, 3)
            .with_source("un-news", Some("https://news.example.org/briefs/42".into()))
            .with_source("wire", None);
        let topic = TopicMatch::new("ceasefire", 0.8666)
            .with_evidence(Evidence::new("ceasefire", EvidenceField::Title, title))
            .with_evidence(Evidence::new(
                "pause",
                EvidenceField::Text,
                "Both sides agreed to a pause.",
            ));
        Alert::new("msg_01", "ceasefire-watch", at(10, 0), brief)
            .with_story(story)
            .with_topics(vec![topic, TopicMatch::new("diplomacy", 0.5)])
            .with_entities(vec![Entity::new("Cairo", "city")])
    }

    /// A summary listing two briefs of twelve.
    pub(crate) fn summary(title: &str) -> Summary {
        let briefs = vec![
            SummaryBrief::new(43, "wire", title)
                .with_url("https://wire.example.org/43")
                .with_topics(vec!["ceasefire".into()]),
            SummaryBrief::new(44, "un-news", "Second brief"),
        ];
        let window = Window {
            start: at(9, 0),
            end: at(10, 0),
        };
        Summary::new("msg_02", "ceasefire-watch", at(10, 0), window, 12, briefs)
    }

    #[test]
    fn alert_serialises_with_type_version_and_rfc3339_times() {
        let json = serde_json::to_value(Message::Alert(alert("Truce holds"))).unwrap();
        assert_eq!(json["type"], "brief.alert");
        assert_eq!(json["version"], 1);
        assert_eq!(json["id"], "msg_01");
        assert_eq!(json["test"], false);
        assert_eq!(json["created_at"], "2026-11-20T10:00:00Z");
        assert_eq!(json["brief"]["published"], "2026-11-20T09:30:00Z");
        assert_eq!(json["topics"][0]["score"], 0.87);
        assert_eq!(json["topics"][0]["evidence"][1]["field"], "text");
        assert_eq!(json["story"]["sources"][1]["url"], serde_json::Value::Null);
    }

    #[test]
    fn message_round_trips_through_json() {
        for msg in [
            Message::Alert(alert("Truce holds")),
            Message::Summary(summary("Truce holds")),
            Message::test("msg_t", at(10, 0)),
        ] {
            let text = serde_json::to_string(&msg).unwrap();
            let back: Message = serde_json::from_str(&text).unwrap();
            assert_eq!(back, msg);
        }
    }

    #[test]
    fn brief_summary_is_a_word_bounded_excerpt() {
        let text = "word ".repeat(300);
        let brief = BriefInfo::new(1, "s", "t", &text);
        assert!(brief.summary.chars().count() <= SUMMARY_MAX_CHARS);
        assert!(brief.summary.ends_with("word…"));
    }

    #[test]
    fn scores_are_clamped_and_rounded() {
        assert_eq!(TopicMatch::new("a", 0.123).score, 0.12);
        assert_eq!(TopicMatch::new("a", 1.7).score, 1.0);
        assert_eq!(TopicMatch::new("a", f64::NAN).score, 0.0);
    }

    #[test]
    fn summary_caps_listed_briefs_but_keeps_the_count() {
        let briefs = (0..30)
            .map(|i| SummaryBrief::new(i, "s", "t"))
            .collect::<Vec<_>>();
        let window = Window {
            start: at(9, 0),
            end: at(10, 0),
        };
        let s = Summary::new("m", "r", at(10, 0), window, 3, briefs);
        assert_eq!(s.briefs.len(), SUMMARY_MAX_BRIEFS);
        assert_eq!(s.count, 30);
    }

    #[test]
    fn constructors_clean_hostile_text() {
        let a = alert(HOSTILE_TITLE);
        assert!(!a.brief.title.contains('\0'));
        assert!(!a.brief.title.contains('\x1b'));
        assert!(!a.brief.title.contains('\u{202E}'));
        assert_eq!(Message::Alert(a.clone()).cleaned(), Message::Alert(a));
    }

    #[test]
    fn test_message_is_flagged() {
        let msg = Message::test("msg_t", at(10, 0));
        assert!(msg.is_test());
        assert_eq!(msg.rule(), "test");
        assert_eq!(msg.event_type(), "brief.alert");
    }
}
