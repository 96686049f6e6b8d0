//! The shapes the CLI prints with `--json`: its own types, built from store records, so that a
//! change to a record or the schema cannot silently change what scripts read. Field names are the
//! contract (design.md); add fields, rename none. The JSON API sends the same shapes, and its OpenAPI
//! document describes them from these types (`ToSchema`).

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::model::{EntityTag, SourceStatus, StoredBrief, TopicTag};
use crate::store::{Appearance, DeliveryRecord, StorySummary};
use crate::transforms::classify::{Evidence, expand_evidence};

/// One line of `briefs list --json` and `briefs search --json`.
#[derive(Serialize, ToSchema)]
pub(crate) struct ListLine<'a> {
    id: i64,
    source: &'a str,
    url: Option<&'a str>,
    title: &'a str,
    published: Option<String>,
    topics: Vec<TopicScore<'a>>,
    story_id: Option<i64>,
    author: Option<&'a str>,
    guid: &'a str,
}

/// A topic and its score in listings.
#[derive(Serialize, ToSchema)]
struct TopicScore<'a> {
    id: &'a str,
    score: f64,
}

impl<'a> ListLine<'a> {
    /// The line for `b`, with its stored topics and scores.
    pub(crate) fn new(b: &'a StoredBrief, topics: Option<&'a Vec<(String, f32)>>) -> Self {
        ListLine {
            id: b.id,
            source: &b.source,
            url: b.url.as_deref(),
            title: &b.title,
            published: b
                .published
                .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
            topics: topics
                .into_iter()
                .flatten()
                .map(|(id, score)| TopicScore {
                    id,
                    score: round2(*score),
                })
                .collect(),
            story_id: b.story_id,
            author: b.author.as_deref(),
            guid: &b.guid,
        }
    }
}

/// `briefs show ID --json`: the brief in full, where else its story appeared, its topics with
/// evidence and the entities it names.
#[derive(Serialize, ToSchema)]
pub(crate) struct BriefShow<'a> {
    id: i64,
    source: &'a str,
    guid: &'a str,
    url: Option<&'a str>,
    title: &'a str,
    text: &'a str,
    html: &'a str,
    author: Option<&'a str>,
    published: Option<DateTime<Utc>>,
    updated: Option<DateTime<Utc>>,
    fetched: DateTime<Utc>,
    story_id: Option<i64>,
    also_in: Vec<AppearanceOut<'a>>,
    topics: Vec<TopicEvidence<'a>>,
    entities: Vec<EntityOut<'a>>,
}

/// Another source that carried the story.
#[derive(Serialize, ToSchema)]
struct AppearanceOut<'a> {
    brief_id: i64,
    source: &'a str,
    url: Option<&'a str>,
    title: &'a str,
}

/// A topic with its score and why it was given.
#[derive(Serialize, ToSchema)]
struct TopicEvidence<'a> {
    id: &'a str,
    score: f64,
    evidence: Vec<Evidence>,
}

/// An entity named in a brief.
#[derive(Serialize, ToSchema)]
struct EntityOut<'a> {
    name: &'a str,
    kind: &'a str,
}

impl<'a> BriefShow<'a> {
    /// The full record of `b`.
    pub(crate) fn new(
        b: &'a StoredBrief,
        also: &'a [Appearance],
        topics: &'a [TopicTag],
        entities: &'a [EntityTag],
    ) -> Self {
        BriefShow {
            id: b.id,
            source: &b.source,
            guid: &b.guid,
            url: b.url.as_deref(),
            title: &b.title,
            text: &b.text,
            html: &b.html,
            author: b.author.as_deref(),
            published: b.published,
            updated: b.updated,
            fetched: b.fetched,
            story_id: b.story_id,
            also_in: also
                .iter()
                .map(|a| AppearanceOut {
                    brief_id: a.brief_id,
                    source: &a.source,
                    url: a.url.as_deref(),
                    title: &a.title,
                })
                .collect(),
            topics: topics
                .iter()
                .map(|t| TopicEvidence {
                    id: &t.topic,
                    score: round2(t.score),
                    evidence: expand_evidence(&t.evidence, &b.title, &b.text),
                })
                .collect(),
            entities: entities
                .iter()
                .map(|e| EntityOut {
                    name: &e.name,
                    kind: &e.kind,
                })
                .collect(),
        }
    }
}

/// One line of `stories list --json`.
#[derive(Serialize, ToSchema)]
pub(crate) struct StoryLine<'a> {
    id: i64,
    title: &'a str,
    first_seen: DateTime<Utc>,
    last_seen: DateTime<Utc>,
    briefs: u64,
    sources: &'a [String],
}

impl<'a> StoryLine<'a> {
    /// The line for `s`.
    pub(crate) fn new(s: &'a StorySummary) -> Self {
        StoryLine {
            id: s.id,
            title: &s.title,
            first_seen: s.first_seen,
            last_seen: s.last_seen,
            briefs: s.briefs,
            sources: &s.sources,
        }
    }
}

/// One line of `sources list --json` and `sources status --json`.
#[derive(Serialize, ToSchema)]
pub(crate) struct SourceLine<'a> {
    name: &'a str,
    kind: &'static str,
    url: &'a str,
    interval_secs: u64,
    origin: &'static str,
    enabled: bool,
    failures: u32,
    last_error: Option<&'a str>,
    last_status: Option<u16>,
    last_checked: Option<DateTime<Utc>>,
    last_success: Option<DateTime<Utc>>,
    next_check: Option<DateTime<Utc>>,
    briefs: u64,
    briefs_24h: u64,
    /// The WebSub hub its feed announced and the subscription there; absent without a hub.
    #[serde(skip_serializing_if = "Option::is_none")]
    websub: Option<WebSubLine<'a>>,
}

/// The `websub` object of a source line.
#[derive(Serialize, ToSchema)]
pub(crate) struct WebSubLine<'a> {
    hub: &'a str,
    topic: &'a str,
    /// `discovered` (not subscribed), `requested`, `verified`, `denied`, `failed` or
    /// `unsubscribing`.
    state: &'a str,
    lease_expires: Option<DateTime<Utc>>,
    last_error: Option<&'a str>,
}

impl<'a> SourceLine<'a> {
    /// The line for `s`.
    pub(crate) fn new(s: &'a SourceStatus) -> Self {
        SourceLine {
            name: &s.name,
            kind: s.kind.as_str(),
            url: &s.url,
            interval_secs: s.interval_secs,
            origin: s.origin.as_str(),
            enabled: s.enabled,
            failures: s.failures,
            last_error: s.last_error.as_deref(),
            last_status: s.last_status,
            last_checked: s.last_checked,
            last_success: s.last_success,
            next_check: s.next_check,
            briefs: s.briefs,
            briefs_24h: s.briefs_24h,
            websub: s.websub.as_ref().map(|w| WebSubLine {
                hub: &w.hub,
                topic: &w.topic,
                state: &w.state,
                lease_expires: w.lease_expires,
                last_error: w.last_error.as_deref(),
            }),
        }
    }
}

/// One line of `alerts list --json`.
#[derive(Serialize, ToSchema)]
pub(crate) struct DeliveryLine<'a> {
    id: &'a str,
    kind: &'static str,
    state: &'a str,
    rule: &'a str,
    destination: &'a str,
    destination_disabled: bool,
    brief_id: Option<i64>,
    title: Option<&'a str>,
    story_id: Option<i64>,
    topics: &'a [String],
    attempts: u32,
    next_at: Option<String>,
    last_status: Option<u16>,
    last_error: Option<&'a str>,
    created_at: String,
    delivered_at: Option<String>,
    merged_into: Option<&'a str>,
}

impl<'a> DeliveryLine<'a> {
    /// The line for `d`.
    pub(crate) fn new(d: &'a DeliveryRecord) -> Self {
        let ts = |t: chrono::DateTime<chrono::Utc>| {
            t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        };
        DeliveryLine {
            id: &d.id,
            kind: d.kind.as_str(),
            state: &d.state,
            rule: &d.rule,
            destination: &d.destination,
            destination_disabled: d.destination_disabled,
            brief_id: d.brief_id,
            title: d.title.as_deref(),
            story_id: d.story_id,
            topics: &d.topics,
            attempts: d.attempts,
            next_at: (d.state == "pending").then(|| ts(d.next_at)),
            last_status: d.last_status,
            last_error: d.last_error.as_deref(),
            created_at: ts(d.created_at),
            delivered_at: d.delivered_at.map(ts),
            merged_into: d.merged_into.as_deref(),
        }
    }
}

/// A score rounded to two decimals for output.
pub(super) fn round2(score: f32) -> f64 {
    (f64::from(score) * 100.0).round() / 100.0
}
