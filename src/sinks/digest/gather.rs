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
        topic_labels: req.labels.to_vec(),
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

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::model::{Brief, EntityTag, TopicTag};
    use crate::sinks::digest::Schedule;
    use crate::store::testing;

    fn brief(guid: &str, title: &str, topics: &[(&str, f32)], entities: &[&str]) -> Brief {
        Brief {
            topics: topics
                .iter()
                .map(|(t, s)| TopicTag {
                    topic: (*t).into(),
                    score: *s,
                    evidence: format!("[[\"{t}\",\"title\",0,5,1.0]]"),
                })
                .collect(),
            entities: entities
                .iter()
                .map(|e| EntityTag {
                    name: (*e).into(),
                    kind: "country".into(),
                })
                .collect(),
            ..testing::brief(guid, title)
        }
    }

    /// A store with sources "wire" and "agency" holding `briefs` (source index, brief).
    fn store(briefs: Vec<(usize, Brief)>) -> (tempfile::TempDir, Store) {
        let (dir, mut store, ids) = testing::store_with_sources(&["wire", "agency"]);
        for (i, b) in briefs {
            testing::persist(&mut store, ids[i], vec![b]);
        }
        (dir, store)
    }

    fn digest(topics: &[&str]) -> DigestConfig {
        DigestConfig {
            name: "desk".into(),
            schedule: Schedule::parse("every 6h").unwrap(),
            to: vec!["desk@example.org".parse().unwrap()],
            topics: topics.iter().map(|t| (*t).into()).collect(),
            sources: Vec::new(),
            min_score: 0.5,
            entities: Vec::new(),
            max_stories: 50,
            subject: None,
            send_empty: false,
            unsubscribe: None,
        }
    }

    fn run(store: &Store, d: &DigestConfig) -> DigestContent {
        let labels = [
            ("ceasefire".to_owned(), "Ceasefire".to_owned()),
            ("sanctions".to_owned(), "Sanctions".to_owned()),
        ];
        let start = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
        gather(
            store,
            &GatherRequest {
                digest: d,
                start,
                end: Utc::now() + chrono::Duration::seconds(1),
                labels: &labels,
                now: Utc::now(),
            },
        )
        .unwrap()
    }

    fn titles(c: &DigestContent) -> Vec<(String, Vec<String>)> {
        c.groups
            .iter()
            .map(|g| {
                (
                    g.label.clone(),
                    g.stories.iter().map(|s| s.title.clone()).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn one_entry_per_story_under_its_strongest_topic_with_its_other_sources() {
        let (_d, s) = store(vec![
            (
                0,
                brief(
                    "a",
                    "Truce holds",
                    &[("ceasefire", 0.9), ("sanctions", 0.6)],
                    &[],
                ),
            ),
            (
                1,
                brief(
                    "b",
                    "Truce holds",
                    &[("ceasefire", 0.9), ("sanctions", 0.6)],
                    &[],
                ),
            ),
            (
                0,
                brief("c", "Banks sanctioned", &[("sanctions", 0.8)], &[]),
            ),
            (0, brief("d", "Weak mention", &[("ceasefire", 0.3)], &[])),
            (0, brief("e", "Untagged", &[], &[])),
        ]);
        let c = run(&s, &digest(&[]));
        assert_eq!(
            titles(&c),
            [
                ("Ceasefire".to_owned(), vec!["Truce holds".to_owned()]),
                ("Sanctions".to_owned(), vec!["Banks sanctioned".to_owned()]),
            ],
            "below min_score and untagged are left out; the pack's order"
        );
        let truce = &c.groups[0].stories[0];
        assert_eq!(truce.source, "wire");
        assert_eq!(
            truce.other_sources,
            [(
                "agency".to_owned(),
                Some("https://news.example/b".to_owned())
            )]
        );
        assert_eq!(
            truce.topics[0],
            ("ceasefire".to_owned(), 0.8999999761581421)
        );
        assert_eq!(truce.evidence[0].0, "ceasefire");
        assert_eq!((c.total_stories, c.omitted_stories), (2, 0));
    }

    #[test]
    fn topic_source_entity_filters_and_the_story_cap_apply() {
        let (_d, s) = store(vec![
            (
                0,
                brief("a", "Truce in the north", &[("ceasefire", 0.9)], &["Iran"]),
            ),
            (
                1,
                brief("b", "Truce in the south", &[("ceasefire", 0.7)], &[]),
            ),
            (
                1,
                brief("c", "New sanctions", &[("sanctions", 0.95)], &["Iran"]),
            ),
        ]);
        let only = |f: &dyn Fn(&mut DigestConfig)| {
            let mut d = digest(&[]);
            f(&mut d);
            titles(&run(&s, &d))
                .into_iter()
                .flat_map(|(_, t)| t)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            only(&|d| d.topics = vec!["ceasefire".into()]),
            ["Truce in the north", "Truce in the south"]
        );
        assert_eq!(
            only(&|d| d.sources = vec!["agency".into()]),
            ["Truce in the south", "New sanctions"]
        );
        assert_eq!(
            only(&|d| d.entities = vec!["iran".into()]),
            ["Truce in the north", "New sanctions"]
        );
        assert_eq!(only(&|d| d.min_score = 0.92), ["New sanctions"]);
        let mut capped = digest(&[]);
        capped.max_stories = 2;
        let c = run(&s, &capped);
        assert_eq!((c.total_stories, c.omitted_stories), (3, 1));
        assert_eq!(
            titles(&c)
                .into_iter()
                .flat_map(|(_, t)| t)
                .collect::<Vec<_>>(),
            ["Truce in the north", "New sanctions"],
            "the strongest stories are kept"
        );
        let c = run(&s, &digest(&["sanctions", "ceasefire"]));
        assert_eq!(
            c.groups[0].topic, "sanctions",
            "the digest's own topic order"
        );
    }
}
