//! What a digest lists: the stories first stored in its period that pass its filters (topics and
//! minimum score, sources, entities), one entry per story with its best brief, its other sources
//! and the evidence of its topics, grouped under each story's strongest topic. Reads the store
//! (synchronously, on the writer's thread); renders and sends nothing.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use super::render::{DigestContent, StoryEntry, TopicGroup};
use crate::config::DigestConfig;
use crate::store::{AlertContent, Store, StoreError};
use crate::transforms::classify::expand_evidence;

/// Evidence lines shown per story.
const EVIDENCE_PER_STORY: usize = 3;

/// The period a digest covers and how to name its topics.
#[derive(Debug, Clone)]
pub struct GatherRequest<'a> {
    /// The digest.
    pub digest: &'a DigestConfig,
    /// The start of the period (inclusive).
    pub start: DateTime<Utc>,
    /// The end of the period (exclusive).
    pub end: DateTime<Utc>,
    /// Topic id to display name, in the topic pack's order.
    pub labels: &'a [(String, String)],
    /// When the digest is being put together.
    pub now: DateTime<Utc>,
}

/// One story that passed the filters, before grouping.
struct Candidate {
    entry: StoryEntry,
    /// The topic it is listed under.
    group: String,
    /// Its best matched score.
    score: f64,
    /// How many sources carried it.
    sources: usize,
}

/// Builds the digest content of one period from the store.
pub fn gather(store: &Store, req: &GatherRequest<'_>) -> Result<DigestContent, StoreError> {
    let mut candidates = Vec::new();
    for (story_id, briefs) in store.stories_created_between(req.start, req.end)? {
        let mut contents = Vec::with_capacity(briefs.len());
        for id in briefs {
            if let Some(c) = store.alert_content(id)? {
                contents.push(c);
            }
        }
        if let Some(c) = candidate(req.digest, story_id, contents) {
            candidates.push(c);
        }
    }
    // The strongest stories are kept when there are more than `max_stories`.
    candidates.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.sources.cmp(&a.sources))
            .then(a.entry.story_id.cmp(&b.entry.story_id))
    });
    let total_stories = candidates.len();
    candidates.truncate(req.digest.max_stories);
    let omitted_stories = total_stories - candidates.len();

    let order = |topic: &str| {
        req.digest
            .topics
            .iter()
            .position(|t| t == topic)
            .or_else(|| req.labels.iter().position(|(id, _)| id == topic))
            .unwrap_or(usize::MAX)
    };
    let mut by_topic: BTreeMap<(usize, String), Vec<StoryEntry>> = BTreeMap::new();
    for c in candidates {
        by_topic
            .entry((order(&c.group), c.group))
            .or_default()
            .push(c.entry);
    }
    let label_of: HashMap<&str, &str> = req
        .labels
        .iter()
        .map(|(id, label)| (id.as_str(), label.as_str()))
        .collect();
    let groups = by_topic
        .into_iter()
        .map(|((_, topic), stories)| TopicGroup {
            label: label_of
                .get(topic.as_str())
                .unwrap_or(&topic.as_str())
                .to_string(),
            topic,
            stories,
        })
        .collect();
    Ok(DigestContent {
        name: req.digest.name.clone(),
        zone: req.digest.schedule.zone(),
        period_start: req.start,
        period_end: req.end,
        generated_at: req.now,
        groups,
        total_stories,
        omitted_stories,
        unsubscribe_url: req.digest.unsubscribe.clone(),
    })
}

/// The topics of a brief the digest lists (topic, score), best first.
fn matched(d: &DigestConfig, c: &AlertContent) -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = c
        .topics
        .iter()
        .filter(|t| t.score >= d.min_score && (d.topics.is_empty() || d.topics.contains(&t.topic)))
        .map(|t| (t.topic.clone(), f64::from(t.score)))
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}

/// Whether a brief passes the digest's source and entity filters.
fn passes(d: &DigestConfig, c: &AlertContent) -> bool {
    let source_ok = d.sources.is_empty()
        || d.sources.contains(&c.brief.source)
        || c.also.iter().any(|a| d.sources.contains(&a.source));
    let entity_ok = d.entities.is_empty()
        || c.entities
            .iter()
            .any(|e| d.entities.contains(&e.name.to_lowercase()));
    source_ok && entity_ok
}

/// The story's entry when one of its briefs passes the filters: the best such brief (highest
/// matched score, the earliest on a tie) represents it.
fn candidate(d: &DigestConfig, story_id: i64, contents: Vec<AlertContent>) -> Option<Candidate> {
    let mut topics: Vec<(String, f64)> = Vec::new();
    let mut best: Option<(f64, usize)> = None;
    for (i, c) in contents.iter().enumerate() {
        if !passes(d, c) {
            continue;
        }
        let m = matched(d, c);
        let Some((_, top)) = m.first() else { continue };
        if best.is_none_or(|(s, _)| *top > s) {
            best = Some((*top, i));
        }
        for (t, s) in m {
            match topics.iter_mut().find(|(x, _)| *x == t) {
                Some((_, old)) => *old = old.max(s),
                None => topics.push((t, s)),
            }
        }
    }
    let (score, i) = best?;
    topics.sort_by(|a, b| b.1.total_cmp(&a.1));
    let c = &contents[i];
    let b = &c.brief;
    let best_topics = matched(d, c);
    let group = best_topics[0].0.clone();
    let mut evidence = Vec::new();
    for (topic, _) in &best_topics {
        let stored = c.topics.iter().find(|t| &t.topic == topic);
        for e in stored
            .map(|t| expand_evidence(&t.evidence, &b.title, &b.text))
            .unwrap_or_default()
        {
            if evidence.len() < EVIDENCE_PER_STORY && !evidence.iter().any(|(t, _)| *t == e.term) {
                evidence.push((e.term, e.snippet));
            }
        }
    }
    let mut other_sources: Vec<(String, Option<String>)> = Vec::new();
    let others = contents.iter().flat_map(|o| {
        std::iter::once((o.brief.source.clone(), o.brief.url.clone()))
            .chain(o.also.iter().map(|a| (a.source.clone(), a.url.clone())))
    });
    for (source, url) in others {
        if source != b.source && !other_sources.iter().any(|(s, _)| *s == source) {
            other_sources.push((source, url));
        }
    }
    let sources = 1 + other_sources.len();
    Some(Candidate {
        entry: StoryEntry {
            story_id,
            title: b.title.clone(),
            url: b.url.clone(),
            source: b.source.clone(),
            published: b.published,
            summary: b.text.clone(),
            other_sources,
            topics,
            evidence,
        },
        group,
        score,
        sources,
    })
}
