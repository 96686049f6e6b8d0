//! What the demo reports about the daemon's work, read from the database on a read-only
//! connection (never from the logs): briefs stored with their topics and evidence terms, and
//! stories that gained a source. Writes nothing.

use std::collections::HashMap;
use std::path::Path;

use crate::model::{BriefId, StoredBrief};
use crate::store::{BriefQuery, Store, StoreError};
use crate::transforms::classify::{Evidence, Field, expand_evidence};

/// Evidence terms shown per topic.
const TERMS_SHOWN: usize = 3;

/// A topic of a stored brief, as the demo prints it.
#[derive(Debug, Clone)]
pub struct TopicLine {
    /// The topic's id.
    pub topic: String,
    /// Its score.
    pub score: f32,
    /// The distinct terms that matched, strongest first.
    pub terms: Vec<String>,
}

/// Something the daemon did, as seen in the store.
#[derive(Debug, Clone)]
pub enum Seen {
    /// A brief was stored.
    Stored {
        /// The brief.
        brief: Box<StoredBrief>,
        /// Its topics, best first.
        topics: Vec<TopicLine>,
    },
    /// A story now has briefs from more sources than before (at least two).
    Merged {
        /// The story id.
        story: i64,
        /// The sources that carried it, by first sighting.
        sources: Vec<String>,
        /// The title of its first brief.
        title: String,
    },
}

/// Follows the database of a running daemon.
pub struct Watcher {
    store: Store,
    last: BriefId,
    sources_of: HashMap<i64, usize>,
}

impl Watcher {
    /// Opens the database at `path` read-only (it must exist and be migrated).
    pub fn open(path: &Path) -> Result<Watcher, StoreError> {
        Ok(Watcher {
            store: Store::open_reader(path)?,
            last: 0,
            sources_of: HashMap::new(),
        })
    }

    /// What happened since the last call, briefs first in the order they were stored.
    pub fn poll(&mut self) -> Result<Vec<Seen>, StoreError> {
        let mut out = Vec::new();
        let briefs = self.store.briefs_after(&BriefQuery {
            after: Some(self.last),
            limit: 100,
            ..BriefQuery::default()
        })?;
        for b in briefs {
            self.last = self.last.max(b.id);
            let topics = self.topics(&b)?;
            out.push(Seen::Stored {
                brief: Box::new(b),
                topics,
            });
        }
        let mut stories = self.store.list_stories(None, 2)?;
        stories.sort_by_key(|s| s.id);
        for s in stories {
            let before = self.sources_of.insert(s.id, s.sources.len());
            if before.is_none_or(|n| n < s.sources.len()) {
                out.push(Seen::Merged {
                    story: s.id,
                    sources: s.sources,
                    title: s.title,
                });
            }
        }
        Ok(out)
    }

    fn topics(&self, b: &StoredBrief) -> Result<Vec<TopicLine>, StoreError> {
        let mut tags = self.store.brief_topics(b.id)?;
        tags.sort_by(|x, y| y.score.total_cmp(&x.score));
        Ok(tags
            .into_iter()
            .map(|t| {
                let mut evidence = expand_evidence(&t.evidence, &b.title, &b.text);
                evidence.retain(|e| e.field.is_some() && e.weight > 0.0);
                evidence.sort_by(|x, y| y.weight.total_cmp(&x.weight));
                let mut terms: Vec<String> = Vec::new();
                for e in evidence {
                    let term = matched_words(b, &e).unwrap_or(e.term).to_lowercase();
                    if !terms.contains(&term) && terms.len() < TERMS_SHOWN {
                        terms.push(term);
                    }
                }
                TopicLine {
                    topic: t.topic,
                    score: t.score,
                    terms,
                }
            })
            .collect())
    }
}

/// The words of the brief that a piece of evidence matched, when short enough to quote.
fn matched_words(b: &StoredBrief, e: &Evidence) -> Option<String> {
    let field = match e.field? {
        Field::Title => &b.title,
        Field::Text => &b.text,
    };
    let words = field.get(e.start..e.end)?;
    (words.chars().count() <= 40).then(|| crate::sinks::escape::one_line(words))
}
